#include "jobs/ScratchTrainingWork.h"

#include "config/RunConfig.h"
#include "data/FashionMnist.h"
#include "jobs/DatasetEmbedding.h"
#include "jobs/HostsTraining.h"
#include "jobs/ModelArtifacts.h"
#include "jobs/TrainingReport.h"

namespace gw {

ScratchTrainingWork::ScratchTrainingWork() = default;
ScratchTrainingWork::ScratchTrainingWork(std::shared_ptr<distributed::DataParallel> parallel) : parallel_(std::move(parallel)) {}
ScratchTrainingWork::~ScratchTrainingWork() = default;

WorkOutcome ScratchTrainingWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    ImageDataset train, test;
    {
        const MeasuredWindow data(context, QStringLiteral("data"));
        train = trainingSubset(FashionMnist::load(config.dataset.path, FashionMnist::Split::Train), config, context);
        test = FashionMnist::load(config.dataset.path, FashionMnist::Split::Test);
    }
    const std::shared_ptr<distributed::DataParallel> parallel = parallel_ ? parallel_ : hostWorkersIfAsked(context);
    context.workStarts();
    const auto onPhase = [&context](const char *phase, bool begins) {
        if (begins)
            context.beginWindow(QString::fromLatin1(phase));
        else
            context.endWindow();
    };
    TrainingReport report(context);
    TrainedModel model;
    Trainer trainer(config.training);
    trainer.setDataParallel(parallel.get());
    const TrainingOutcome trained = trainer.train(
        train, test, context.cancelFlag(), report.progressCallback(), report.epochCallback(config.training.epochs), onPhase,
        [&model, &train](const NamedTensors &weights, double mean, double std) {
            model.architecture = ModelExport::kSmallCnn;
            model.input = InputSpec{1, train.rows, train.cols, {mean}, {std}};
            model.backbone = weights;
            model.classNames = train.classNames;
        });

    WorkOutcome outcome;
    outcome.cancelled = trained.cancelled;
    if (!trained.epochs.empty())
        outcome.accuracy = trained.testAccuracy;
    outcome.labelsUsed = train.size();
    outcome.summary.insert(QStringLiteral("model_source"), config.model.source);
    if (!trained.cancelled && !model.backbone.empty())
        ModelArtifacts::keep(context, model, outcome.summary);
    if (parallel)
        reportHostsEnergy(*parallel, context, outcome.summary);
    return outcome;
}

} // namespace gw
