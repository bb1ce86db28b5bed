#include "jobs/RunJob.h"

#include "Error.h"
#include "carbon/CarbonIntensityProvider.h"
#include "data/FashionMnist.h"
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
#include "training/Trainer.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <sys/resource.h>

namespace gw {

namespace {
constexpr qint64 kProgressEveryMs = 100;
constexpr qint64 kFlushEveryMs = 1000;
constexpr std::int64_t kLossMetricEverySamples = 2048;
constexpr qint64 kIntensityRefreshMs = 5 * 60 * 1000;

// Ends a window on every way out of a scope, exceptions included.
class WindowScope {
public:
    WindowScope(EnergyMonitor &monitor, const QString &phase) : monitor_(monitor) { monitor_.beginWindow(phase); }
    ~WindowScope() { monitor_.endWindow(); }

private:
    EnergyMonitor &monitor_;
};
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

void RunJob::flushEnergy(RunRepository &repository, EnergyMonitor &monitor)
{
    repository.addPowerSamples(summary_.runId, monitor.takePending());
    repository.addEnergyWindows(summary_.runId, monitor.takeFinishedWindows());
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
        TorchRuntime::setThreads(config_.training.threads);
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
        Q_EMIT runCreated(summary_.runId);
        for (const QString &notice : notices)
            Q_EMIT noticed(notice);

        monitor = std::make_unique<EnergyMonitor>(std::move(powerSource_), std::max(config_.energy.sampleHz, minimumSampleHz_),
                                                  config_.energy.pue);
        connect(monitor.get(), &EnergyMonitor::sampleTaken, this, &RunJob::powerSampled, Qt::DirectConnection);
        refreshIntensity(monitor.get());
        summary_.energySource = monitor->provenance();
        monitor->start();

        Q_EMIT progressed(0, QStringLiteral("Loading %1").arg(config_.dataset.kind));
        ImageDataset train, test;
        {
            const WindowScope data(*monitor, QStringLiteral("data"));
            train = FashionMnist::load(config_.dataset.path, FashionMnist::Split::Train).subset(config_.dataset.trainSubset, config_.seed);
            test = FashionMnist::load(config_.dataset.path, FashionMnist::Split::Test);
        }
        summary_.labelsUsed = train.size();

        RunPrediction prediction(monitor->energyJ(), monitor->elapsedS());
        QElapsedTimer sinceProgress, sinceFlush, sinceIntensity;
        sinceProgress.start();
        sinceFlush.start();
        sinceIntensity.start();
        std::int64_t nextLossMetric = 0;
        const Trainer trainer(config_.training);
        const CarbonBudget budget(config_.energy.budgetWh, config_.energy.budgetG);
        const auto checkBudget = [&](double energyJ, double emissionsG, const QString &basis) {
            if (budgetReached_)
                return;
            if (const std::optional<QString> why = budget.exceeded(energyJ, emissionsG, basis)) {
                budgetReached_ = true;
                cancelRequested_.store(true);
                Q_EMIT noticed(QStringLiteral("Budget reached: %1; stopping the run cleanly.").arg(*why));
            }
        };
        const auto publishPrediction = [&](double fraction) {
            const std::optional<RunPrediction::Estimate> estimate =
                prediction.update(fraction, monitor->energyJ(), monitor->elapsedS(), monitor->emissionsG(), summary_.intensityGPerKwh);
            if (!estimate)
                return;
            summary_.predictedEnergyKwh = estimate->energyJ / 3.6e6;
            summary_.predictedDurationS = estimate->durationS;
            summary_.predictedEmissionsG = estimate->emissionsG;
            Q_EMIT predicted(QVariantMap{{QStringLiteral("energy_kwh"), *summary_.predictedEnergyKwh},
                                         {QStringLiteral("duration_s"), estimate->durationS},
                                         {QStringLiteral("emissions_g"), estimate->emissionsG},
                                         {QStringLiteral("fraction_done"), fraction}});
            checkBudget(estimate->energyJ, estimate->emissionsG, QStringLiteral("predicted total"));
        };
        const auto onProgress = [&](const TrainingProgress &p) {
            if (p.samplesDone >= nextLossMetric) {
                repository->addMetric(summary_.runId, p.samplesDone, QStringLiteral("batch_loss"), p.batchLoss);
                nextLossMetric = p.samplesDone + kLossMetricEverySamples;
            }
            checkBudget(monitor->energyJ(), monitor->emissionsG(), QStringLiteral("energy so far"));
            if (sinceProgress.elapsed() >= kProgressEveryMs) {
                sinceProgress.restart();
                if (!prediction.hasEstimate())
                    publishPrediction(p.fraction());
                Q_EMIT progressed(p.fraction(), QStringLiteral("epoch %1/%2  loss %3").arg(p.epoch).arg(p.epochs).arg(p.batchLoss, 0, 'f', 4));
            }
            if (sinceFlush.elapsed() >= kFlushEveryMs) {
                sinceFlush.restart();
                flushEnergy(*repository, *monitor);
            }
            if (sinceIntensity.elapsed() >= kIntensityRefreshMs) {
                sinceIntensity.restart(); // the grid changes through the day; each sample keeps the value in force
                refreshIntensity(monitor.get());
            }
        };
        const auto onEpoch = [&](const EpochResult &e) {
            repository->addMetric(summary_.runId, e.epoch, QStringLiteral("train_loss"), e.trainLoss);
            repository->addMetric(summary_.runId, e.epoch, QStringLiteral("train_accuracy"), e.trainAccuracy);
            repository->addMetric(summary_.runId, e.epoch, QStringLiteral("test_accuracy"), e.testAccuracy);
            repository->addMetric(summary_.runId, e.epoch, QStringLiteral("epoch_duration_s"), e.durationS);
            Q_EMIT epochFinished(QVariantMap{{QStringLiteral("epoch"), e.epoch},
                                             {QStringLiteral("train_loss"), e.trainLoss},
                                             {QStringLiteral("train_accuracy"), e.trainAccuracy},
                                             {QStringLiteral("test_accuracy"), e.testAccuracy},
                                             {QStringLiteral("duration_s"), e.durationS}});
            if (e.epoch < config_.training.epochs)
                publishPrediction(double(e.epoch) / config_.training.epochs);
        };
        const auto onPhase = [&](const char *phase, bool begins) {
            if (begins)
                monitor->beginWindow(QString::fromLatin1(phase));
            else
                monitor->endWindow();
        };
        const TrainingOutcome outcome = cancelRequested_.load()
                                            ? TrainingOutcome{true, {}, 0, 0}
                                            : trainer.train(train, test, cancelRequested_, onProgress, onEpoch, onPhase);
        if (!outcome.epochs.empty())
            accuracy = outcome.testAccuracy;
        summary_.accuracy = outcome.testAccuracy;
        summary_.status = !outcome.cancelled ? QStringLiteral("completed")
                          : budgetReached_  ? QStringLiteral("budget_reached")
                                            : QStringLiteral("cancelled");
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
                flushEnergy(*repository, *monitor);
                repository->setPhaseSplit(summary_.runId, monitor->energyByPhaseJ(), monitor->durationByPhaseS());
            }
            // What exports need about the run's own use of the machine.
            rusage usage{};
            getrusage(RUSAGE_SELF, &usage);
            repository->addMetric(summary_.runId, 0, QStringLiteral("peak_rss_gb"), double(usage.ru_maxrss) * 1024.0 / 1e9);
            repository->addMetric(summary_.runId, 0, QStringLiteral("process_cpu_s"), CpuTimePowerModel::processCpuSeconds() - cpuAtStartS);
            repository->finishRun(summary_.runId, summary_.status, accuracy, summary_.labelsUsed, summary_.durationS, summary_.error, totals);
        } catch (const std::exception &e) {
            summary_.status = QStringLiteral("failed");
            summary_.error = QString::fromUtf8(e.what());
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
