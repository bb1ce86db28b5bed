#include "jobs/PretrainWork.h"

#include "config/RunConfig.h"
#include "data/FashionMnist.h"

#include <QCoreApplication>

namespace gw {

PretrainWork::PretrainWork(PretrainParams params, QString weightsPath) : params_(params), weightsPath_(std::move(weightsPath)) {}

WorkOutcome PretrainWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    ImageDataset images;
    {
        const PhaseScope data(context, QStringLiteral("data"));
        images = FashionMnist::load(config.dataset.path, FashionMnist::Split::Train).subset(config.dataset.trainSubset, config.seed);
    }
    context.workStarts();
    ContrastivePretrainer pretrainer(params_);
    PretrainOutcome trained;
    {
        const PhaseScope train(context, QStringLiteral("train"));
        trained = pretrainer.train(
            images, context.cancelFlag(), [&context](const TrainingProgress &p) { context.progress(p); },
            [&context](int epoch, double loss) { context.metric(epoch, QStringLiteral("contrastive_loss"), loss); });
    }
    WorkOutcome outcome;
    outcome.cancelled = trained.cancelled;
    outcome.labelsUsed = 0; // self-supervised: no label is read
    outcome.summary.insert(QStringLiteral("model_source"), QStringLiteral("pretrain"));
    if (trained.cancelled)
        return outcome;
    {
        const PhaseScope exporting(context, QStringLiteral("export"));
        pretrainer.save(weightsPath_, {{"objective", "SimCLR NT-Xent"},
                                       {"temperature", std::to_string(params_.temperature)},
                                       {"epochs", std::to_string(params_.epochs)},
                                       {"batch_size", std::to_string(params_.batchSize)},
                                       {"seed", std::to_string(params_.seed)},
                                       {"images", std::to_string(images.size())},
                                       {"dataset", "Fashion-MNIST training images, without labels"},
                                       {"run_id", std::to_string(context.runId())},
                                       {"workbench", QCoreApplication::applicationVersion().toStdString()}});
    }
    outcome.summary.insert(QStringLiteral("weights"), weightsPath_);
    return outcome;
}

} // namespace gw
