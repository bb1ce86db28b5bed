#include "jobs/RunJob.h"

#include "Error.h"
#include "carbon/CarbonIntensityProvider.h"
#include "energy/EnergyAccumulator.h"
#include "energy/EnergyMonitor.h"
#include "energy/PowerMeter.h"
#include "energy/ReferenceTables.h"
#include "jobs/CarbonBudget.h"
#include "jobs/RunPrediction.h"
#include "models/TorchRuntime.h"
#include "platform/HardwareInfo.h"
#include "store/Database.h"
#include "store/RunRepository.h"
#include "jobs/RunWorkFactory.h"
#include "store/ArtifactRepository.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <sys/resource.h>

namespace gw {

namespace {
constexpr qint64 kProgressEveryMs = 100;
constexpr qint64 kFlushEveryMs = 1000;
constexpr qint64 kIntensityRefreshMs = 5 * 60 * 1000;

} // namespace

RunJob::RunJob(RunConfig config, QString databasePath, QObject *parent)
    : QObject(parent), config_(std::move(config)), databasePath_(std::move(databasePath))
{
    qRegisterMetaType<gw::RunSummary>();
    qRegisterMetaType<gw::PowerSample>();
}

RunJob::~RunJob() = default;

void RunJob::setPowerSource(std::unique_ptr<PowerSource> source)
{
    powerSource_ = std::move(source);
}

void RunJob::setLiveIntensity(const QString &token, const QString &baseUrl)
{
    liveToken_ = token;
    liveBaseUrl_ = baseUrl;
}

void RunJob::refreshIntensity(EnergyMonitor *monitor)
{
    if (config_.energy.intensity == QStringLiteral("live")) {
        CarbonIntensityProvider::Settings settings;
        settings.token = liveToken_;
        settings.zone = config_.energy.zone;
        if (!liveBaseUrl_.isEmpty())
            settings.baseUrl = QUrl(liveBaseUrl_);
        const CarbonIntensityReading reading = CarbonIntensityProvider(settings).current(config_.energy.country);
        if (!reading.live && reading.failureReason != lastIntensityFailure_)
            Q_EMIT noticed(QStringLiteral("Live carbon intensity not used: %1").arg(reading.failureReason));
        lastIntensityFailure_ = reading.failureReason;
        summary_.intensityGPerKwh = reading.intensityGPerKwh;
        summary_.intensityOrigin = reading.origin;
    } else {
        const CarbonIntensityTable::Resolved resolved = CarbonIntensityTable::bundled().resolve(config_.energy.country);
        summary_.intensityGPerKwh = resolved.intensityGPerKwh;
        summary_.intensityOrigin = resolved.origin;
    }
    if (monitor)
        monitor->setIntensity(summary_.intensityGPerKwh);
}

void RunJob::flushEnergy(RunRepository &repository, EnergyMonitor &monitor, bool final)
{
    // Samples the store could not take yet (another process held it) are kept and written with
    // the next flush: a long lock delays them, it never loses them or fails the run.
    for (PowerSample &s : monitor.takePending())
        unsavedSamples_.push_back(std::move(s));
    for (EnergyWindow &w : monitor.takeFinishedWindows())
        unsavedWindows_.push_back(std::move(w));
    try {
        repository.addPowerSamples(summary_.runId, unsavedSamples_);
        unsavedSamples_.clear();
        repository.addEnergyWindows(summary_.runId, unsavedWindows_);
        unsavedWindows_.clear();
    } catch (const StoreBusy &e) {
        if (final)
            throw;
        if (!storeBusyNoticed_)
            Q_EMIT noticed(QStringLiteral("%1; the power samples are kept and written when the store is free").arg(e.message()));
        storeBusyNoticed_ = true;
    }
}

/// RunContext for the work of one run: every report of progress also drives the prediction, the
/// budget, the store's batch-loss metric, the flushing of power samples and the live intensity.
class RunJob::JobContext : public RunContext {
public:
    JobContext(RunJob &job, EnergyMonitor &monitor, RunRepository &repository)
        : job_(job), monitor_(monitor), repository_(repository), prediction_(monitor.energyJ(), monitor.elapsedS()),
          budget_(job.config_.energy.budgetWh, job.config_.energy.budgetG)
    {
        sinceProgress_.start();
        sinceFlush_.start();
        sinceIntensity_.start();
    }

