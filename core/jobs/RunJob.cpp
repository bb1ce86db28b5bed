#include "jobs/RunJob.h"

#include "Error.h"
#include "data/FashionMnist.h"
#include "energy/EnergyAccumulator.h"
#include "energy/EnergyMonitor.h"
#include "energy/ReferenceTables.h"
#include "models/TorchRuntime.h"
#include "platform/HardwareInfo.h"
#include "store/Database.h"
#include "store/RunRepository.h"
#include "training/Trainer.h"

#include <QElapsedTimer>
#include <QJsonDocument>

namespace gw {

namespace {
constexpr qint64 kProgressEveryMs = 100;
constexpr qint64 kFlushEveryMs = 1000;
constexpr std::int64_t kLossMetricEverySamples = 2048;
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

void RunJob::flushPowerSamples(RunRepository &repository, EnergyMonitor &monitor)
{
    repository.addPowerSamples(summary_.runId, monitor.takePending());
}

void RunJob::run()
{
    QElapsedTimer wall;
    wall.start();
    summary_ = RunSummary();
    summary_.name = config_.name;
    std::unique_ptr<Database> db;
    std::unique_ptr<RunRepository> repository;
    std::unique_ptr<EnergyMonitor> monitor;
    std::optional<double> accuracy;
    try {
        const CarbonIntensityTable::Resolved intensity = CarbonIntensityTable::bundled().resolve(config_.energy.country);
        summary_.intensityGPerKwh = intensity.intensityGPerKwh;
        summary_.intensityOrigin = intensity.origin;

        db = std::make_unique<Database>(databasePath_);
        repository = std::make_unique<RunRepository>(*db);
        TorchRuntime::setThreads(config_.training.threads);
        const HardwareInfo hardware = HardwareInfo::detect();
        const qint64 projectId = repository->ensureProject(QStringLiteral("default"));
        summary_.runId = repository->createRun(projectId, config_.name, QString::fromStdString(config_.toJsonText(-1)),
                                               QString::fromUtf8(QJsonDocument(hardware.toJson()).toJson(QJsonDocument::Compact)));
        Q_EMIT runCreated(summary_.runId);

        if (!powerSource_)
            powerSource_ = std::make_unique<CpuTimePowerModel>(CpuTimePowerModel::forThisMachine());
        monitor = std::make_unique<EnergyMonitor>(std::move(powerSource_), config_.energy.sampleHz, config_.energy.pue);
        connect(monitor.get(), &EnergyMonitor::sampleTaken, this, &RunJob::powerSampled, Qt::DirectConnection);
        summary_.energySource = monitor->provenance();
        monitor->start();

        Q_EMIT progressed(0, QStringLiteral("Loading %1").arg(config_.dataset.kind));
        const ImageDataset train = FashionMnist::load(config_.dataset.path, FashionMnist::Split::Train)
                                       .subset(config_.dataset.trainSubset, config_.seed);
        const ImageDataset test = FashionMnist::load(config_.dataset.path, FashionMnist::Split::Test);
        summary_.labelsUsed = train.size();

        QElapsedTimer sinceProgress, sinceFlush;
        sinceProgress.start();
        sinceFlush.start();
        std::int64_t nextLossMetric = 0;
        const Trainer trainer(config_.training);
        const auto onProgress = [&](const TrainingProgress &p) {
            if (p.samplesDone >= nextLossMetric) {
                repository->addMetric(summary_.runId, p.samplesDone, QStringLiteral("batch_loss"), p.batchLoss);
                nextLossMetric = p.samplesDone + kLossMetricEverySamples;
            }
            if (sinceProgress.elapsed() >= kProgressEveryMs) {
                sinceProgress.restart();
                Q_EMIT progressed(p.fraction(), QStringLiteral("epoch %1/%2  loss %3").arg(p.epoch).arg(p.epochs).arg(p.batchLoss, 0, 'f', 4));
            }
            if (sinceFlush.elapsed() >= kFlushEveryMs) {
                sinceFlush.restart();
                flushPowerSamples(*repository, *monitor);
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
        };
        const TrainingOutcome outcome = cancelRequested_.load() ? TrainingOutcome{true, {}, 0, 0}
                                                                : trainer.train(train, test, cancelRequested_, onProgress, onEpoch);
        if (!outcome.epochs.empty())
            accuracy = outcome.testAccuracy;
        summary_.accuracy = outcome.testAccuracy;
        summary_.status = outcome.cancelled ? QStringLiteral("cancelled") : QStringLiteral("completed");
    } catch (const std::exception &e) {
        // gw::Error carries a message for people; LibTorch's c10::Error is a std::exception too.
        summary_.status = QStringLiteral("failed");
        summary_.error = QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0);
    }

    summary_.durationS = wall.nsecsElapsed() / 1e9;
    std::optional<EnergyTotals> totals;
    if (monitor) {
        monitor->stop();
        EnergyTotals t;
        t.energyKwh = monitor->energyJ() / 3.6e6;
        t.emissionsG = EnergyAccumulator::emissionsG(t.energyKwh, summary_.intensityGPerKwh);
        t.energySource = monitor->provenance();
        t.intensityGPerKwh = summary_.intensityGPerKwh;
        t.intensityOrigin = summary_.intensityOrigin;
        t.pue = monitor->pue();
        t.sampleHz = monitor->sampleHz();
        t.powerModel = monitor->sourceDescription();
        summary_.energyKwh = t.energyKwh;
        summary_.emissionsG = t.emissionsG;
        totals = t;
    }
    if (repository && summary_.runId > 0) {
        try {
            if (monitor)
                flushPowerSamples(*repository, *monitor);
            repository->finishRun(summary_.runId, summary_.status, accuracy, summary_.labelsUsed, summary_.durationS, summary_.error, totals);
        } catch (const std::exception &e) {
            summary_.status = QStringLiteral("failed");
            summary_.error = QString::fromUtf8(e.what());
        }
    }
    Q_EMIT progressed(1.0, summary_.status);
    Q_EMIT finished(summary_);
}

} // namespace gw
