#pragma once
#include "NewRunDialog.h"
#include "WorkbenchSettings.h"
#include "carbon/GreenestStartPlanner.h"
#include "config/RunConfig.h"
#include "jobs/RunSummary.h"

#include <QMainWindow>
#include <QTimer>
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
class LabelingView;
class LivePowerPlot;
class PowerSourcesPanel;
class RunsTableModel;
struct PowerSample;

/// The workbench window: stored runs on top, the current run's live power and energy below, with
/// its progress and a Cancel button. Runs execute on a JobRunner thread; this window only reacts
/// to their queued signals, so it never blocks. A run may also wait for the greenest start time of
/// an intensity forecast before it starts by itself.
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

public Q_SLOTS:
    void refreshRuns();
    void showNewRunDialog();
    /// Starts a run of @p config on a worker thread; refused while another run is active.
    bool startRun(const gw::RunConfig &config);
    /// Plans the greenest start of @p config and waits for it (Cancel stops the wait); false with
    /// a message when it cannot be planned or another run is active or waiting.
    bool scheduleRun(const gw::RunConfig &config, const gw::GreenestStartRequest &request);
    /// Cancels the active run, or the wait for a scheduled one.
    void cancelRun();
    void showSettingsDialog();
    /// Replaces the settings (and stores them with QSettings).
    void applySettings(const gw::WorkbenchSettings &settings);
    void openStore();
    /// Opens (creating it if needed) the project in @p folder: its store and caches live there.
    /// Refused while a run is going; returns whether the project is open.
    bool openProject(const QString &folder);
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
    /// Starts the run, with the plan it waited for, if any.
    bool launch(const RunConfig &config, const std::optional<StartPlan> &plan);

    QString databasePath_;
    WorkbenchSettings settings_;
    RunConfig lastConfig_;
    struct PendingStart {
        RunConfig config;
        StartPlan plan;
    };
    std::optional<PendingStart> pendingStart_;
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