    const RunConfig &config() const override { return job_.config_; }
    const std::atomic_bool &cancelFlag() const override { return job_.cancelRequested_; }
    void beginWindow(const QString &phase, const QString &scope) override { monitor_.beginWindow(phase, scope); }
    MeasuredCost endWindow() override
    {
        const std::optional<EnergyWindow> window = monitor_.endWindow();
        return window ? MeasuredCost{window->energyJ, window->endS - window->startS} : MeasuredCost{};
    }
    void metric(qint64 step, const QString &name, double value, const QString &scope = QString()) override
    {
        repository_.addMetric(job_.summary_.runId, step, name, value, scope);
    }
    void notice(const QString &message) override { Q_EMIT job_.noticed(message); }
    QString cacheDirectory() const override { return job_.cacheDirectory(); }
    QString inputArtifact(qint64 runId, const QString &role, const QString &format) const override
    {
        const ArtifactRepository artifacts(repository_.database());
        const std::optional<ArtifactRecord> artifact = artifacts.find(runId, role, format);
        if (!artifact)
            throw Error(QStringLiteral("run %1 kept no %2 as %3 in %4 (green-workbench artifacts lists what each run kept)")
                            .arg(runId)
                            .arg(role, format, repository_.database().path()));
        return ArtifactRepository::verifiedPath(*artifact, job_.cacheDirectory());
    }
    QString artifactDirectory() const override
    {
        const QString folder = QDir(job_.cacheDirectory()).filePath(QStringLiteral("artifacts/run-%1").arg(job_.summary_.runId));
        if (!QDir().mkpath(folder))
            throw Error::in(folder, QStringLiteral("cannot create the run's artifact folder"));
        return folder;
    }
    void recordArtifact(const QString &role, const QString &format, const QString &file, qint64 parameters) override
    {
        ArtifactRepository(repository_.database()).add(job_.summary_.runId, role, format, file, parameters, job_.cacheDirectory());
    }
    double energyJ() const override { return monitor_.energyJ(); }
    double emissionsG() const override { return monitor_.emissionsG(); }
    QString energySource() const override { return monitor_.provenance(); }
    qint64 runId() const override { return job_.summary_.runId; }
    QString checkpointPath() const override { return job_.checkpointPath(job_.summary_.runId); }
    QString resumeCheckpointPath() const override { return job_.resumeCheckpoint_; }
    qint64 resumedRunId() const override { return job_.resumeFrom_; }
    const Database &database() const override { return repository_.database(); }
    QObject *attachment(const QString &name) const override { return job_.attachments_.value(name); }

    void workStarts() override { prediction_ = RunPrediction(monitor_.energyJ(), monitor_.elapsedS()); }
    void setWaiting(bool waiting) override
    {
        const double configured = job_.config_.energy.sampleHz;
        monitor_.setSampleHz(waiting ? configured : std::max(configured, job_.minimumSampleHz_));
        // What the work now waits on is news at once, whatever the throttle of progress says.
        sinceProgress_.restart();
        Q_EMIT job_.progressed(lastProgress_.fraction(), lastProgress_.message);
        Q_EMIT job_.waitingChanged(waiting);
    }

    void progress(const WorkProgress &p) override
    {
        lastProgress_ = p;
        checkBudget(monitor_.energyJ(), monitor_.emissionsG(), QStringLiteral("energy so far"));
        if (sinceProgress_.elapsed() >= kProgressEveryMs) {
            sinceProgress_.restart();
            if (!prediction_.hasEstimate())
                publishPrediction();
            Q_EMIT job_.progressed(p.fraction(), p.message);
        }
        if (sinceFlush_.elapsed() >= kFlushEveryMs) {
            sinceFlush_.restart();
            job_.flushEnergy(repository_, monitor_);
        }
        if (sinceIntensity_.elapsed() >= kIntensityRefreshMs) {
            sinceIntensity_.restart(); // the grid changes through the day; each sample keeps the value in force
            job_.refreshIntensity(&monitor_);
        }
    }

