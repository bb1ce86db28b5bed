#pragma once
#include "config/RunConfig.h"
#include "jobs/RunSummary.h"

#include <QMainWindow>
#include <memory>

class QLabel;
class QProgressBar;
class QPushButton;
class QTableView;

namespace gw {

class JobRunner;
class LivePowerPlot;
class RunsTableModel;
struct PowerSample;

/// The workbench window: stored runs on top, the current run's live power and energy below, with
/// its progress and a Cancel button. Runs execute on a JobRunner thread; this window only reacts
/// to their queued signals, so it never blocks.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QString databasePath, QWidget *parent = nullptr);
    ~MainWindow() override;

    QString databasePath() const { return databasePath_; }
    RunsTableModel *runsModel() const { return runsModel_; }
    LivePowerPlot *livePlot() const { return livePlot_; }
    bool isRunActive() const { return runner_ != nullptr; }

public Q_SLOTS:
    void refreshRuns();
    void showNewRunDialog();
    /// Starts a run of @p config on a worker thread; refused while another run is active.
    bool startRun(const gw::RunConfig &config);
    void cancelRun();
    void openStore();

Q_SIGNALS:
    void runFinished(const gw::RunSummary &summary);

private:
    void onPowerSample(const gw::PowerSample &sample);
    void onProgress(double fraction, const QString &message);
    void onRunFinished(const gw::RunSummary &summary);
    void setRunActive(bool active);

    QString databasePath_;
    RunConfig lastConfig_;
    RunsTableModel *runsModel_;
    QTableView *runsView_;
    LivePowerPlot *livePlot_;
    QProgressBar *progress_;
    QLabel *progressText_;
    QLabel *predictionText_;
    QPushButton *newRunButton_;
    QPushButton *cancelButton_;
    std::unique_ptr<JobRunner> runner_;
};

} // namespace gw
