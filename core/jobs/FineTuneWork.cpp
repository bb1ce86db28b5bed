#include "jobs/FineTuneWork.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "data/DatasetFingerprint.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"
#include "models/BackboneFactory.h"
#include "models/EmbeddingCache.h"
#include "models/ImageTensors.h"
#include "models/TorchRuntime.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw {

namespace {

constexpr std::int64_t kInferenceBatch = 256;
// Work units for progress and prediction, in backbone forward passes: a backward pass costs about
// two forwards; a linear head is a rounding error beside a backbone.
constexpr double kForwardWork = 1.0;
constexpr double kTrainStepWork = 3.0;
constexpr double kHeadOnlyWork = 0.002;

struct Datasets {
    ImageDataset train, test;
};

BackboneSpec backboneSpec(const RunConfig &config)
{
    BackboneSpec spec;
    spec.source = config.model.source;
    spec.architecture = config.model.architecture;
    spec.path = config.model.path;
    spec.featureModule = config.model.featureModule;
    spec.seed = config.seed;
    if (config.model.inputSize) {
        InputSpec input;
        input.channels = (*config.model.inputSize)[0];
        input.rows = (*config.model.inputSize)[1];
        input.cols = (*config.model.inputSize)[2];
        // Without statistics of their own, inputs are centred on the middle grey.
        input.mean.assign(std::size_t(input.channels), 0.5);
        input.std.assign(std::size_t(input.channels), 0.5);
        spec.input = input;
    }
    return spec;
}

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
    }
    if (config.dataset.trainSubset > 0)
        d.train = d.train.subset(config.dataset.trainSubset, config.seed);
    return d;
}

/// Which training samples carry a label in this run, and which of those validate.
struct LabelSplit {
    torch::Tensor train; ///< int64 indices into the training set
    torch::Tensor validation;
};

LabelSplit chooseLabels(const ImageDataset &train, const RunConfig &config)
{
    std::vector<std::int64_t> order(std::size_t(train.size()));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(config.seed);
    std::shuffle(order.begin(), order.end(), rng);
    const std::int64_t count = config.labels.count > 0 ? std::min(config.labels.count, train.size()) : train.size();
    order.resize(std::size_t(count));
    const auto validation = std::int64_t(std::llround(double(count) * config.training.validationFraction));
    // Early stopping on fewer than ten samples would follow noise.
    const std::int64_t held = validation >= 10 && validation < count ? validation : 0;
    std::vector<std::int64_t> val(order.begin(), order.begin() + held);
    std::vector<std::int64_t> fit(order.begin() + held, order.end());
    std::sort(val.begin(), val.end());
    std::sort(fit.begin(), fit.end());
    return {torch::tensor(fit, torch::kInt64), torch::tensor(val, torch::kInt64)};
}

/// Features of a whole dataset, from the cache or computed (and then cached).
struct Embedded {
    torch::Tensor features;
    bool hit = false;
    EmbeddingCost cost;
};

class Embedder {
public:
    Embedder(RunContext &context, Backbone &backbone, EmbeddingCache cache, bool half)
        : context_(context), backbone_(backbone), cache_(std::move(cache)), half_(half)
    {
    }

    /// Features of @p data; @p progress counts forwarded images.
    Embedded embed(const ImageDataset &data, TrainingProgress &progress)
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
            const PhaseScope phase(context_, QStringLiteral("embed"));
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
                progress.workDone += double(count) * kForwardWork;
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

private:
    RunContext &context_;
    Backbone &backbone_;
    EmbeddingCache cache_;
    bool half_;
};

/// What the head sees: either cached features (linear probe) or images through the backbone.
class FeatureSource {
public:
    virtual ~FeatureSource() = default;
    /// Features of samples @p indices of the training, or of the test set.
    virtual torch::Tensor features(const torch::Tensor &indices, bool test) = 0;
    virtual double workPerSample(bool training) const = 0;
};