    void stepFinished(const WorkStep &step) override
    {
        QVariantMap shown{{QStringLiteral("noun"), step.noun},
                          {QStringLiteral("step"), step.step},
                          {QStringLiteral("steps"), step.steps},
                          {QStringLiteral("scope"), step.scope},
                          {QStringLiteral("detail"), step.detail}};
        QVariantList names;
        for (const auto &[name, value] : step.values) {
            metric(step.step, name, value, step.scope);
            shown.insert(name, value);
            names.append(name);
        }
        shown.insert(QStringLiteral("names"), names);
        Q_EMIT job_.stepFinished(shown);
        // The end of a step is where the rate of the work is known best; the fraction is the
        // progress's, which counts everything the work does (evaluation too).
        if (step.scope.isEmpty() && lastProgress_.fraction() < 1.0)
            publishPrediction();
    }

private:
    /// @p detail: appended to the reason (what was spent when a prediction stops the run).
    void checkBudget(double energyJ, double emissionsG, const QString &basis, const QString &detail = QString())
    {
        if (job_.budgetReached_)
            return;
        if (const std::optional<QString> why = budget_.exceeded(energyJ, emissionsG, basis)) {
            job_.budgetReached_ = true;
            job_.cancelRequested_.store(true);
            notice(QStringLiteral("Budget reached: %1%2; stopping the run cleanly.").arg(*why, detail));
        }
    }

    void publishPrediction()
    {
        const WorkProgress &p = lastProgress_;
        const double fraction = p.fraction();
        std::optional<double> leastFraction;
        if (p.mayEndEarly)
            leastFraction = p.leastTotal > 0 ? p.done / p.leastTotal : 1.0;
        RunSummary &summary = job_.summary_;
        const std::optional<RunPrediction::Estimate> estimate = prediction_.update(fraction, monitor_.energyJ(), monitor_.elapsedS(),
                                                                                   monitor_.emissionsG(), summary.intensityGPerKwh, leastFraction);
        if (!estimate)
            return;
        summary.predictedEnergyKwh = estimate->energyJ / 3.6e6;
        summary.predictedDurationS = estimate->durationS;
        summary.predictedEmissionsG = estimate->emissionsG;
        QVariantMap shown{{QStringLiteral("energy_kwh"), *summary.predictedEnergyKwh},
                          {QStringLiteral("duration_s"), estimate->durationS},
                          {QStringLiteral("emissions_g"), estimate->emissionsG},
                          {QStringLiteral("fraction_done"), fraction},
                          {QStringLiteral("upper_bound"), estimate->upperBound}};
        if (estimate->upperBound) {
            shown.insert(QStringLiteral("least_energy_kwh"), estimate->leastEnergyJ / 3.6e6);
            shown.insert(QStringLiteral("least_duration_s"), estimate->leastDurationS);
            shown.insert(QStringLiteral("least_emissions_g"), estimate->leastEmissionsG);
        }
        Q_EMIT job_.predicted(shown);
        // A total that the work may not come to (it can stop early) is no ground to stop it: then
        // only the tally counts.
        if (!estimate->upperBound)
            checkBudget(estimate->energyJ, estimate->emissionsG, QStringLiteral("predicted total"),
                        QStringLiteral(" (the work's length is fixed; spent so far: %1 Wh, %2 g CO2e)")
                            .arg(monitor_.energyJ() / 3600.0, 0, 'g', 3)
                            .arg(monitor_.emissionsG(), 0, 'g', 3));
    }

