#include "jobs/FineTuneWork.h"

#include "distributed/DataParallel.h"
#include "jobs/HostsTraining.h"
#include "jobs/LabelChoice.h"
#include "jobs/ModelArtifacts.h"
#include "jobs/SemiSupervisedLoss.h"

#include "activelearning/ProbeHead.h"

#include "Error.h"
#include "util/Files.h"
#include "config/RunConfig.h"
#include "jobs/DatasetEmbedding.h"
#include "jobs/TrainingReport.h"
#include "models/ImageTensors.h"
#include "models/TorchRuntime.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QJsonArray>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw {

namespace {

// Work units for progress and prediction, in backbone forward passes: a backward pass costs about
// two forwards; a linear head is a rounding error beside a backbone.
constexpr double kTrainStepWork = 3.0;
constexpr double kHeadOnlyWork = 0.002;

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

/// Standardised features of @p indices, in inference batches, without gradients.
torch::Tensor standardised(FeatureSource &source, const torch::Tensor &indices, bool test, const torch::Tensor &mean, const torch::Tensor &std)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> parts;
    for (std::int64_t first = 0; first < indices.numel(); first += kInferenceBatch)
        parts.push_back((source.features(indices.slice(0, first, std::min(indices.numel(), first + kInferenceBatch)), test) - mean) / std);
    return parts.empty() ? torch::empty({0, mean.size(0)}) : torch::cat(parts, 0).to(torch::kFloat32);
}