class CachedFeatures : public FeatureSource {
public:
    CachedFeatures(torch::Tensor train, torch::Tensor test) : train_(std::move(train)), test_(std::move(test)) {}
    torch::Tensor features(const torch::Tensor &indices, bool test) override { return (test ? test_ : train_).index_select(0, indices); }
    double workPerSample(bool) const override { return kHeadOnlyWork; }

private:
    torch::Tensor train_, test_;
};

class BackboneFeatures : public FeatureSource {
public:
    BackboneFeatures(Backbone &backbone, const Datasets &data) : backbone_(backbone), data_(data) {}
    torch::Tensor features(const torch::Tensor &indices, bool test) override
    {
        return backbone_.forward(ImageTensors::select(test ? data_.test : data_.train, indices, backbone_.input()));
    }
    double workPerSample(bool training) const override { return training ? kTrainStepWork : kForwardWork; }

private:
    Backbone &backbone_;
    const Datasets &data_;
};

/// Accuracy of head(normalise(features)) over @p indices, without gradients.
double accuracy(FeatureSource &source, torch::nn::Linear &head, const torch::Tensor &mean, const torch::Tensor &std,
                const torch::Tensor &indices, const torch::Tensor &labels, bool test)
{
    if (indices.numel() == 0)
        return 0;
    torch::NoGradGuard noGrad;
    std::int64_t correct = 0;
    for (std::int64_t first = 0; first < indices.numel(); first += kInferenceBatch) {
        const torch::Tensor part = indices.slice(0, first, std::min(indices.numel(), first + kInferenceBatch));
        const torch::Tensor logits = head->forward((source.features(part, test) - mean) / std);
        correct += logits.argmax(1).eq(labels.index_select(0, part)).sum().item<std::int64_t>();
    }
    return double(correct) / double(indices.numel());
}

/// The training state after an epoch, so a killed run can go on from there (run --resume).
struct TrainingState {
    int epoch = 0;
    double bestValidation = -1;
    int sinceBest = 0;
    std::vector<torch::Tensor> best;
    std::vector<std::pair<double, double>> history;
    std::optional<double> bestTestAccuracy;

    void save(const QString &path, const std::vector<torch::Tensor> &trainable, torch::optim::Optimizer &optimizer) const
    {
        QDir().mkpath(QFileInfo(path).absolutePath());
        torch::serialize::OutputArchive archive;
        archive.write("epoch", torch::tensor(std::int64_t(epoch)));
        archive.write("best_validation", torch::tensor(bestValidation, torch::kFloat64));
        archive.write("since_best", torch::tensor(std::int64_t(sinceBest)));
        archive.write("best_test_accuracy", torch::tensor(bestTestAccuracy.value_or(-1.0), torch::kFloat64));
        for (std::size_t i = 0; i < trainable.size(); ++i)
            archive.write("trainable." + std::to_string(i), trainable[i].detach());
        for (std::size_t i = 0; i < best.size(); ++i)
            archive.write("best." + std::to_string(i), best[i]);
        std::vector<double> flat;
        for (const auto &h : history)
            flat.insert(flat.end(), {h.first, h.second});
        archive.write("history", torch::tensor(flat, torch::kFloat64));
        torch::serialize::OutputArchive optimizerArchive;
        optimizer.save(optimizerArchive);
        archive.write("optimizer", optimizerArchive);
        // Written beside, then renamed: a kill while saving leaves the previous checkpoint whole.
        const QString partial = path + QStringLiteral(".partial");
        archive.save_to(partial.toStdString());
        if (std::rename(partial.toLocal8Bit().constData(), path.toLocal8Bit().constData()) != 0)
            throw Error(QStringLiteral("%1: cannot write the checkpoint").arg(path));
    }