    RunJob &job_;
    EnergyMonitor &monitor_;
    RunRepository &repository_;
    RunPrediction prediction_;
    const CarbonBudget budget_;
    QElapsedTimer sinceProgress_, sinceFlush_, sinceIntensity_;
    WorkProgress lastProgress_;
};

QString RunJob::cacheDirectory() const
{
    return Database::cacheDirectoryOf(databasePath_);
}

QString RunJob::checkpointPath(qint64 runId) const
{
    return QDir(cacheDirectory()).filePath(QStringLiteral("checkpoints/run-%1.pt").arg(runId));
}

QString RunJob::latestCheckpoint(const RunRepository &repository, qint64 runId) const
{
    // A resumed run killed before its first checkpoint left none of its own: go on from the
    // newest one along the chain of runs it continued.
    for (qint64 id = runId, hops = 0; id > 0 && hops < 1000; id = repository.resumedFrom(id), ++hops)
        if (QFileInfo::exists(checkpointPath(id)))
            return checkpointPath(id);
    return checkpointPath(runId);
}

void RunJob::setWork(std::unique_ptr<RunWork> work)
{
    work_ = std::move(work);
}

void RunJob::run()
{
    QElapsedTimer wall;
    wall.start();
    const double cpuAtStartS = CpuTimePowerModel::processCpuSeconds();
    summary_ = RunSummary();
    summary_.name = config_.name;
    budgetReached_ = false;
    std::unique_ptr<Database> db;
    std::unique_ptr<RunRepository> repository;
    std::unique_ptr<EnergyMonitor> monitor;
    std::optional<double> accuracy;
    try {
        db = std::make_unique<Database>(databasePath_);
        repository = std::make_unique<RunRepository>(*db);
        TorchRuntime::prepareForWork(config_.training.threads);
        if (!work_)
            work_ = RunWorkFactory::create(config_);
        QStringList notices;
        if (!powerSource_) {
            auto meter = PowerMeter::forThisMachine();
            notices = meter->notices();
            powerSource_ = std::move(meter);
        }
        HardwareInfo hardware = HardwareInfo::detect();
        if (const auto *meter = dynamic_cast<const PowerMeter *>(powerSource_.get())) {
            hardware.gpuCount = meter->gpuCount();
            hardware.gpuModel = meter->gpuModel();
        }
        const qint64 projectId = repository->ensureProject(QStringLiteral("default"));
        summary_.runId = repository->createRun(projectId, config_.name, QString::fromStdString(config_.toJsonText(-1)),
                                               QString::fromUtf8(QJsonDocument(hardware.toJson()).toJson(QJsonDocument::Compact)));
        if (startPlan_)
            recordStartPlan(*repository);
        if (resumeFrom_ > 0) {
            resumeCheckpoint_ = latestCheckpoint(*repository, resumeFrom_);
            repository->markInterrupted(resumeFrom_, QStringLiteral("resumed as run %1").arg(summary_.runId));
            repository->addMetric(summary_.runId, 0, QStringLiteral("resumed_from_run"), double(resumeFrom_));
            summary_.extra.insert(QStringLiteral("resumed_from_run"), double(resumeFrom_));
        }
        Q_EMIT runCreated(summary_.runId);
        for (const QString &notice : notices)
            Q_EMIT noticed(notice);

        monitor = std::make_unique<EnergyMonitor>(std::move(powerSource_), std::max(config_.energy.sampleHz, minimumSampleHz_),
                                                  config_.energy.pue);
        connect(monitor.get(), &EnergyMonitor::sampleTaken, this, &RunJob::powerSampled, Qt::DirectConnection);
        refreshIntensity(monitor.get());
        summary_.energySource = monitor->provenance();
        monitor->start();
        Q_EMIT progressed(0, QStringLiteral("Starting %1").arg(config_.name));

        JobContext context(*this, *monitor, *repository);
        const WorkOutcome outcome = cancelRequested_.load() ? WorkOutcome{true, {}, 0, {}, {}} : work_->execute(context);
        accuracy = outcome.accuracy;
        summary_.accuracy = outcome.accuracy.value_or(0);
        summary_.accuracyEvaluated = outcome.accuracy.has_value();
        summary_.labelsUsed = outcome.labelsUsed;
        for (auto it = outcome.summary.constBegin(); it != outcome.summary.constEnd(); ++it)
            summary_.extra.insert(it.key(), it.value());
        if (outcome.cancelled)
            summary_.status = budgetReached_ ? QStringLiteral("budget_reached") : QStringLiteral("cancelled");
        else
            summary_.status = outcome.status.isEmpty() ? QStringLiteral("completed") : outcome.status;
    } catch (const std::exception &e) {
        // gw::Error carries a message for people; LibTorch's c10::Error is a std::exception too.
        summary_.status = QStringLiteral("failed");
        summary_.error = QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0);
    }