/// The linear probe fitted full-batch by L-BFGS on every label, with the L2 penalty whose head is
/// the most accurate in 3-fold cross-validation on the labels (the validation split's included).
/// Seconds on 1,000 labels, with no learning rate or epoch count to guess, and the penalty keeps
/// 1,000 labels from being overfitted.
void fitProbeByPenalty(RunContext &context, FeatureSource &source, const LabelSplit &labelled, const torch::Tensor &trainLabels, std::int64_t classes,
                       const torch::Tensor &mean, const torch::Tensor &std, std::uint64_t seed, torch::nn::Linear &head, WorkOutcome &outcome)
{
    ProbeHead::Options options;
    options.seed = seed;
    // The validation split's labels join the folds: every label is held out once.
    const torch::Tensor all = torch::cat({labelled.train, labelled.validation});
    const ProbeHead::PenaltyChoice choice =
        ProbeHead::choosePenalty(standardised(source, all, false, mean, std), trainLabels.index_select(0, all), classes, options);
    {
        torch::NoGradGuard noGrad;
        head->weight.copy_(choice.weight);
        head->bias.copy_(choice.bias);
    }
    QJsonArray tried;
    for (std::size_t i = 0; i < choice.tried.size(); ++i) {
        const auto &[penalty, accuracy] = choice.tried[i];
        tried.append(QJsonObject{{QStringLiteral("weight_decay"), penalty}, {QStringLiteral("val_accuracy"), accuracy}});
        context.metric(qint64(i) + 1, QStringLiteral("probe_val_accuracy"), accuracy);
    }
    outcome.summary.insert(QStringLiteral("probe_solver"), QStringLiteral("lbfgs"));
    outcome.summary.insert(QStringLiteral("probe_weight_decay"), choice.weightDecay);
    outcome.summary.insert(QStringLiteral("probe_penalties"), tried);
    outcome.summary.insert(QStringLiteral("best_val_accuracy"), choice.validationAccuracy);
    context.notice(QStringLiteral("linear probe: L2 penalty %1 chosen (%2 accuracy in 3-fold cross-validation on the %3 labels), fitted on all of them")
                       .arg(choice.weightDecay)
                       .arg(choice.validationAccuracy, 0, 'f', 4)
                       .arg(all.numel()));
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
        // Serialised into memory, then written whole (AtomicFile): LibTorch's own file writer throws
        // from a destructor on a full disk, which ends the process; a kill or a full disk here
        // leaves the previous checkpoint as it was.
        QByteArray bytes;
        archive.save_to([&bytes](const void *data, std::size_t size) {
            bytes.append(static_cast<const char *>(data), qsizetype(size));
            return size;
        });
        AtomicFile::writeWhole(path, bytes, QStringLiteral("the checkpoint"));
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

FineTuneWork::FineTuneWork() = default;
FineTuneWork::FineTuneWork(std::shared_ptr<distributed::DataParallel> parallel) : parallel_(std::move(parallel)) {}
FineTuneWork::~FineTuneWork() = default;

WorkOutcome FineTuneWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    const TrainingParams &params = config.training;
    const bool probe = params.mode == QStringLiteral("linear-probe");
    WorkOutcome outcome;

    TorchRuntime::seed(config.seed);
    PreparedWork prepared = prepareBackboneAndData(context, outcome.summary);
    const std::unique_ptr<Backbone> backbone = std::move(prepared.backbone);
    const Datasets data = std::move(prepared.data);
    QString labelOrigin;
    const LabelSplit labelled = labelsOfRun(data.train, config, context.database(), &labelOrigin);
    if (!labelOrigin.isEmpty()) {
        context.notice(labelOrigin);
        outcome.summary.insert(QStringLiteral("labels_of_run"), double(config.labels.runId));
    }
    outcome.labelsUsed = labelled.train.numel() + labelled.validation.numel();
    const torch::Tensor &trainLabels = labelled.labels;
    const torch::Tensor testLabels = ImageTensors::labels(data.test);
    const torch::Tensor testIndices = torch::arange(data.test.size(), torch::kInt64);
    const int classes = std::max(data.train.classCount(), int(trainLabels.max().item<std::int64_t>()) + 1);
    const std::shared_ptr<distributed::DataParallel> parallel = parallel_ ? parallel_ : hostWorkersIfAsked(context);
    context.workStarts();

    TrainingReport report(context);
    TrainingProgress progress;
    progress.epochs = params.epochs;
    progress.samplesTotal = labelled.train.numel() * params.epochs;
    // The test set is evaluated after every epoch only when asked; else once, on the weights kept
    // (the fitted probe's path below tests its one head either way).
    const std::int64_t testedEachEpoch = params.testEachEpoch ? data.test.size() : 0;
    const std::int64_t testedAtTheEnd = params.testEachEpoch ? 0 : data.test.size();
    std::unique_ptr<FeatureSource> source;
    if (probe) {
        progress.workTotal = double(data.train.size() + data.test.size()) * kForwardWork +
                             double(params.epochs) * double(labelled.train.numel() + labelled.validation.numel() + testedEachEpoch) * kHeadOnlyWork +
                             double(testedAtTheEnd) * kHeadOnlyWork;
        Embedder embedder(context, *backbone, EmbeddingCache(QDir(context.cacheDirectory()).filePath(QStringLiteral("embeddings"))),
                          config.model.cacheDtype == QStringLiteral("float16"));
        WorkProgress embedding{progress.workDone, progress.workTotal, QString()};
        const Embedded train = embedder.embed(data.train, embedding);
        const Embedded test = train.features.defined() ? embedder.embed(data.test, embedding) : Embedded{};
        progress.workDone = embedding.done;
        if (!train.features.defined() || !test.features.defined()) {
            outcome.cancelled = true;
            return outcome;
        }
        reportEmbeddings(train, test, context, outcome.summary);
        source = std::make_unique<CachedFeatures>(train.features, test.features);
    } else {
        outcome.summary.insert(QStringLiteral("embedding_cache"), QStringLiteral("none"));
        progress.workTotal = double(params.epochs) * (double(labelled.train.numel()) * kTrainStepWork +
                                                      double(labelled.validation.numel() + testedEachEpoch) * kForwardWork) +
                             double(testedAtTheEnd) * kForwardWork;
        source = std::make_unique<BackboneFeatures>(*backbone, data);
    }

    // Features are standardised with the labelled training samples' statistics: a linear head
    // then trains well with one learning rate whatever the backbone's scale.
    torch::Tensor mean, std;
    if (labelled.train.numel() == 0)
        throw Error(QStringLiteral("%1: no labelled training samples are left after the validation split; use more images or labels")
                        .arg(data.train.name));
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
    if (probe && params.probeSolver == QStringLiteral("lbfgs")) {
        EpochResult result;
        result.epoch = 1;
        {
            const MeasuredWindow phase(context, QStringLiteral("train"));
            fitProbeByPenalty(context, *source, labelled, trainLabels, classes, mean, std, config.seed, head, outcome);
        }
        {
            const MeasuredWindow phase(context, QStringLiteral("eval"));
            torch::NoGradGuard noGrad;
            const torch::Tensor labelledAll = torch::cat({labelled.train, labelled.validation});
            const torch::Tensor logits = head->forward(standardised(*source, labelledAll, false, mean, std));
            const torch::Tensor y = trainLabels.index_select(0, labelledAll);
            result.trainLoss = torch::nn::functional::cross_entropy(logits, y).item<double>();
            result.trainAccuracy = logits.argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
            result.testAccuracy = accuracy(*source, head, mean, std, testIndices, testLabels, true);
        }
        progress.epoch = progress.epochs = 1;
        progress.workDone = progress.workTotal;
        report.progress(progress);
        report.epochFinished(result, 1);
        outcome.accuracy = result.testAccuracy;
        ModelArtifacts::keepClassifier(context, *backbone, mean, std, head->weight, head->bias, data.train.classNames, outcome.summary);
        return outcome;
    }
    std::vector<torch::Tensor> trainable = head->parameters();
    if (!probe)
        for (const torch::Tensor &p : backbone->parameters(params.mode == QStringLiteral("finetune-last")))
            trainable.push_back(p);
    std::unique_ptr<torch::optim::Optimizer> optimizer;
    if (params.optimizer == OptimizerKind::Sgd)
        optimizer = std::make_unique<torch::optim::SGD>(trainable, torch::optim::SGDOptions(params.learningRate).momentum(0.9).weight_decay(params.weightDecay));
    else
        optimizer = std::make_unique<torch::optim::AdamW>(trainable, torch::optim::AdamWOptions(params.learningRate).weight_decay(params.weightDecay));

    // FixMatch: the training images without a label are the unlabelled pool.
    std::unique_ptr<SemiSupervisedLoss> semi;
    if (params.semiRatio > 0) {
        const torch::Tensor isLabelled = torch::zeros({data.train.size()}, torch::kBool);
        isLabelled.index_fill_(0, torch::cat({labelled.train, labelled.validation}), true);
        semi = std::make_unique<SemiSupervisedLoss>(params, data.train, backbone->input(), isLabelled.logical_not().nonzero().flatten(), config.seed + 1);
        // Per labelled sample: ratio pool images, a forward without gradients (weak view) and a
        // training step (strong view; through a frozen backbone, a forward and the head's step); a
        // probe's labelled image itself then takes a forward too (its weak view).
        const double perLabelled = params.semiRatio * (kForwardWork + (probe ? kForwardWork : kTrainStepWork)) + (probe ? kForwardWork : 0.0);
        progress.workTotal += double(params.epochs) * double(labelled.train.numel()) * perLabelled;
    }
    bool semiOn = semi != nullptr;
    const auto throughTheModel = [&](const torch::Tensor &images) {
        torch::Tensor features;
        if (probe) { // the frozen backbone needs no gradients
            torch::NoGradGuard noGrad;
            features = backbone->forward(images);
        } else {
            features = backbone->forward(images);
        }
        return head->forward((features - mean) / std);
    };

    const bool validate = labelled.validation.numel() > 0;
    // Accuracy on @p indices; across hosts each process evaluates its part and the correct counts are summed.
    const auto shared = [&](const torch::Tensor &indices, const torch::Tensor &labels, bool test) {
        if (!parallel)
            return accuracy(*source, head, mean, std, indices, labels, test);
        const torch::Tensor part = parallel->shard(indices);
        const double correct = accuracy(*source, head, mean, std, part, labels, test) * double(part.numel());
        return parallel->sum({correct}).front() / double(std::max<std::int64_t>(1, indices.numel()));
    };
    // What the best epoch's snapshot and a checkpoint hold: the trained tensors and, when the
    // backbone's batch norms learn their statistics (finetune-full), those running statistics too;
    // else the weights kept would be one epoch's under another epoch's statistics.
    std::vector<torch::Tensor> kept = trainable;
    if (params.mode == QStringLiteral("finetune-full"))
        for (const auto &[name, tensor] : backbone->stateDict())
            if (QString::fromStdString(name).endsWith(QStringLiteral(".running_mean")) || QString::fromStdString(name).endsWith(QStringLiteral(".running_var")))
                kept.push_back(tensor);
    // best: trainable tensors at the best validation accuracy; history: (energy J, validation accuracy) per epoch.
    TrainingState state;
    if (!context.resumeCheckpointPath().isEmpty() && !QFileInfo::exists(context.resumeCheckpointPath())) {
        // Killed before its first epoch ended, the run left nothing to go on from: it starts over,
        // which loses nothing but the time it had spent.
        context.notice(QStringLiteral("%1: no checkpoint (the run stopped before its first epoch ended); training starts from epoch 1")
                           .arg(context.resumeCheckpointPath()));
    } else if (!context.resumeCheckpointPath().isEmpty()) {
        state = TrainingState::load(context.resumeCheckpointPath(), kept, *optimizer);
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
    // Early and green stopping may end the run before its last epoch: the prediction is then an
    // upper bound, with the least the run can still come to beside it.
    const bool earlyStop = validate && params.patience > 0;
    const bool greenStop = validate && params.greenStopMinGainPerWh.has_value();
    progress.mayEndEarly = earlyStop || greenStop;
    const double finalTestWork = double(testedAtTheEnd) * source->workPerSample(false);
    const double workPerEpoch =
        params.epochs > state.epoch ? (progress.workTotal - finalTestWork - progress.workDone) / double(params.epochs - state.epoch) : 0;
    for (int epoch = state.epoch + 1; epoch <= params.epochs; ++epoch) {
        QElapsedTimer clock;
        clock.start();
        progress.epoch = epoch;
        if (progress.mayEndEarly) {
            int leastEpochs = params.epochs - epoch + 1; // this one included
            if (earlyStop)
                leastEpochs = std::min(leastEpochs, std::max(1, params.patience - sinceBest));
            if (greenStop)
                leastEpochs = std::min(leastEpochs, std::max(1, params.greenStopEpochs + 1 - int(history.size())));
            progress.leastWorkTotal = progress.workDone + double(leastEpochs) * workPerEpoch;
        }
        EpochResult result;
        result.epoch = epoch;
        {
            const MeasuredWindow phase(context, QStringLiteral("train"));
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
                // Across hosts, this process's part of the batch; the loss is its part's sum over the
                // whole batch's size, so the summed gradients are those of the whole batch's mean.
                const torch::Tensor mine = parallel ? parallel->shard(batch) : batch;
                const torch::Tensor y = trainLabels.index_select(0, mine);
                if (semiOn && params.semiBudgetWh && context.energyJ() / 3600.0 >= *params.semiBudgetWh) {
                    semiOn = false;
                    context.notice(QStringLiteral("semi-supervised: the energy budget of %1 Wh is used up in epoch %2; the labels alone from here")
                                       .arg(*params.semiBudgetWh)
                                       .arg(epoch));
                    outcome.summary.insert(QStringLiteral("semi_supervised_budget_reached_epoch"), epoch);
                }
                optimizer->zero_grad();
                // With FixMatch the labelled images get the weak augmentation too, through the
                // backbone (a probe's included), so the head learns on the views it pseudo-labels.
                const torch::Tensor logits = semiOn
                                                 ? throughTheModel(semi->weakly(ImageTensors::select(data.train, mine, backbone->input())))
                                                 : head->forward((source->features(mine, false) - mean) / std);
                torch::Tensor loss = torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) /
                                     double(batch.numel());
                if (semiOn)
                    loss = loss + semi->next(mine.numel(), throughTheModel);
                loss.backward();
                if (parallel)
                    parallel->sumGradients(trainable);
                optimizer->step();
                lossSum += loss.item<double>() * double(batch.numel());
                correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
                progress.samplesDone += batch.numel();
                progress.workDone += double(batch.numel()) * source->workPerSample(true);
                progress.batchLoss = loss.item<double>() * double(batch.numel()) / double(std::max<std::int64_t>(1, mine.numel()));
                report.progress(progress);
            }
            if (parallel) { // every process's part of the epoch
                const std::vector<double> all = parallel->sum({lossSum, double(correct)});
                lossSum = all[0];
                correct = std::int64_t(all[1]);
            }
            result.trainLoss = lossSum / double(std::max<std::int64_t>(1, n));
            result.trainAccuracy = double(correct) / double(std::max<std::int64_t>(1, n));
        }
        double validation = 0;
        {
            const MeasuredWindow phase(context, QStringLiteral("eval"));
            backbone->setTraining(false);
            validation = shared(labelled.validation, trainLabels, false);
            result.testAccuracy = params.testEachEpoch ? shared(testIndices, testLabels, true) : std::nan("");
            progress.workDone += double(labelled.validation.numel() + testedEachEpoch) * source->workPerSample(false);
        }
        result.durationS = clock.nsecsElapsed() / 1e9;
        if (validate)
            context.metric(epoch, QStringLiteral("val_accuracy"), validation);
        report.epochFinished(result, params.epochs);

        state.epoch = epoch;
        const bool tested = !std::isnan(result.testAccuracy);
        if (!validate) {
            if (tested)
                outcome.accuracy = state.bestTestAccuracy = result.testAccuracy;
            state.save(context.checkpointPath(), kept, *optimizer);
            continue;
        }
        bool stop = false;
        if (validation > bestValidation) {
            bestValidation = validation;
            sinceBest = 0;
            best.clear();
            for (const torch::Tensor &t : kept)
                best.push_back(t.detach().clone());
            if (tested)
                outcome.accuracy = state.bestTestAccuracy = result.testAccuracy;
        } else if (params.patience > 0 && ++sinceBest >= params.patience) {
            context.notice(QStringLiteral("early stop after epoch %1: no better validation accuracy for %2 epochs").arg(epoch).arg(params.patience));
            stop = true;
        }
        history.emplace_back(context.energyJ(), validation);
        state.save(context.checkpointPath(), kept, *optimizer);
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
        for (std::size_t i = 0; i < kept.size(); ++i)
            kept[i].copy_(best[i]);
        outcome.summary.insert(QStringLiteral("best_val_accuracy"), bestValidation);
    }
    if (semi)
        outcome.summary.insert(QStringLiteral("semi_supervised"), semi->summary());
    // The result is the test accuracy of the weights kept, measured on them (once more when a curve
    // was asked for and the best epoch's weights came back).
    if (!outcome.cancelled && (!params.testEachEpoch || !best.empty())) {
        const MeasuredWindow phase(context, QStringLiteral("eval"));
        backbone->setTraining(false);
        outcome.accuracy = shared(testIndices, testLabels, true);
        progress.workDone += finalTestWork;
        report.progress(progress);
    }
    // Without a validation split there is no best epoch: the last one's weights are the model.
    if (!outcome.cancelled)
        ModelArtifacts::keepClassifier(context, *backbone, mean, std, head->weight, head->bias, data.train.classNames, outcome.summary);
    if (parallel)
        reportHostsEnergy(*parallel, context, outcome.summary);
    return outcome;
}

} // namespace gw