    static TrainingState load(const QString &path, const std::vector<torch::Tensor> &trainable, torch::optim::Optimizer &optimizer)
    {
        if (!QFileInfo::exists(path))
            throw Error(QStringLiteral("%1: no checkpoint to resume from (fine-tuning runs write one after each epoch)").arg(path));
        TrainingState state;
        try {
            torch::serialize::InputArchive archive;
            archive.load_from(path.toStdString());
            // A fresh tensor per entry: reading into a defined tensor would resize it in place.
            const auto entry = [&archive](const std::string &key) {
                torch::Tensor t;
                archive.read(key, t);
                return t;
            };
            state.epoch = int(entry("epoch").item<std::int64_t>());
            state.bestValidation = entry("best_validation").item<double>();
            state.sinceBest = int(entry("since_best").item<std::int64_t>());
            if (const double testAccuracy = entry("best_test_accuracy").item<double>(); testAccuracy >= 0)
                state.bestTestAccuracy = testAccuracy;
            torch::NoGradGuard noGrad;
            for (std::size_t i = 0; i < trainable.size(); ++i) {
                const torch::Tensor t = entry("trainable." + std::to_string(i));
                if (!t.sizes().equals(trainable[i].sizes()))
                    throw Error(QStringLiteral("%1: checkpoint tensor %2 does not fit this model").arg(path).arg(i));
                trainable[i].copy_(t);
            }
            if (state.bestValidation >= 0)
                for (std::size_t i = 0; i < trainable.size(); ++i)
                    state.best.push_back(entry("best." + std::to_string(i)).clone());
            const torch::Tensor history = entry("history").contiguous();
            for (std::int64_t i = 0; i + 1 < history.numel(); i += 2)
                state.history.emplace_back(history[i].item<double>(), history[i + 1].item<double>());
            torch::serialize::InputArchive optimizerArchive;
            archive.read("optimizer", optimizerArchive);
            optimizer.load(optimizerArchive);
        } catch (const c10::Error &e) {
            throw Error(QStringLiteral("%1: not a checkpoint of this run: %2").arg(path, QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
        }
        return state;
    }
};

} // namespace

WorkOutcome FineTuneWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    const TrainingParams &params = config.training;
    const bool probe = params.mode == QStringLiteral("linear-probe");
    WorkOutcome outcome;
    outcome.summary.insert(QStringLiteral("model_source"), config.model.source);
    outcome.summary.insert(QStringLiteral("training_mode"), params.mode);

    TorchRuntime::seed(config.seed);
    std::unique_ptr<Backbone> backbone;
    Datasets data;
    {
        const PhaseScope phase(context, QStringLiteral("data"));
        backbone = BackboneFactory::create(backboneSpec(config));
        data = loadDatasets(config, backbone->input(), context);
    }
    outcome.summary.insert(QStringLiteral("model_origin"), backbone->origin());
    const LabelSplit labelled = chooseLabels(data.train, config);
    outcome.labelsUsed = labelled.train.numel() + labelled.validation.numel();
    const torch::Tensor trainLabels = ImageTensors::labels(data.train);
    const torch::Tensor testLabels = ImageTensors::labels(data.test);
    const torch::Tensor testIndices = torch::arange(data.test.size(), torch::kInt64);
    const int classes = std::max(data.train.classCount(), int(trainLabels.max().item<std::int64_t>()) + 1);
    context.workStarts();