    summary_.durationS = wall.nsecsElapsed() / 1e9;
    std::optional<EnergyTotals> totals;
    if (monitor) {
        monitor->stop();
        totals = energyTotals(*monitor);
        summary_.energyKwh = totals->energyKwh;
        summary_.emissionsG = totals->emissionsG;
        const QMap<QString, double> phases = monitor->energyByPhaseJ();
        for (auto it = phases.constBegin(); it != phases.constEnd(); ++it)
            summary_.energyByPhaseKwh.insert(it.key(), it.value() / 3.6e6);
    }
    if (repository && summary_.runId > 0) {
        try {
            if (monitor) {
                flushEnergy(*repository, *monitor, true);
                repository->setPhaseSplit(summary_.runId, monitor->energyByPhaseJ(), monitor->durationByPhaseS());
            }
            // What exports need about the run's own use of the machine.
            rusage usage{};
            getrusage(RUSAGE_SELF, &usage);
            repository->addMetric(summary_.runId, 0, QStringLiteral("peak_rss_gb"), double(usage.ru_maxrss) * 1024.0 / 1e9);
            repository->addMetric(summary_.runId, 0, QStringLiteral("process_cpu_s"), CpuTimePowerModel::processCpuSeconds() - cpuAtStartS);
        } catch (const std::exception &e) {
            summary_.status = QStringLiteral("failed");
            summary_.error = QString::fromUtf8(e.what());
        }
        // How the run ended goes into the store even when the samples could not: a second wait for
        // another writer before giving up (the run is then marked interrupted once this process ends).
        for (int attempt = 0; attempt < 2; ++attempt) {
            try {
                repository->finishRun(summary_.runId, summary_.status, accuracy, summary_.labelsUsed, summary_.durationS, summary_.error, totals);
                break;
            } catch (const StoreBusy &e) {
                if (attempt == 1) {
                    summary_.status = QStringLiteral("failed");
                    summary_.error = e.message();
                }
            } catch (const std::exception &e) {
                summary_.status = QStringLiteral("failed");
                summary_.error = QString::fromUtf8(e.what());
                break;
            }
        }
    }
    Q_EMIT progressed(1.0, summary_.status);
    Q_EMIT finished(summary_);
}

void RunJob::recordStartPlan(RunRepository &repository) const
{
    const StartPlan &plan = *startPlan_;
    repository.addMetric(summary_.runId, 0, QStringLiteral("schedule_delay_s"), plan.nowUtc.msecsTo(plan.bestStartUtc) / 1000.0);
    repository.addMetric(summary_.runId, 0, QStringLiteral("schedule_intensity_at_start_g_per_kwh"), plan.bestMeanIntensityGPerKwh);
    repository.addMetric(summary_.runId, 0, QStringLiteral("schedule_intensity_if_now_g_per_kwh"), plan.nowMeanIntensityGPerKwh);
    repository.addMetric(summary_.runId, 0, QStringLiteral("schedule_saving_percent"), plan.savingPercent);
}

EnergyTotals RunJob::energyTotals(const EnergyMonitor &monitor) const
{
    EnergyTotals t;
    t.energyKwh = monitor.energyJ() / 3.6e6;
    t.emissionsG = monitor.emissionsG();
    t.energySource = monitor.provenance();
    t.intensityGPerKwh = summary_.intensityGPerKwh;
    t.intensityOrigin = summary_.intensityOrigin;
    t.pue = monitor.pue();
    t.sampleHz = monitor.sampleHz();
    t.powerModel = monitor.source().description();
    t.cpuEnergyKwh = monitor.cpuEnergyJ() / 3.6e6;
    t.gpuEnergyKwh = monitor.gpuEnergyJ() / 3.6e6;
    t.ramEnergyKwh = monitor.ramEnergyJ() / 3.6e6;
    t.cpuSource = monitor.source().componentProvenance(PowerComponent::Cpu);
    t.gpuSource = monitor.source().componentProvenance(PowerComponent::Gpu);
    t.ramSource = monitor.source().componentProvenance(PowerComponent::Ram);
    t.predictedEnergyKwh = summary_.predictedEnergyKwh;
    t.predictedDurationS = summary_.predictedDurationS;
    t.predictedEmissionsG = summary_.predictedEmissionsG;
    t.budgetWh = config_.energy.budgetWh;
    t.budgetG = config_.energy.budgetG;
    return t;
}

} // namespace gw
