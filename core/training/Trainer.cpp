#include "training/Trainer.h"

#include "Error.h"
#include "distributed/DataParallel.h"
#include "models/SmallCnn.h"
#include "models/StateDict.h"
#include "models/TorchRuntime.h"

#include <QElapsedTimer>
#include <torch/torch.h>

namespace gw {

namespace {

struct Normalisation {
    double mean = 0;
    double std = 1;
};

// Statistics of the training images, applied to train and test alike.
Normalisation measure(const ImageDataset &data)
{
    double sum = 0, sumSq = 0;
    for (std::uint8_t p : data.pixels) {
        const double v = p / 255.0;
        sum += v;
        sumSq += v * v;
    }
    const double n = std::max<double>(1, double(data.pixels.size()));
    const double mean = sum / n;
    return {mean, std::sqrt(std::max(1e-12, sumSq / n - mean * mean))};
}

torch::Tensor imagesTensor(const ImageDataset &data, const Normalisation &norm)
{
    auto bytes = torch::from_blob(const_cast<std::uint8_t *>(data.pixels.data()),
                                  {data.size(), data.channels, data.rows, data.cols}, torch::kUInt8);
    return ((bytes.to(torch::kFloat32) / 255.0 - norm.mean) / norm.std).contiguous();
}

torch::Tensor labelsTensor(const ImageDataset &data)
{
    return torch::from_blob(const_cast<std::uint8_t *>(data.labels.data()), {data.size()}, torch::kUInt8).to(torch::kInt64);
}

std::unique_ptr<torch::optim::Optimizer> makeOptimizer(const TrainingParams &params, SmallCnn &model)
{
    if (params.optimizer == OptimizerKind::Sgd)
        return std::make_unique<torch::optim::SGD>(model->parameters(), torch::optim::SGDOptions(params.learningRate).momentum(0.9));
    return std::make_unique<torch::optim::Adam>(model->parameters(), torch::optim::AdamOptions(params.learningRate));
}

// Returns accuracy in 0..1, or a negative value when cancelled part-way.
double evaluate(SmallCnn &model, const torch::Tensor &x, const torch::Tensor &y, const std::atomic_bool &cancel)
{
    torch::NoGradGuard noGrad;
    model->eval();
    const std::int64_t n = x.size(0);
    std::int64_t correct = 0;
    for (std::int64_t start = 0; start < n; start += 1024) {
        if (cancel.load())
            return -1;
        const std::int64_t end = std::min(n, start + 1024);
        correct += model->forward(x.slice(0, start, end)).argmax(1).eq(y.slice(0, start, end)).sum().item<std::int64_t>();
    }
    model->train();
    return n > 0 ? double(correct) / double(n) : 0.0;
}

} // namespace

Trainer::Trainer(TrainingParams params) : params_(std::move(params))
{
    if (params_.epochs < 1 || params_.batchSize < 1 || !(params_.learningRate > 0))
        throw Error(QStringLiteral("training parameters out of range: epochs and batch size must be >= 1, learning rate > 0"));
}

TrainingOutcome Trainer::train(const ImageDataset &train, const ImageDataset &test, const std::atomic_bool &cancel,
                               const ProgressCallback &onProgress, const EpochCallback &onEpoch,
                               const PhaseCallback &onPhase, const TrainedCallback &onTrained) const
{
    // Ends an open phase on every way out, a cancel or an exception included.
    struct Phase {
        const PhaseCallback &callback;
        const char *name = nullptr;
        void begin(const char *phase)
        {
            end();
            name = phase;
            if (callback)
                callback(name, true);
        }
        void end()
        {
            if (name && callback)
                callback(name, false);
            name = nullptr;
        }
        ~Phase() { end(); }
    } phase{onPhase};

    if (train.size() == 0)
        throw Error(QStringLiteral("%1: the training set is empty").arg(train.name));
    if (train.rows % 4 != 0 || train.cols % 4 != 0 || train.rows < 4 || train.cols < 4)
        throw Error(QStringLiteral("%1: images of %2x%3 pixels; this model needs sides that are multiples of 4")
                        .arg(train.name).arg(train.rows).arg(train.cols));
    // SmallCnn's first convolution takes one channel; say so rather than fail inside LibTorch.
    if (train.channels != 1)
        throw Error(QStringLiteral("%1: images of %2 channels; this model takes 1-channel (grayscale) images")
                        .arg(train.name).arg(train.channels));
    if (test.size() > 0 && test.channels != train.channels)
        throw Error(QStringLiteral("%1: test images have %2 channels, training images %3")
                        .arg(test.name).arg(test.channels).arg(train.channels));
    if (test.size() > 0 && (test.rows != train.rows || test.cols != train.cols))
        throw Error(QStringLiteral("%1: test images are %2x%3, training images %4x%5")
                        .arg(test.name).arg(test.rows).arg(test.cols).arg(train.rows).arg(train.cols));

    TorchRuntime::prepareForWork(params_.threads);
    TorchRuntime::seed(params_.seed);
    const int classes = std::max(train.classCount(), int(*std::max_element(train.labels.begin(), train.labels.end())) + 1);
    SmallCnn model(train.rows, train.cols, classes);
    model->train();
    auto optimizer = makeOptimizer(params_, model);

    const Normalisation norm = measure(train);
    const torch::Tensor trainX = imagesTensor(train, norm);
    const torch::Tensor trainY = labelsTensor(train);
    const torch::Tensor testX = test.size() > 0 ? imagesTensor(test, norm) : torch::Tensor();
    const torch::Tensor testY = test.size() > 0 ? labelsTensor(test) : torch::Tensor();

    TrainingOutcome outcome;
    TrainingProgress progress;
    progress.epochs = params_.epochs;
    progress.samplesTotal = train.size() * params_.epochs;
    progress.workTotal = double(progress.samplesTotal) + double(test.size()) * params_.epochs * TrainingProgress::kEvalWorkPerSample;
    const std::int64_t n = train.size();

    for (int epoch = 1; epoch <= params_.epochs; ++epoch) {
        QElapsedTimer clock;
        clock.start();
        progress.epoch = epoch;
        phase.begin("train");
        const torch::Tensor order = torch::randperm(n, torch::kInt64);
        double lossSum = 0;
        std::int64_t correct = 0;
        for (std::int64_t start = 0; start < n; start += params_.batchSize) {
            if (cancel.load()) {
                outcome.cancelled = true;
                return outcome;
            }
            const torch::Tensor index = order.slice(0, start, std::min(n, start + params_.batchSize));
            // Across hosts, this process's part of the batch; its loss is the part's sum over the
            // whole batch's size, so the summed gradients are those of the whole batch's mean.
            const torch::Tensor mine = parallel_ ? parallel_->shard(index) : index;
            const torch::Tensor x = trainX.index_select(0, mine);
            const torch::Tensor y = trainY.index_select(0, mine);
            optimizer->zero_grad();
            const torch::Tensor logits = model->forward(x);
            const torch::Tensor loss =
                torch::nn::functional::cross_entropy(logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum)) / double(index.size(0));
            loss.backward();
            if (parallel_)
                parallel_->sumGradients(model->parameters());
            optimizer->step();

            const double batchLoss = loss.item<double>() * double(index.size(0)) / double(std::max<std::int64_t>(1, mine.size(0)));
            lossSum += loss.item<double>() * double(index.size(0));
            correct += logits.argmax(1).eq(y).sum().item<std::int64_t>();
            progress.samplesDone += index.size(0);
            progress.workDone += double(index.size(0));
            progress.batchLoss = batchLoss;
            outcome.samplesSeen = progress.samplesDone;
            if (onProgress)
                onProgress(progress);
        }
        if (parallel_) { // every process's part of the epoch
            const std::vector<double> all = parallel_->sum({lossSum, double(correct)});
            lossSum = all[0];
            correct = std::int64_t(all[1]);
        }
        EpochResult result;
        result.epoch = epoch;
        result.trainLoss = lossSum / double(n);
        result.trainAccuracy = double(correct) / double(n);
        if (test.size() > 0) {
            phase.begin("eval");
            if (parallel_) { // each process its part of the test set, the correct counts summed
                const torch::Tensor part = parallel_->shard(torch::arange(testX.size(0), torch::kInt64));
                const double accuracy = evaluate(model, testX.index_select(0, part), testY.index_select(0, part), cancel);
                const double correct = accuracy < 0 ? -1e18 : accuracy * double(part.numel());
                result.testAccuracy = parallel_->sum({correct}).front() / double(testX.size(0));
            } else {
                result.testAccuracy = evaluate(model, testX, testY, cancel);
            }
            if (result.testAccuracy < 0) {
                outcome.cancelled = true;
                return outcome;
            }
            progress.workDone += double(test.size()) * TrainingProgress::kEvalWorkPerSample;
        }
        phase.end();
        result.durationS = clock.nsecsElapsed() / 1e9;
        outcome.epochs.push_back(result);
        outcome.testAccuracy = result.testAccuracy;
        if (onEpoch)
            onEpoch(result);
    }
    if (onTrained)
        onTrained(stateDictOf(*model), norm.mean, norm.std);
    return outcome;
}

} // namespace gw
