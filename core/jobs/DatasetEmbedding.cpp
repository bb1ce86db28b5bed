#include "jobs/DatasetEmbedding.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "data/DatasetFingerprint.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"
#include "models/ImageTensors.h"
#include "models/ModelExport.h"

#include <QElapsedTimer>
#include <torch/torch.h>

namespace gw {

BackboneSpec backboneSpec(const RunConfig &config)
{
    BackboneSpec spec;
    spec.source = config.model.source;
    spec.architecture = config.model.architecture;
    spec.path = config.model.path;
    spec.featureModule = config.model.featureModule;
    spec.seed = config.seed;
    if (config.model.inputSize) // without statistics of their own, inputs are centred on the middle grey
        spec.input = InputSpec::ofShape(*config.model.inputSize, 0.5, 0.5);
    return spec;
}

namespace {

ImageDataset loadFolder(const QString &path, const InputSpec &input, RunContext &context)
{
    ImageFolderOptions options;
    options.rows = input.rows;
    options.cols = input.cols;
    options.channels = input.channels == 1 ? 1 : 3;
    const ImageFolderResult result = ImageFolder::load(path, options);
    for (const ImageFolderSkip &skip : result.skipped)
        context.notice(QStringLiteral("skipped %1: %2").arg(skip.path, skip.reason));
    if (result.dataset.classCount() < 2)
        throw Error(QStringLiteral("%1: fine-tuning needs a labelled image folder (one subfolder per class, at least two)").arg(path));
    return result.dataset;
}

} // namespace

Datasets loadDatasets(const RunConfig &config, const InputSpec &input, RunContext &context)
{
    Datasets d;
    if (config.dataset.kind == QStringLiteral("fashion-mnist")) {
        d.train = FashionMnist::load(config.dataset.path, FashionMnist::Split::Train);
        d.test = FashionMnist::load(config.dataset.path, FashionMnist::Split::Test);
    } else if (!config.dataset.testPath.isEmpty()) {
        d.train = loadFolder(config.dataset.path, input, context);
        d.test = loadFolder(config.dataset.testPath, input, context);
        if (d.test.classNames != d.train.classNames)
            throw Error(QStringLiteral("%1: its classes (%2) differ from those of %3 (%4)")
                            .arg(config.dataset.testPath, d.test.classNames.join(QStringLiteral(", ")), config.dataset.path,
                                 d.train.classNames.join(QStringLiteral(", "))));
    } else {
        // No test folder: a seeded, stratified fifth of the images is held out for testing.
        std::tie(d.train, d.test) = loadFolder(config.dataset.path, input, context).stratifiedSplit(0.2, config.seed);
        // A class of one image keeps it for training: with only such classes nothing is left to test on.
        if (d.test.size() == 0)
            throw Error(QStringLiteral("%1: too few images to hold out a test set (%2 images in %3 classes; a class needs at least 2 "
                                       "images to lend one to the test set): add images or give dataset.test_path")
                            .arg(config.dataset.path)
                            .arg(d.train.size())
                            .arg(d.train.classNames.size()));
    }
    if (d.train.size() == 0 || d.test.size() == 0)
        throw Error(QStringLiteral("%1: no %2 images").arg(config.dataset.path, d.train.size() == 0 ? QStringLiteral("training") : QStringLiteral("test")));
    d.train = trainingSubset(d.train, config, context);
    return d;
}

ImageDataset trainingSubset(const ImageDataset &all, const RunConfig &config, RunContext &context)
{
    const std::int64_t wanted = config.dataset.trainSubset;
    if (wanted > all.size())
        context.notice(QStringLiteral("dataset.train_subset %1 is more than the %2 training images of %3: all %2 are used")
                           .arg(wanted)
                           .arg(all.size())
                           .arg(all.name));
    return all.subset(wanted, config.seed);
}

Embedder::Embedder(RunContext &context, Backbone &backbone, EmbeddingCache cache, bool half)
    : context_(context), backbone_(backbone), cache_(std::move(cache)), half_(half)
{
}

Embedded Embedder::embed(const ImageDataset &data, WorkProgress &progress)
{
    const EmbeddingKey key{backbone_.contentHash(), DatasetFingerprint::fromDataset(data), ImageTensors::describe(data, backbone_.input())};
    try {
        if (std::optional<CachedEmbeddings> cached = cache_.find(key)) {
            Embedded out{cached->features, true, cached->cost};
            if (out.features.size(0) == data.size())
                return out;
            context_.notice(QStringLiteral("%1: %2 rows for a dataset of %3; computing again").arg(cached->path).arg(out.features.size(0)).arg(data.size()));
        }
    } catch (const Error &e) {
        context_.notice(QStringLiteral("%1; computing the embeddings again").arg(e.message()));
    }
    Embedded out;
    double energyBeforeJ = 0, emissionsBeforeG = 0;
    QElapsedTimer clock;
    {
        // The cost is read outside the window's edges, which take a sample each, so it equals
        // what the store attributes to this "embed" window.
        const MeasuredWindow phase(context_, QStringLiteral("embed"));
        energyBeforeJ = context_.energyJ();
        emissionsBeforeG = context_.emissionsG();
        clock.start();
        torch::NoGradGuard noGrad;
        backbone_.setTraining(false);
        std::vector<torch::Tensor> parts;
        for (std::int64_t first = 0; first < data.size(); first += kInferenceBatch) {
            if (context_.cancelFlag().load())
                return {};
            const std::int64_t count = std::min(kInferenceBatch, data.size() - first);
            parts.push_back(backbone_.forward(ImageTensors::batch(data, first, count, backbone_.input())).to(torch::kFloat32));
            progress.done += double(count) * kForwardWork;
            progress.message = QStringLiteral("computing the features of %1: %2 of %3 images").arg(data.name).arg(first + count).arg(data.size());
            context_.progress(progress);
        }
        out.features = torch::cat(parts, 0);
    }
    out.cost = {context_.energyJ() - energyBeforeJ, context_.emissionsG() - emissionsBeforeG, clock.nsecsElapsed() / 1e9,
                context_.runId(), context_.energySource()};
    try {
        cache_.store(key, out.features, out.cost, half_);
    } catch (const Error &e) {
        context_.notice(QStringLiteral("%1 (the run goes on without caching)").arg(e.message()));
    }
    // Later runs read the stored precision; this one should too, so a hit and a miss agree.
    if (half_)
        out.features = out.features.to(torch::kFloat16).to(torch::kFloat32);
    return out;
}

PreparedWork prepareBackboneAndData(RunContext &context, QJsonObject &summary)
{
    const RunConfig &config = context.config();
    summary.insert(QStringLiteral("model_source"), config.model.source);
    summary.insert(QStringLiteral("training_mode"), config.training.mode);
    PreparedWork prepared;
    {
        const MeasuredWindow phase(context, QStringLiteral("data"));
        BackboneSpec spec = backboneSpec(config);
        if (config.model.source == QStringLiteral("run")) {
            // Another run's kept model, checked against the hash the store recorded for it.
            try {
                spec.path = context.inputArtifact(config.model.runId, QStringLiteral("model"), QStringLiteral("safetensors"));
            } catch (const Error &e) {
                throw Error(QStringLiteral("model.run_id %1: %2").arg(config.model.runId).arg(e.message()));
            }
            spec.source = QStringLiteral("artifact");
            spec.origin = QStringLiteral("run %1's model (%2)").arg(config.model.runId).arg(spec.path);
            const TrainedModel kept = ModelExport::readSafetensors(spec.path);
            if (kept.architecture == ModelExport::kTorchScript) {
                // A model on an imported TorchScript backbone: its TorchScript artifact holds that
                // module (as the run left it) as a submodule, which becomes this run's backbone.
                spec.source = QStringLiteral("torchscript");
                spec.path = context.inputArtifact(config.model.runId, QStringLiteral("model"), QStringLiteral("torchscript"));
                spec.featureModule = ModelExport::kScriptedBackboneName;
                spec.input = kept.input;
            }
        }
        prepared.backbone = BackboneFactory::create(spec);
        prepared.data = loadDatasets(config, prepared.backbone->input(), context);
    }
    summary.insert(QStringLiteral("model_origin"), prepared.backbone->origin());
    return prepared;
}

void reportEmbeddings(const Embedded &train, const Embedded &test, RunContext &context, QJsonObject &summary)
{
    const bool hit = train.hit && test.hit;
    summary.insert(QStringLiteral("embedding_cache"), hit ? QStringLiteral("hit") : QStringLiteral("miss"));
    // What the embeddings cost when they were computed: spent once, by the run that computed them.
    const double reusedJ = (train.hit ? train.cost.energyJ : 0) + (test.hit ? test.cost.energyJ : 0);
    summary.insert(QStringLiteral("embedding_energy_kwh"), (train.cost.energyJ + test.cost.energyJ) / 3.6e6);
    summary.insert(QStringLiteral("embedding_energy_reused_kwh"), reusedJ / 3.6e6);
    summary.insert(QStringLiteral("embedding_energy_source"), train.cost.energySource);
    if (train.hit)
        summary.insert(QStringLiteral("embedding_computed_by_run"), double(train.cost.runId));
    context.metric(0, QStringLiteral("embedding_cache_hit"), hit ? 1 : 0);
    context.metric(0, QStringLiteral("embedding_energy_reused_j"), reusedJ);
    // Compare shows (and may charge) what another run paid for, and says which run that was.
    context.metric(0, QStringLiteral("embedding_emissions_reused_g"), (train.hit ? train.cost.emissionsG : 0) + (test.hit ? test.cost.emissionsG : 0));
    if (train.hit && train.cost.runId > 0)
        context.metric(0, QStringLiteral("embedding_computed_by_run"), double(train.cost.runId));
}

QString sampleKey(const ImageDataset &data, std::int64_t index)
{
    if (index < data.sourcePaths.size())
        return data.sourcePaths.at(int(index));
    return QStringLiteral("%1/%2").arg(data.name).arg(index);
}

} // namespace gw