    TrainingProgress progress;
    progress.epochs = params.epochs;
    progress.samplesTotal = labelled.train.numel() * params.epochs;
    std::unique_ptr<FeatureSource> source;
    if (probe) {
        progress.workTotal = double(data.train.size() + data.test.size()) * kForwardWork +
                             double(params.epochs) * double(labelled.train.numel() + labelled.validation.numel() + data.test.size()) * kHeadOnlyWork;
        Embedder embedder(context, *backbone, EmbeddingCache(QDir(context.cacheDirectory()).filePath(QStringLiteral("embeddings"))),
                          config.model.cacheDtype == QStringLiteral("float16"));
        const Embedded train = embedder.embed(data.train, progress);
        const Embedded test = train.features.defined() ? embedder.embed(data.test, progress) : Embedded{};
        if (!train.features.defined() || !test.features.defined()) {
            outcome.cancelled = true;
            return outcome;
        }
        const bool hit = train.hit && test.hit;
        outcome.summary.insert(QStringLiteral("embedding_cache"), hit ? QStringLiteral("hit") : QStringLiteral("miss"));
        // What the embeddings cost when they were computed: spent once, by the run that computed them.
        const double reusedJ = (train.hit ? train.cost.energyJ : 0) + (test.hit ? test.cost.energyJ : 0);
        outcome.summary.insert(QStringLiteral("embedding_energy_kwh"), (train.cost.energyJ + test.cost.energyJ) / 3.6e6);
        outcome.summary.insert(QStringLiteral("embedding_energy_reused_kwh"), reusedJ / 3.6e6);
        outcome.summary.insert(QStringLiteral("embedding_energy_source"), train.cost.energySource);
        if (train.hit)
            outcome.summary.insert(QStringLiteral("embedding_computed_by_run"), double(train.cost.runId));
        context.metric(0, QStringLiteral("embedding_cache_hit"), hit ? 1 : 0);
        context.metric(0, QStringLiteral("embedding_energy_reused_j"), reusedJ);
        source = std::make_unique<CachedFeatures>(train.features, test.features);
    } else {
        outcome.summary.insert(QStringLiteral("embedding_cache"), QStringLiteral("none"));
        progress.workTotal = double(params.epochs) * (double(labelled.train.numel()) * kTrainStepWork +
                                                      double(labelled.validation.numel() + data.test.size()) * kForwardWork);
        source = std::make_unique<BackboneFeatures>(*backbone, data);
    }

    // Features are standardised with the labelled training samples' statistics: a linear head
    // then trains well with one learning rate whatever the backbone's scale.
    torch::Tensor mean, std;
    {
        torch::NoGradGuard noGrad;
        backbone->setTraining(false);
        std::vector<torch::Tensor> parts;
        for (std::int64_t first = 0; first < labelled.train.numel(); first += kInferenceBatch)
            parts.push_back(source->features(labelled.train.slice(0, first, std::min(labelled.train.numel(), first + kInferenceBatch)), false));
        const torch::Tensor all = torch::cat(parts, 0);
        mean = all.mean(0);
        std = all.std(0).clamp_min(1e-6);
    }

    torch::nn::Linear head(backbone->featureDim(), classes);
    std::vector<torch::Tensor> trainable = head->parameters();
    if (!probe)
        for (const torch::Tensor &p : backbone->parameters(params.mode == QStringLiteral("finetune-last")))
            trainable.push_back(p);
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (params.optimizer == OptimizerKind::Sgd)
        optimizer = std::make_unique<torch::optim::SGD>(trainable, torch::optim::SGDOptions(params.learningRate).momentum(0.9).weight_decay(params.weightDecay));
    else
        optimizer = std::make_unique<torch::optim::AdamW>(trainable, torch::optim::AdamWOptions(params.learningRate).weight_decay(params.weightDecay));

