#include "jobs/PretrainWork.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "data/FashionMnist.h"
#include "jobs/DatasetEmbedding.h"
#include "jobs/HostsTraining.h"
#include "jobs/ModelArtifacts.h"
#include "jobs/TrainingReport.h"
#include "models/BackboneFactory.h"
#include "models/Safetensors.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>

namespace gw {

namespace {

/// The recipe @p config asks for.
PretrainParams paramsOf(const RunConfig &config)
{
    PretrainParams params;
    params.epochs = config.training.epochs;
    params.batchSize = config.training.batchSize;
    params.learningRate = config.training.learningRate;
    params.weightDecay = config.training.weightDecay;
    params.temperature = config.pretrain.temperature;
    params.projectionDim = config.pretrain.projectionDim;
    params.seed = config.seed;
    return params;
}

} // namespace

PretrainWork::PretrainWork() = default;
PretrainWork::PretrainWork(std::shared_ptr<distributed::DataParallel> parallel) : parallel_(std::move(parallel)) {}
PretrainWork::~PretrainWork() = default;

WorkOutcome PretrainWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    const PretrainParams params = paramsOf(config);
    const bool worker = parallel_ != nullptr; // the coordinator's output path is not its to write
    const QString weightsPath = config.pretrain.output.isEmpty() || worker
                                     ? QDir(context.cacheDirectory()).filePath(QStringLiteral("artifacts/run-%1/gw-mobilenet-pretrained.safetensors").arg(context.runId()))
                                     : QFileInfo(config.pretrain.output).absoluteFilePath();
    // Checked before an hour of pretraining, not after it.
    const QString folder = QFileInfo(weightsPath).absolutePath();
    if (!QDir().mkpath(folder) || !QFileInfo(folder).isWritable())
        throw Error(QStringLiteral("%1: cannot write the pretrained weights into this folder").arg(folder));
    ImageDataset images;
    {
        const MeasuredWindow data(context, QStringLiteral("data"));
        images = trainingSubset(FashionMnist::load(config.dataset.path, FashionMnist::Split::Train), config, context);
    }
    const std::shared_ptr<distributed::DataParallel> parallel = parallel_ ? parallel_ : hostWorkersIfAsked(context);
    context.workStarts();
    TrainingReport report(context);
    WorkOutcome outcome;
    ContrastivePretrainer pretrainer(params);
    pretrainer.setDataParallel(parallel.get());
    QString resumeFrom = context.resumeCheckpointPath();
    if (!resumeFrom.isEmpty() && parallel)
        throw Error(QStringLiteral("a data-parallel pretraining cannot be resumed yet (its workers would start over): run it again, or alone"));
    if (!resumeFrom.isEmpty() && !QFileInfo::exists(resumeFrom)) {
        // Stopped before its first epoch ended, the run left nothing to go on from: it starts over.
        context.notice(QStringLiteral("%1: no checkpoint (the pretraining stopped before its first epoch ended); it starts from epoch 1").arg(resumeFrom));
        resumeFrom.clear();
    }
    pretrainer.setCheckpoints(context.checkpointPath(), resumeFrom);
    // A continued pretraining: the weights it starts from, and what their own pretraining cost
    // (their metadata says, when a pretraining of this workbench wrote them), so the whole is known.
    double earlierWh = 0, earlierG = 0;
    if (!config.pretrain.init.isEmpty()) {
        const bool bundled = config.pretrain.init == QStringLiteral("bundled");
        const QString initPath = bundled ? BackboneFactory::bundledWeightsPath() : config.pretrain.init;
        const QString origin = bundled ? QStringLiteral("bundled gw-mobilenet-fmnist.safetensors") : QFileInfo(initPath).absoluteFilePath();
        const SafetensorsContent init = Safetensors::read(initPath);
        if (init.metadata.count("architecture") && init.metadata.at("architecture") != "gw-mobilenet")
            throw Error(QStringLiteral("%1: weights of a '%2', not of gw-mobilenet, cannot be pretrained further")
                            .arg(origin, QString::fromStdString(init.metadata.at("architecture"))));
        pretrainer.setInitialWeights(init.tensors, origin);
        const auto figure = [&init](const char *key) {
            return init.metadata.count(key) ? QString::fromStdString(init.metadata.at(key)).toDouble() : 0.0;
        };
        earlierWh = figure("pretraining_energy_wh");
        earlierG = figure("pretraining_co2_g");
        outcome.summary.insert(QStringLiteral("pretrain_init"), origin);
        outcome.summary.insert(QStringLiteral("pretrain_init_energy_wh"), earlierWh);
        outcome.summary.insert(QStringLiteral("pretrain_init_co2_g"), earlierG);
        context.notice(QStringLiteral("pretraining goes on from %1 (whose own pretraining used %2 Wh)").arg(origin).arg(earlierWh, 0, 'f', 3));
    }
    if (!resumeFrom.isEmpty())
        context.notice(QStringLiteral("resuming from %1").arg(resumeFrom));
    PretrainOutcome trained;
    {
        const MeasuredWindow train(context, QStringLiteral("train"));
        trained = pretrainer.train(
            images, context.cancelFlag(), report.progressCallback(),
            [&context, &params](int epoch, double loss) {
                context.stepFinished(WorkStep(QStringLiteral("epoch"), epoch, params.epochs).add(QStringLiteral("contrastive_loss"), loss));
            });
    }
    outcome.cancelled = trained.cancelled;
    outcome.labelsUsed = 0; // self-supervised: no label is read
    if (pretrainer.resumedAfterEpoch() > 0)
        outcome.summary.insert(QStringLiteral("resumed_after_epoch"), pretrainer.resumedAfterEpoch());
    outcome.summary.insert(QStringLiteral("model_source"), QStringLiteral("pretrain"));
    if (trained.cancelled)
        return outcome;
    {
        const MeasuredWindow exporting(context, QStringLiteral("export"));
        pretrainer.save(weightsPath, {{"objective", "SimCLR NT-Xent"},
                                       {"temperature", std::to_string(params.temperature)},
                                       {"epochs", std::to_string(params.epochs)},
                                       {"init", config.pretrain.init.isEmpty() ? std::string("random") : config.pretrain.init.toStdString()},
                                       {"batch_size", std::to_string(params.batchSize)},
                                       {"seed", std::to_string(params.seed)},
                                       {"images", std::to_string(images.size())},
                                       {"dataset", "Fashion-MNIST training images, without labels"},
                                       {"run_id", std::to_string(context.runId())},
                                       // The cost of the pretraining that made these weights: this run's and that of the
                                       // weights it went on from (a resumed run's earlier parts are on its model card).
                                       {"pretraining_energy_wh", std::to_string(earlierWh + context.energyJ() / 3600.0)},
                                       {"pretraining_co2_g", std::to_string(earlierG + context.emissionsG())},
                                       {"workbench", QCoreApplication::applicationVersion().toStdString()}});
    }
    outcome.summary.insert(QStringLiteral("weights"), weightsPath);
    // The pretrained backbone is the run's model too: a feature extractor (no head), kept and
    // hashed like every run's, so another run can start from it.
    TrainedModel model;
    model.architecture = QStringLiteral("gw-mobilenet");
    model.input.mean = {pretrainer.inputMean()};
    model.input.std = {pretrainer.inputStd()};
    model.backbone = Safetensors::read(weightsPath).tensors;
    ModelArtifacts::keep(context, model, outcome.summary);
    if (parallel)
        reportHostsEnergy(*parallel, context, outcome.summary);
    return outcome;
}

} // namespace gw
