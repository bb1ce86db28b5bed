#include "extension/BuiltinRunKinds.h"

#include "Error.h"
#include "distributed/StoreProtocol.h"
#include "activelearning/ActiveLearningWork.h"
#include "config/RunConfig.h"
#include "extension/RunKind.h"
#include "jobs/FineTuneWork.h"
#include "jobs/PretrainWork.h"
#include "jobs/ScratchTrainingWork.h"

namespace gw {

namespace {

const QString kEnergy = QStringLiteral("energy");

ResultMetric accuracyMetric()
{
    return {QStringLiteral("accuracy"), QStringLiteral("Test accuracy"), QString(), true, true};
}

/// Every kind's costs: what the run emitted and consumed.
std::vector<ResultMetric> withCosts(std::vector<ResultMetric> objectives)
{
    objectives.push_back({QStringLiteral("emissions_g"), QStringLiteral("Emissions"), QStringLiteral("g CO₂e"), false, false});
    objectives.push_back({QStringLiteral("energy_kwh"), QStringLiteral("Energy"), QStringLiteral("kWh"), false, false});
    return objectives;
}

/// Files a run reads must be named where its source or kind needs them.
/// training.hosts: with workers, a token file and an address to listen on.
void checkHosts(const RunConfig &config, const QString &origin)
{
    if (config.training.hostsWorkers <= 0)
        return;
    if (config.training.hostsTokenFile.isEmpty())
        throw Error::in(origin, QStringLiteral("'training.hosts.token_file' is required with training.hosts.workers: the file with the token the "
                                               "workers must prove they hold"));
    distributed::hostAndPort(config.training.hostsCoordinator, origin + QStringLiteral(" (training.hosts.coordinator)"));
}

void checkDataAndModel(const RunConfig &config, const QString &origin, bool readsModel)
{
    if (config.dataset.kind == QStringLiteral("image-folder") && config.dataset.path.isEmpty())
        throw Error::in(origin, QStringLiteral("'dataset.path' is required for dataset.kind 'image-folder'"));
    if (!readsModel)
        return;
    if ((config.model.source == QStringLiteral("safetensors") || config.model.source == QStringLiteral("torchscript")) && config.model.path.isEmpty())
        throw Error::in(origin, QStringLiteral("'model.path' is required for model.source '%1'").arg(config.model.source));
    if (config.model.source == QStringLiteral("run") && config.model.runId <= 0)
        throw Error::in(origin, QStringLiteral("'model.run_id' is required for model.source 'run' (a run id from green-workbench artifacts)"));
    if (config.model.source == QStringLiteral("torchscript") && !config.model.inputSize)
        throw Error::in(origin, QStringLiteral("'model.input_size' ([channels, height, width]) is required for model.source 'torchscript'"));
}

/// Kinds that reuse a backbone start from the bundled one with a linear probe on its features.
void probeOnTheBundledBackbone(RunConfig &config)
{
    config.training.mode = QStringLiteral("linear-probe");
    config.model.source = QStringLiteral("bundled");
}

class TrainKind : public RunKind {
public:
    QString id() const override { return QStringLiteral("train"); }
    QString title() const override { return QStringLiteral("Train a small CNN from scratch"); }
    QString description() const override
    {
        return QStringLiteral("Trains the small CNN from random weights on Fashion-MNIST: the baseline that reuses nothing.");
    }
    QStringList sharedKeys() const override
    {
        return {QStringLiteral("dataset"),          QStringLiteral("training.epochs"),       QStringLiteral("training.batch_size"),
                QStringLiteral("training.lr"),      QStringLiteral("training.weight_decay"), QStringLiteral("training.optimizer"),
                QStringLiteral("training.threads"), QStringLiteral("training.patience"),     QStringLiteral("training.green_stop"),
                QStringLiteral("training.hosts"),   kEnergy};
    }
    void applyDefaults(RunConfig &config) const override
    {
        config.training.mode = QStringLiteral("scratch");
        config.model.source = QStringLiteral("scratch");
    }
    void check(const RunConfig &config, const QString &origin) const override
    {
        checkDataAndModel(config, origin, false);
        if (config.dataset.kind != QStringLiteral("fashion-mnist"))
            throw Error::in(origin, QStringLiteral("a run of kind 'train' trains the small CNN on Fashion-MNIST; an image folder needs a backbone "
                                                   "(kind 'finetune')"));
        checkHosts(config, origin);
    }
    std::unique_ptr<RunWork> createWork(const RunConfig &) const override { return std::make_unique<ScratchTrainingWork>(); }
    std::vector<ResultMetric> resultMetrics() const override { return withCosts({accuracyMetric()}); }
};

class FineTuneKind : public RunKind {
public:
    QString id() const override { return QStringLiteral("finetune"); }
    QString title() const override { return QStringLiteral("Fine-tune a pretrained backbone"); }
    QString description() const override
    {
        return QStringLiteral("Reuses a pretrained backbone (bundled, safetensors or TorchScript): a linear probe on its cached features, "
                              "or fine-tuning of its last block or all of it, on a number of labels.");
    }
    QStringList sharedKeys() const override
    {
        return {QStringLiteral("dataset"), QStringLiteral("labels"), QStringLiteral("model"), QStringLiteral("training"), kEnergy};
    }
    void applyDefaults(RunConfig &config) const override { probeOnTheBundledBackbone(config); }
    void check(const RunConfig &config, const QString &origin) const override
    {
        if (config.training.mode == QStringLiteral("scratch"))
            throw Error::in(origin, QStringLiteral("training.mode 'scratch' trains the small CNN from random weights: that is a run of kind 'train' "
                                                   "(a fine-tuning run takes linear-probe, finetune-last or finetune-full)"));
        checkDataAndModel(config, origin, true);
        checkHosts(config, origin);
        const bool fittedProbe = config.training.mode == QStringLiteral("linear-probe") && config.training.probeSolver == QStringLiteral("lbfgs");
        if (fittedProbe && config.training.semiRatio > 0)
            throw Error::in(origin, QStringLiteral("training.semi_supervised needs steps to add the unlabelled images to: with a linear probe, set "
                                                   "training.probe_solver to 'epochs'"));
        if (fittedProbe && config.training.hostsWorkers > 0)
            throw Error::in(origin, QStringLiteral("training.probe_solver 'lbfgs' fits the probe in about a second on one host; across hosts, use "
                                                   "'epochs'"));
        if (config.labels.runId > 0 && config.labels.count > 0)
            throw Error::in(origin, QStringLiteral("labels.run_id takes every label run %1 gathered; labels.count (%2) cannot choose among them: "
                                                   "leave it at 0").arg(config.labels.runId).arg(config.labels.count));
        if (config.labels.runId > 0 && config.training.hostsWorkers > 0)
            throw Error::in(origin, QStringLiteral("labels.run_id reads the labels from this store, which the other hosts do not have; train on "
                                                   "one host"));
        if (config.training.semiRatio > 0 && config.training.hostsWorkers > 0)
            throw Error::in(origin, QStringLiteral("training.semi_supervised is not built across hosts yet (each host would need its own part of "
                                                   "the unlabelled pool); train on one host"));
    }
    std::unique_ptr<RunWork> createWork(const RunConfig &) const override { return std::make_unique<FineTuneWork>(); }
    std::vector<ResultMetric> resultMetrics() const override { return withCosts({accuracyMetric()}); }
};

class ActiveLearningKind : public RunKind {
public:
    QString id() const override { return QStringLiteral("active-learning"); }
    QString title() const override { return QStringLiteral("Active learning (label little but well)"); }
    QString description() const override
    {
        return QStringLiteral("A linear probe on a backbone's cached features, retrained round by round on the labels a query strategy asks "
                              "for, from a person or simulated from the dataset, until a budget or a stopping rule says stop.");
    }
    std::vector<RunParameterSection> ownSections() const override
    {
        return {{QStringLiteral("active_learning"), QStringLiteral("Active learning"), QStringLiteral("Active learning"), id()},
                {QStringLiteral("active_learning.stop"), QStringLiteral("Stopping rules"), QStringLiteral("Active learning"), id()}};
    }
    std::vector<RunParameter> ownParameters() const override { return RunParameters::activeLearningParameters(); }
    QStringList sharedKeys() const override
    {
        return {QStringLiteral("dataset"), QStringLiteral("model"), QStringLiteral("training.mode"), QStringLiteral("training.threads"), kEnergy};
    }
    void applyDefaults(RunConfig &config) const override { probeOnTheBundledBackbone(config); }
    void check(const RunConfig &config, const QString &origin) const override
    {
        checkDataAndModel(config, origin, true);
        if (config.training.mode != QStringLiteral("linear-probe"))
            throw Error::in(origin, QStringLiteral("active learning retrains a head on cached features each round: it needs training.mode 'linear-probe' (got '%1')")
                                        .arg(config.training.mode));
        const RunConfig::ActiveLearning &al = config.activeLearning;
        if (al.initial > al.budget)
            throw Error::in(origin, QStringLiteral("'active_learning.initial' (%1) is larger than 'active_learning.budget' (%2)").arg(al.initial).arg(al.budget));
    }
    std::unique_ptr<RunWork> createWork(const RunConfig &) const override { return std::make_unique<ActiveLearningWork>(); }
    std::vector<ResultMetric> resultMetrics() const override { return withCosts({accuracyMetric()}); }
};

class PretrainKind : public RunKind {
public:
    QString id() const override { return QStringLiteral("pretrain"); }
    QString title() const override { return QStringLiteral("Pretrain the backbone without labels"); }
    QString description() const override
    {
        return QStringLiteral("Self-supervised contrastive pretraining (SimCLR NT-Xent) of the bundled backbone on the Fashion-MNIST "
                              "training images, whose labels are never read; writes its weights with a model card of what they cost.");
    }
    std::vector<RunParameterSection> ownSections() const override
    {
        return {{QStringLiteral("pretrain"), QStringLiteral("Pretraining"), QStringLiteral("Pretraining"), id()}};
    }
    std::vector<RunParameter> ownParameters() const override { return RunParameters::pretrainParameters(); }
    QStringList sharedKeys() const override
    {
        return {QStringLiteral("dataset.path"),     QStringLiteral("dataset.train_subset"),  QStringLiteral("training.epochs"),
                QStringLiteral("training.batch_size"), QStringLiteral("training.lr"),        QStringLiteral("training.weight_decay"),
                QStringLiteral("training.threads"), QStringLiteral("training.hosts"),        kEnergy};
    }
    void applyDefaults(RunConfig &config) const override
    {
        const PretrainParams defaults;
        config.name = QStringLiteral("pretrain-gw-mobilenet");
        config.training.mode = QStringLiteral("pretrain");
        config.model.source = QStringLiteral("scratch");
        config.training.epochs = defaults.epochs;
        config.training.batchSize = defaults.batchSize;
        config.training.learningRate = defaults.learningRate;
        config.training.weightDecay = defaults.weightDecay;
        config.pretrain.temperature = defaults.temperature;
        config.pretrain.projectionDim = defaults.projectionDim;
    }
    void check(const RunConfig &config, const QString &origin) const override
    {
        if (config.training.batchSize < 2)
            throw Error::in(origin, QStringLiteral("'training.batch_size' must be at least 2 for pretraining: each image is contrasted with the others "
                                                   "of its batch (got %1)")
                                        .arg(config.training.batchSize));
        checkHosts(config, origin);
    }
    std::unique_ptr<RunWork> createWork(const RunConfig &) const override { return std::make_unique<PretrainWork>(); }
    std::vector<ResultMetric> resultMetrics() const override
    {
        return withCosts({{QStringLiteral("contrastive_loss"), QStringLiteral("Contrastive loss"), QString(), false, true}});
    }
};

} // namespace

std::vector<std::shared_ptr<const RunKind>> BuiltinRunKinds::create()
{
    return {std::make_shared<TrainKind>(), std::make_shared<FineTuneKind>(), std::make_shared<ActiveLearningKind>(), std::make_shared<PretrainKind>()};
}

} // namespace gw