    const bool validate = labelled.validation.numel() > 0;
    // best: trainable tensors at the best validation accuracy; history: (energy J, validation accuracy) per epoch.
    TrainingState state;
    if (!context.resumeCheckpointPath().isEmpty()) {
        state = TrainingState::load(context.resumeCheckpointPath(), trainable, *optimizer);
        context.notice(QStringLiteral("resumed after epoch %1 from %2").arg(state.epoch).arg(context.resumeCheckpointPath()));
        progress.samplesDone = labelled.train.numel() * state.epoch;
        progress.workDone += double(state.epoch) * (progress.workTotal - progress.workDone) / double(params.epochs);
        outcome.accuracy = state.bestTestAccuracy;
        // Energy restarts with this run: gains per Wh are measured on its own epochs.
        state.history.clear();
    }
    double &bestValidation = state.bestValidation;
    int &sinceBest = state.sinceBest;
    std::vector<torch::Tensor> &best = state.best;
    std::vector<std::pair<double, double>> &history = state.history;
    const std::int64_t n = labelled.train.numel();
    for (int epoch = state.epoch + 1; epoch <= params.epochs; ++epoch) {
        QElapsedTimer clock;
        clock.start();
        progress.epoch = epoch;
        EpochResult result;
        result.epoch = epoch;
        {
            const PhaseScope phase(context, QStringLiteral("train"));
            backbone->setTraining(params.mode == QStringLiteral("finetune-full"));
            const torch::Tensor order = labelled.train.index_select(0, torch::randperm(n, torch::kInt64));
            double lossSum = 0;
            std::int64_t correct = 0;
            for (std::int64_t first = 0; first < n; first += params.batchSize) {
                if (context.cancelFlag().load()) {
                    outcome.cancelled = true;
                    return outcome;
                }
                const torch::Tensor batch = order.slice(0, first, std::min(n, first + params.batchSize));
                const torch::Tensor y = trainLabels.index_select(0, batch);
                optimizer->zero_grad();
                const torch::Tensor logits = head->forward((source->features(batch, false) - mean) / std);
                const torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y);
                loss.backward();
                optimizer->step();
                lossSum += loss.item<double>() * double(batch.numel());
                correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
                progress.samplesDone += batch.numel();
                progress.workDone += double(batch.numel()) * source->workPerSample(true);
                progress.batchLoss = loss.item<double>();
                context.progress(progress);
            }
            result.trainLoss = lossSum / double(std::max<std::int64_t>(1, n));
            result.trainAccuracy = double(correct) / double(std::max<std::int64_t>(1, n));
        }
        double validation = 0;
        {
            const PhaseScope phase(context, QStringLiteral("eval"));
            backbone->setTraining(false);
            validation = accuracy(*source, head, mean, std, labelled.validation, trainLabels, false);
            result.testAccuracy = accuracy(*source, head, mean, std, testIndices, testLabels, true);
            progress.workDone += double(labelled.validation.numel() + data.test.size()) * source->workPerSample(false);
        }
        result.durationS = clock.nsecsElapsed() / 1e9;
        if (validate)
            context.metric(epoch, QStringLiteral("val_accuracy"), validation);
        context.epochFinished(result, params.epochs);

        state.epoch = epoch;
        if (!validate) {
            outcome.accuracy = result.testAccuracy;
            state.bestTestAccuracy = result.testAccuracy;
            state.save(context.checkpointPath(), trainable, *optimizer);
            continue;
        }
        bool stop = false;
        if (validation > bestValidation) {
            bestValidation = validation;
            sinceBest = 0;
            best.clear();
            for (const torch::Tensor &t : trainable)
                best.push_back(t.detach().clone());
            outcome.accuracy = result.testAccuracy;
            state.bestTestAccuracy = result.testAccuracy;
        } else if (params.patience > 0 && ++sinceBest >= params.patience) {
            context.notice(QStringLiteral("early stop after epoch %1: no better validation accuracy for %2 epochs").arg(epoch).arg(params.patience));
            stop = true;
        }
        history.emplace_back(context.energyJ(), validation);
        state.save(context.checkpointPath(), trainable, *optimizer);
        if (stop)
            break;
        const int k = params.greenStopEpochs;
        if (params.greenStopMinGainPerWh && int(history.size()) > k) {
            const auto &now = history.back();
            const auto &then = history[history.size() - 1 - std::size_t(k)];
            const double gainPerWh = (now.second - then.second) / std::max(1e-9, (now.first - then.first) / 3600.0);
            if (gainPerWh < *params.greenStopMinGainPerWh) {
                context.notice(QStringLiteral("converged (green): validation accuracy rose %1 points per Wh over the last %2 epochs, below %3")
                                   .arg(gainPerWh * 100, 0, 'f', 3).arg(k).arg(*params.greenStopMinGainPerWh * 100, 0, 'f', 3));
                outcome.status = QStringLiteral("converged_green");
                break;
            }
        }
    }
    if (!best.empty()) {
        // The weights of the best validation epoch are the result, and their test accuracy with them.
        torch::NoGradGuard noGrad;
        for (std::size_t i = 0; i < trainable.size(); ++i)
            trainable[i].copy_(best[i]);
        outcome.summary.insert(QStringLiteral("best_val_accuracy"), bestValidation);
    }
    return outcome;
}

} // namespace gw
