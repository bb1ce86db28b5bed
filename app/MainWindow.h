#pragma once
#include "NewRunDialog.h"
#include "WorkbenchSettings.h"
#include "carbon/GreenestStartPlanner.h"
#include "config/RunConfig.h"
#include "jobs/RunSummary.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QTimer>
#include <deque>
#include <memory>
#include <optional>

class QDockWidget;
class QLabel;
class QMenu;
class QProgressBar;
class QPushButton;
class QTableView;

namespace gw {

class CompareView;
class InteractiveOracle;
class JobRunner;
class JobsPanel;
class LabelingView;
class LivePowerPlot;
class PowerSourcesPanel;
class RunsTableModel;
struct PowerSample;

/// The workbench window: stored runs on top, the current run's live power and energy below, with
/// its progress and a Cancel button; the Jobs dock lists every job of the session with its own
/// progress, time left and Cancel. Runs execute on a JobRunner thread; this window only reacts
/// to their queued signals, so it never blocks. One run executes at a time: a run started while
/// another goes is queued behind it, because two runs sharing the CPUs would each be measured
/// with the other's load (the CPU-time power model attributes the process's CPU time to its run).
/// A run may also wait for the greenest start time of an intensity forecast before it starts.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QString databasePath, QWidget *parent = nullptr);
    ~MainWindow() override;

    QString databasePath() const { return databasePath_; }
    RunsTableModel *runsModel() const { return runsModel_; }
    LivePowerPlot *livePlot() const { return livePlot_; }
    LabelingView *labelingView() const { return labelingView_; }
    CompareView *compareView() const { return compareView_; }
    bool isRunActive() const { return runner_ != nullptr; }
    /// True while a run waits for its greenest start.
    bool isWaitingToStart() const { return pendingStart_.has_value(); }
    const WorkbenchSettings &settings() const { return settings_; }
    PowerSourcesPanel *powerSourcesPanel() const { return powerSources_; }
    JobsPanel *jobsPanel() const { return jobsPanel_; }
    /// Runs waiting behind the active one.
    int queuedRunCount() const { return int(queue_.size()); }
    /// The Jobs panel's id of the running (or waiting-to-start) run; 0 when none.
    int activeJobId() const { return activeJobId_; }

public Q_SLOTS:
    void refreshRuns();
    void showNewRunDialog();
    /// The New run dialog filled with the config of the selected run (stored whole with every run,
    /// whether it was started here, from a config file or with command-line options).
    void showNewRunFromSelected();
    /// Starts a run of @p config on a worker thread, or queues it behind the active run (or the
    /// one waiting for its greenest start); it starts when those have finished.
    bool startRun(const gw::RunConfig &config);
    /// Plans the greenest start of @p config and waits for it (Cancel stops the wait); false with
    /// a message when it cannot be planned or another run is active or waiting.
    bool scheduleRun(const gw::RunConfig &config, const gw::GreenestStartRequest &request);
    /// Cancels the active run, or the wait for a scheduled one (queued runs then go on).
    void cancelRun();
    /// Cancels the job @p jobId of the Jobs panel: the active run, the wait, or a queued run.
    void cancelJob(int jobId);
    void showSettingsDialog();
    /// Replaces the settings (and stores them with QSettings).
    void applySettings(const gw::WorkbenchSettings &settings);
    void openStore();
    /// Opens (creating it if needed) the project in @p folder: its store and caches live there.
    /// Refused while a run is going; returns whether the project is open.
    bool openProject(const QString &folder);
    /// The stored config of the first selected run; an Error naming the run when it cannot be read.
    std::optional<RunConfig> selectedRunConfig() const;
    /// Shows the selected runs (all runs when fewer than two are selected) in the Compare dock.
    void compareSelectedRuns();

Q_SIGNALS:
    void runFinished(const gw::RunSummary &summary);

protected:
    /// Keeps the window's geometry and the docks' layout for the next start (QSettings).
    void closeEvent(QCloseEvent *event) override;

private:
    /// The status bar's grid intensity: the settings' region between runs, the run's own while one goes.
    void showIntensity(double intensityGPerKwh, const QString &origin);
    void showSettingsIntensity();
    void chooseProject();
    void rebuildRecentMenu();
    void onPowerSample(const gw::PowerSample &sample);
    void onProgress(double fraction, const QString &message);
    void onRunFinished(const gw::RunSummary &summary);
    void setRunActive(bool active);
    void onGreenestStartTick();
    /// The New run dialog from @p initial; starts or schedules what it returns.
    void runNewRunDialog(const RunConfig &initial);
    /// Starts the run, with the plan it waited for, if any, as job @p jobId (0: a new row).
    bool launch(const RunConfig &config, const std::optional<StartPlan> &plan, int jobId);
    void startNextQueued();
    /// The live plot, prediction and progress of the run panel back to empty, for the next run.
    void clearRunPanel();
    bool isBusy() const { return runner_ || pendingStart_; }

    QString databasePath_;
    WorkbenchSettings settings_;
    RunConfig lastConfig_;
    struct PendingStart {
        RunConfig config;
        StartPlan plan;
    };
    std::optional<PendingStart> pendingStart_;
    struct QueuedRun {
        int jobId;
        RunConfig config;
    };
    std::deque<QueuedRun> queue_;
    int activeJobId_ = 0;
    QElapsedTimer activeClock_;
    std::optional<double> predictedDurationS_;
    JobsPanel *jobsPanel_;
    QDockWidget *jobsDock_;
    QTimer greenestStartTimer_;
    PowerSourcesPanel *powerSources_;
    RunsTableModel *runsModel_;
    QTableView *runsView_;
    LivePowerPlot *livePlot_;
    QProgressBar *progress_;
    QLabel *progressText_;
    QLabel *predictionText_;
    QPushButton *newRunButton_;
    QPushButton *cancelButton_;
    std::unique_ptr<JobRunner> runner_;
    /// Answers the queries of active-learning runs with oracle "human", from the labeling view.
    InteractiveOracle *oracle_;
    LabelingView *labelingView_;
    QDockWidget *labelingDock_;
    CompareView *compareView_;
    QLabel *intensityStatus_;
    QMenu *recentMenu_ = nullptr;
    QDockWidget *compareDock_;
};

} // namespace gw
