#pragma once
#include "carbon/GreenestStartPlanner.h"
#include "config/RunConfig.h"
#include "energy/EnergyMonitor.h"
#include "energy/PowerSample.h"
#include "jobs/RunSummary.h"

#include <QObject>
#include <QMap>
#include <QVariantMap>
#include <atomic>

namespace gw {

class EnergyMonitor;
class PowerSource;
class RunWork;
class RunRepository;
struct EnergyTotals;

/// One training run from a RunConfig, start to finish: it records the run in the store, measures
/// energy all along (data loading included), trains, stores metrics and power samples as they
/// come, and records how the run ended with its energy and CO2. run() blocks: call it on a worker
/// thread (see JobRunner). cancel() is thread-safe and takes effect within one training batch.
class RunJob : public QObject {
    Q_OBJECT
public:
    RunJob(RunConfig config, QString databasePath, QObject *parent = nullptr);
    ~RunJob() override;

    void cancel() { cancelRequested_.store(true); }
    bool cancelRequested() const { return cancelRequested_.load(); }
    const RunConfig &config() const { return config_; }
    /// Valid once finished() has been emitted.
    RunSummary summary() const { return summary_; }

    /// Replaces the power source (tests script one); by default PowerMeter::forThisMachine().
    void setPowerSource(std::unique_ptr<PowerSource> source);
    /// Electricity Maps token and API address for energy.intensity = "live" (empty token: the
    /// environment variable ELECTRICITYMAPS_TOKEN; empty URL: the public API).
    void setLiveIntensity(const QString &token, const QString &baseUrl = QString());
    /// Samples at least @p sampleHz (a live view wants 10 Hz) whatever the config says.
    void setMinimumSampleHz(double sampleHz) { minimumSampleHz_ = sampleHz; }
    /// The run was started at the greenest time of a forecast: the plan is kept with the run
    /// (metrics schedule_*), so what waiting saved stays next to what the run cost.
    void setStartPlan(const StartPlan &plan) { startPlan_ = plan; }
    const std::optional<StartPlan> &startPlan() const { return startPlan_; }
    /// The work to do; by default RunWorkFactory::create(config) when the run starts.
    void setWork(std::unique_ptr<RunWork> work);
    /// The folder next to the store where runs keep caches (embeddings): "<store>.cache".
    QString cacheDirectory() const;
    /// The checkpoint a run writes after each epoch (fine-tuning modes).
    QString checkpointPath(qint64 runId) const;
    /// Continues run @p runId (same config) from its last checkpoint, as a new run; a run that a
    /// dead process left "running" is marked "interrupted".
    void setResumeFrom(qint64 runId) { resumeFrom_ = runId; }
    /// Hands @p object to the run's kind under @p name (the person who answers an active-learning
    /// run's queries: ActiveLearningWork::kHumanOracle); not owned, it must outlive the run.
    void attach(const QString &name, QObject *object) { attachments_.insert(name, object); }

public Q_SLOTS:
    void run();

Q_SIGNALS:
    void runCreated(qint64 runId);
    /// fraction in 0..1 of the whole run; emitted at most about 10 times per second.
    void progressed(double fraction, const QString &message);
    /// After each step of the work (an epoch, a labeling round): noun, step, steps, scope, names
    /// (the figures' names in order) and each figure by name (train_loss, test_accuracy, ...).
    void stepFinished(const QVariantMap &step);
    void powerSampled(const gw::PowerSample &sample);
    /// A prediction of the whole run: energy_kwh, duration_s, emissions_g, fraction_done.
    void predicted(const QVariantMap &prediction);
    /// Something the person should know (a counter not readable, a budget reached).
    void noticed(const QString &message);
    /// The work starts (true) or stops (false) waiting on something outside the machine (a person
    /// labeling): no time left can be foreseen meanwhile.
    void waitingChanged(bool waiting);
    void finished(const gw::RunSummary &summary);

private:
    class JobContext;
    friend class JobContext;
    void flushEnergy(RunRepository &repository, EnergyMonitor &monitor, bool final = false);
    QString latestCheckpoint(const RunRepository &repository, qint64 runId) const;
    /// The intensity to use now, from the table or live (falling back to the table, with the reason).
    void refreshIntensity(EnergyMonitor *monitor);
    EnergyTotals energyTotals(const EnergyMonitor &monitor) const;
    void recordStartPlan(RunRepository &repository) const;

    RunConfig config_;
    QString databasePath_;
    std::unique_ptr<PowerSource> powerSource_;
    std::atomic_bool cancelRequested_{false};
    bool budgetReached_ = false; // set on the job's thread only
    QString liveToken_;
    QString lastIntensityFailure_;
    QString liveBaseUrl_;
    double minimumSampleHz_ = 0;
    std::optional<StartPlan> startPlan_;
    std::unique_ptr<RunWork> work_;
    qint64 resumeFrom_ = 0;
    QString resumeCheckpoint_;
    std::vector<PowerSample> unsavedSamples_;
    std::vector<EnergyWindow> unsavedWindows_;
    bool storeBusyNoticed_ = false;
    QMap<QString, QObject *> attachments_;
    RunSummary summary_;
};

} // namespace gw
