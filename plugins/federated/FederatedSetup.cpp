#include "FederatedSetup.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "config/RunParameters.h"

#include <nlohmann/json.hpp>
#include "jobs/DatasetEmbedding.h"
#include "jobs/ModelArtifacts.h"
#include "models/BackboneFactory.h"
#include "models/ImageTensors.h"
#include "util/Files.h"

#include <QDir>
#include <QJsonDocument>
#include <torch/torch.h>

namespace gw::federated {

QString textParameter(const RunConfig &config, const char *key)
{
    const nlohmann::json v = RunParameters::find(QString::fromLatin1(key))->get(config);
    return v.is_string() ? QString::fromStdString(v.get<std::string>()) : QString();
}

int ClientInputs::classes() const
{
    return std::max<int>(int(classNames.size()), int(trainY.max().item<std::int64_t>()) + 1);
}

/// The datasets as normalised grey images for the small CNN, loaded in the data window.
ClientInputs imageInputs(RunContext &context)
{
    const RunConfig &config = context.config();
    const MeasuredWindow loading(context, QStringLiteral("data"));
    InputSpec spec;
    if (config.model.inputSize)
        spec = InputSpec::ofShape(*config.model.inputSize, 0.0, 1.0);
    const Datasets data = loadDatasets(config, spec, context);
    if (config.dataset.kind == QStringLiteral("fashion-mnist") || !config.model.inputSize) {
        spec.rows = data.train.rows;
        spec.cols = data.train.cols;
    }
    spec.channels = 1; // the small CNN takes grey images; ImageTensors averages colour ones
    if (spec.rows % 4 != 0 || spec.cols % 4 != 0 || spec.rows < 4 || spec.cols < 4)
        throw Error(QStringLiteral("%1: images of %2x%3 pixels; the small CNN needs sides that are multiples of 4 (set model.input_size, e.g. "
                                   "[1, 28, 28])")
                        .arg(config.dataset.path)
                        .arg(spec.rows)
                        .arg(spec.cols));
    ClientInputs in;
    in.trainX = ImageTensors::batch(data.train, 0, data.train.size(), spec);
    const double mean = in.trainX.mean().item<double>(), std = std::max(1e-6, in.trainX.std().item<double>());
    in.trainX.sub_(mean).div_(std);
    in.testX = ImageTensors::batch(data.test, 0, data.test.size(), spec).sub_(mean).div_(std);
    in.trainY = ImageTensors::labels(data.train);
    in.testY = ImageTensors::labels(data.test);
    spec.mean = {mean};
    spec.std = {std};
    in.spec = spec;
    in.classNames = data.train.classNames;
    return in;
}

/// The datasets as standardised features of the frozen bundled backbone, through the embedding
/// cache (a warm cache computes nothing). Each client would compute its own samples' features once
/// and keep them; the statistics are those of all training features, which the clients' sums and
/// squares (one extra round) would give the server.
ClientInputs featureInputs(RunContext &context, QJsonObject &summary)
{
    const RunConfig &config = context.config();
    ClientInputs in;
    Datasets data;
    {
        const MeasuredWindow loading(context, QStringLiteral("data"));
        in.backbone = BackboneFactory::create(backboneSpec(config));
        data = loadDatasets(config, in.backbone->input(), context);
    }
    Embedder embedder(context, *in.backbone, EmbeddingCache(QDir(context.cacheDirectory()).filePath(QStringLiteral("embeddings"))), false);
    WorkProgress progress{0, double(data.train.size() + data.test.size()), QString()};
    const Embedded train = embedder.embed(data.train, progress);
    const Embedded test = train.features.defined() ? embedder.embed(data.test, progress) : Embedded{};
    if (!train.features.defined() || !test.features.defined())
        return in;
    reportEmbeddings(train, test, context, summary);
    in.featureMean = train.features.mean(0);
    in.featureStd = train.features.std(0).clamp_min(1e-6);
    in.trainX = (train.features - in.featureMean) / in.featureStd;
    in.testX = (test.features - in.featureMean) / in.featureStd;
    in.trainY = ImageTensors::labels(data.train);
    in.testY = ImageTensors::labels(data.test);
    in.classNames = data.train.classNames;
    return in;
}

StartingModel startingModel(RunContext &context, const ClientInputs &inputs, int classes)
{
    const RunConfig &config = context.config();
    if (inputs.overFeatures())
        return {FederatedModel::linearHead(int(inputs.trainX.size(1)), classes, config.seed),
                QStringLiteral("a linear head from seeded random weights over %1, frozen").arg(inputs.backbone->origin())};
    StartingModel start{FederatedModel::smallCnn(inputs.spec.rows, inputs.spec.cols, classes, config.seed),
                        QStringLiteral("small CNN from seeded random weights")};
    if (config.model.source != QStringLiteral("run") && config.model.source != QStringLiteral("safetensors"))
        return start;
    QString file = config.model.path;
    if (config.model.source == QStringLiteral("run")) {
        if (config.model.runId <= 0)
            throw Error(QStringLiteral("model.source 'run' needs model.run_id: the run whose kept small CNN the federation starts from"));
        file = context.inputArtifact(config.model.runId, QStringLiteral("model"), QStringLiteral("safetensors"));
    }
    const TrainedModel kept = ModelExport::readSafetensors(file);
    if (kept.architecture != ModelExport::kSmallCnn)
        throw Error::in(file, QStringLiteral("holds a %1 model; a federated run trains the small CNN (train one with the train kind, or start "
                                             "from scratch)")
                                  .arg(kept.architecture));
    start.model.loadStateDict(kept.backbone, file);
    start.origin = config.model.source == QStringLiteral("run") ? QStringLiteral("run %1's small CNN (%2)").arg(config.model.runId).arg(file) : file;
    return start;
}

LocalTraining localTrainingOf(const RunConfig &config)
{
    LocalTraining local;
    local.epochs = int(parameter<std::int64_t>(config, "federated.local_epochs"));
    local.batchSize = config.training.batchSize;
    local.learningRate = config.training.learningRate;
    if (parameter<std::string>(config, "federated.algorithm") == "fedprox")
        local.proximalMu = parameter<double>(config, "federated.mu");
    return local;
}

ServerOptimizer serverOptimizerOf(const RunConfig &config)
{
    const QString algorithm = QString::fromStdString(parameter<std::string>(config, "federated.algorithm"));
    const nlohmann::json lr = RunParameters::find(QStringLiteral("federated.server_lr"))->get(config);
    return ServerOptimizer(algorithm, lr.is_number() ? lr.get<double>() : ServerOptimizer::defaultLearningRate(algorithm),
                           parameter<double>(config, "federated.server_momentum"));
}

UpdateCodec codecOf(const RunConfig &config)
{
    return UpdateCodec(parameter<double>(config, "federated.top_k"), parameter<bool>(config, "federated.error_feedback"),
                       parameter<bool>(config, "federated.eight_bit"));
}

SelectionOptions selectionOf(const RunConfig &config, int perRound, int clients)
{
    SelectionOptions selection;
    selection.policy = QString::fromStdString(parameter<std::string>(config, "federated.selection"));
    selection.count = perRound;
    selection.overcommit = parameter<double>(config, "federated.overcommit");
    selection.fairnessFloor = parameter<double>(config, "federated.fairness_floor");
    selection.carbonExponent = parameter<double>(config, "federated.carbon_exponent");
    selection.totalClients = clients;
    return selection;
}

std::uint64_t localSeed(std::uint64_t seed, int round, int client)
{
    return seed * 1000003ULL + std::uint64_t(round) * 7919ULL + std::uint64_t(client);
}

void keepClientsTable(RunContext &context, const QJsonArray &described)
{
    const QString file = QDir(context.artifactDirectory()).filePath(QStringLiteral("clients.json"));
    AtomicFile::writeWhole(file, QJsonDocument(described).toJson(QJsonDocument::Indented), QStringLiteral("the clients' table"));
    context.recordArtifact(QStringLiteral("clients"), QStringLiteral("json"), file, 0);
}

void keepFinalModel(RunContext &context, FederatedModel &model, const torch::Tensor &global, const ClientInputs &inputs, QJsonObject &summary)
{
    model.setWeights(global);
    if (inputs.overFeatures()) {
        const NamedTensors head = model.stateDict();
        const auto tensor = [&head](const std::string &name) {
            return std::find_if(head.begin(), head.end(), [&name](const auto &entry) { return entry.first == name; })->second;
        };
        ModelArtifacts::keepClassifier(context, *inputs.backbone, inputs.featureMean, inputs.featureStd, tensor("weight"), tensor("bias"),
                                       inputs.classNames, summary);
        return;
    }
    TrainedModel kept;
    kept.architecture = ModelExport::kSmallCnn;
    kept.input = inputs.spec;
    kept.backbone = model.stateDict();
    kept.classNames = inputs.classNames;
    ModelArtifacts::keep(context, kept, summary);
}

} // namespace gw::federated
