#pragma once
#include "NewRunDialog.h"
#include "WorkbenchSettings.h"
#include "carbon/GreenestStartPlanner.h"
#include "config/RunConfig.h"
#include "jobs/RunQueue.h"
#include "jobs/RunSummary.h"
#include "store/RunRecord.h"

#include <QElapsedTimer>
#include <QMainWindow>
#include <QMap>
#include <memory>
#include <optional>

class QAction;
class QDockWidget;
class QLabel;
class QLineEdit;
class QMenu;
class QProgressBar;
class QPushButton;
class QStackedWidget;
class QTableView;

namespace gw {

class CompareView;
class InteractiveOracle;
class JobsPanel;
class LabelingView;
class LivePowerPlot;
class PowerSourcesPanel;
class RunsTableModel;
class RunPage;
class WelcomePanel;
struct PowerSample;

/// The workbench window: stored runs on top, the current run's live power and energy below, with
/// its progress and a Cancel button; the Jobs dock lists every job of the session with its own
/// progress, time left and Cancel. Runs execute on a JobRunner thread; this window only reacts
/// to their queued signals, so it never blocks. Runs go through a RunQueue: one at a time, queued
/// behind the active one, and possibly waiting for the greenest start of a forecast first.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QString databasePath, QWidget *parent = nullptr);
    ~MainWindow() override;

    QString databasePath() const { return databasePath_; }
    RunsTableModel *runsModel() const { return runsModel_; }
    LivePowerPlot *livePlot() const;
    /// The run panel's page: the live view of the run that goes, then that run's stored page.
    RunPage *livePage() const { return livePage_; }
    LabelingView *labelingView() const { return labelingView_; }
    CompareView *compareView() const { return compareView_; }
    bool isRunActive() const { return runQueue_->isRunning(); }
    /// True while a run waits for its greenest start.
    bool isWaitingToStart() const { return runQueue_->isWaiting(); }
    const WorkbenchSettings &settings() const { return settings_; }
    PowerSourcesPanel *powerSourcesPanel() const { return powerSources_; }
    JobsPanel *jobsPanel() const { return jobsPanel_; }
    /// Runs waiting behind the active one.
    int queuedRunCount() const { return runQueue_->queuedCount(); }
    /// The Jobs panel's id of the running (or waiting-to-start) run; 0 when none.
    int activeJobId() const;

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
    /// The runs table's context menu for row @p row (the caller owns it).
    QMenu *runContextMenu(int row);
    /// The stored config of the runs table's row @p row; none when it cannot be read.
    std::optional<RunConfig> configOfRow(int row) const;
    /// Shows the selected runs (all runs when fewer than two are selected) in the Compare dock.
    void compareSelectedRuns();
    /// Opens the run page of the runs table's row @p row (double-click, Enter, context menu).
    bool showRunPage(int row);
    /// Shows only the runs whose name, tags, kind or status hold every word of the filter box.
    void applyRunsFilter();
    QLineEdit *runsFilter() const { return runsFilter_; }
    /// Rename, tag and annotate the run of row @p row (a dialog).
    bool describeRun(int row);
    /// Deletes the run of row @p row, its records and its cache files (after a confirmation).
    bool deleteRun(int row, bool confirm = true);
    RunPage *runPage() const { return runPage_; }
    /// The labeling view in the window's centre (true) or in its dock (false).
    void setLabelingInCentre(bool centre);
    bool labelingInCentre() const;
    /// Starts the embedded default run (the bundled backbone, a linear probe on 1,000 Fashion-MNIST labels).
    void runDefault();
    /// Writes the report (HTML or PDF by @p path's extension) of run @p runId alone; false with @p error.
    bool writeRunReport(qint64 runId, const QString &path, QString *error = nullptr);
    void showShortcuts();
    void showWhereThingsAre();

Q_SIGNALS:
    void runFinished(const gw::RunSummary &summary);

protected:
    /// Keeps the window's geometry and the docks' layout for the next start (QSettings).
    void closeEvent(QCloseEvent *event) override;

private:
    /// The status bar's grid intensity: the settings' region between runs, the run's own while one goes.
    /// @p whose: the run the figure belongs to ("run 12"), said in the status bar; empty for the settings'.
    void showIntensity(double intensityGPerKwh, const QString &origin, const QString &whose = QString());
    void showSettingsIntensity();
    void chooseProject();
    void rebuildRecentMenu();
    void onPowerSample(const gw::PowerSample &sample);
    void onProgress(double fraction, const QString &message);
    void onRunQueued(int id, const QString &name);
    void onRunWaiting(int id, double delayS, const gw::StartPlan &plan);
    void onRunStarted(int id, gw::RunJob *job);
    void onRunFinished(int id, const gw::RunSummary &summary);
    void onRunDropped(int id, const QString &reason);
    /// What every job started from the window gets: the live sample rate, the intensity token and
    /// the person at the labeling view.
    RunQueue::JobSetup jobSetup() const;
    void setRunActive(bool active);
    /// The New run dialog from @p initial (with @p revealKey's field in view); starts or schedules
    /// what it returns.
    void runNewRunDialog(const RunConfig &initial, const QString &revealKey = QString());
    /// The prediction and progress of the run panel back to empty, for the next run.
    void clearRunPanel();
    /// The New run dialog from the config stored with the run shown on @p page.
    void newRunFromPage(const RunPage *page, const QJsonObject &stored);
    /// Fills @p page with run @p id from the store; an Error when it cannot be read.
    void showStoredRun(RunPage *page, qint64 id) const;
    /// Between runs the run panel's page shows the newest stored run (the one just made, or the
    /// last one of an opened store), and keeps the run it shows while that run is in the store.
    void showLatestRun();
    /// Loads @p runs with their series and model cards into @p view.
    void fillComparison(CompareView *view, const QList<RunRecord> &runs);
    void askAndWriteRunReport(qint64 runId);

    QString databasePath_;
    WorkbenchSettings settings_;
    RunConfig lastConfig_;
    RunQueue *runQueue_;
    /// The Jobs panel's row of each run of the queue that waits, is queued or runs.
    QMap<int, int> panelJobs_;
    QElapsedTimer activeClock_;
    std::optional<double> predictedDurationS_;
    /// The running run waits for the person (labeling): its time left is not shown meanwhile.
    bool waitingForPerson_ = false;
    PowerSourcesPanel *powerSources_;
    RunsTableModel *runsModel_;
    QTableView *runsView_;
    /// The runs table, or the welcome panel while the store has no runs.
    QStackedWidget *runsArea_;
    WelcomePanel *welcome_;
    QLineEdit *runsFilter_;
    /// Progress, prediction and live page of the current run; hidden while the welcome shows.
    QWidget *runPanel_ = nullptr;
    RunPage *livePage_;
    QProgressBar *progress_;
    QLabel *progressText_;
    QLabel *predictionText_;
    QPushButton *newRunButton_;
    QPushButton *cancelButton_;
    /// Answers the queries of active-learning runs with oracle "human", from the labeling view.
    InteractiveOracle *oracle_;
    LabelingView *labelingView_;
    QDockWidget *labelingDock_;
    CompareView *compareView_;
    QDockWidget *compareDock_;
    /// The central area: the runs with the live page, or the labeling view when it takes the centre.
    QStackedWidget *centre_;
    QAction *labelingCentreAction_ = nullptr;
    RunPage *runPage_;
    QDockWidget *runDock_;
    QLabel *intensityStatus_;
    JobsPanel *jobsPanel_;
    QDockWidget *jobsDock_;
    QMenu *recentMenu_ = nullptr;
};

} // namespace gw
