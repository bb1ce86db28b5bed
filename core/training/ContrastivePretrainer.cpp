#include "training/ContrastivePretrainer.h"

#include "Error.h"
#include "util/Files.h"
#include "distributed/DataParallel.h"
#include "models/GwMobileNet.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"
#include "models/TorchRuntime.h"
#include "training/Augmentations.h"

#include <QDir>
#include <QFileInfo>
#include <torch/torch.h>
#include <cmath>

namespace gw {

namespace {

/// NT-Xent: for 2N embeddings where i and i+N are views of one image, cross-entropy of picking the
/// partner among the 2N-1 others by cosine similarity / temperature.
torch::Tensor ntXent(const torch::Tensor &z1, const torch::Tensor &z2, double temperature)
{
    const std::int64_t n = z1.size(0);
    const torch::Tensor z = torch::nn::functional::normalize(torch::cat({z1, z2}, 0), torch::nn::functional::NormalizeFuncOptions().dim(1));
    torch::Tensor logits = torch::mm(z, z.t()) / temperature;
    logits = logits.masked_fill(torch::eye(2 * n, torch::kBool), -1e9); // an image is not its own partner
    const torch::Tensor partner = torch::cat({torch::arange(n, 2 * n), torch::arange(0, n)}).to(torch::kInt64);
    return torch::nn::functional::cross_entropy(logits, partner);
}

} // namespace

struct ContrastivePretrainer::State {
    GwMobileNet backbone{1};
    torch::nn::Sequential projection{nullptr};
    double mean = 0.5;
    double std = 0.5;
};

namespace {

/// Serialised into memory, then written whole (AtomicFile): a kill or a full disk while writing
/// leaves the previous checkpoint as it was.
void writeArchive(torch::serialize::OutputArchive &archive, const QString &path)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QByteArray bytes;
    archive.save_to([&bytes](const void *data, std::size_t size) {
        bytes.append(static_cast<const char *>(data), qsizetype(size));
        return size;
    });
    AtomicFile::writeWhole(path, bytes, QStringLiteral("the pretraining checkpoint"));
}

} // namespace

void ContrastivePretrainer::saveCheckpoint(const QString &path, State &s, torch::optim::Optimizer &optimizer, const torch::Generator &gen, int epoch,
                                           std::int64_t step, const std::vector<double> &losses) const
{
    torch::serialize::OutputArchive archive, backbone, projection, optimizerState;
    s.backbone->save(backbone);
    s.projection->save(projection);
    optimizer.save(optimizerState);
    archive.write("backbone", backbone);
    archive.write("projection", projection);
    archive.write("optimizer", optimizerState);
    archive.write("generator", gen.get_state());
    archive.write("epoch", torch::tensor(std::int64_t(epoch)));
    archive.write("step", torch::tensor(step));
    archive.write("losses", torch::tensor(losses, torch::kFloat64));
    archive.write("recipe", torch::tensor({std::int64_t(params_.batchSize), std::int64_t(params_.projectionDim), std::int64_t(params_.seed)}));
    writeArchive(archive, path);
}

int ContrastivePretrainer::loadCheckpoint(const QString &path, State &s, torch::optim::Optimizer &optimizer, torch::Generator &gen, std::int64_t &step,
                                          std::vector<double> &losses) const
{
    if (!QFileInfo::exists(path))
        throw Error(QStringLiteral("%1: no checkpoint to resume from (pretraining writes one after each epoch)").arg(path));
    try {
        torch::serialize::InputArchive archive, backbone, projection, optimizerState;
        archive.load_from(path.toStdString());
        const auto entry = [&archive](const std::string &key) {
            torch::Tensor t;
            archive.read(key, t);
            return t;
        };
        const torch::Tensor recipe = entry("recipe");
        if (recipe[0].item<std::int64_t>() != params_.batchSize || recipe[1].item<std::int64_t>() != params_.projectionDim ||
            std::uint64_t(recipe[2].item<std::int64_t>()) != params_.seed)
            throw Error(QStringLiteral("%1: a checkpoint of another recipe (batch size, projection or seed differ)").arg(path));
        archive.read("backbone", backbone);
        archive.read("projection", projection);
        archive.read("optimizer", optimizerState);
        s.backbone->load(backbone);
        s.projection->load(projection);
        optimizer.load(optimizerState);
        gen.set_state(entry("generator"));
        step = entry("step").item<std::int64_t>();
        const torch::Tensor l = entry("losses").contiguous();
        losses.assign(l.data_ptr<double>(), l.data_ptr<double>() + l.numel());
        const int epoch = int(entry("epoch").item<std::int64_t>());
        if (epoch > params_.epochs)
            throw Error(QStringLiteral("%1: the checkpoint is after epoch %2, beyond the %3 epochs asked for").arg(path).arg(epoch).arg(params_.epochs));
        return epoch;
    } catch (const c10::Error &e) {
        throw Error(QStringLiteral("%1: not a pretraining checkpoint: %2").arg(path, QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
    }
}

ContrastivePretrainer::ContrastivePretrainer(PretrainParams params) : params_(params)
{
    if (params_.epochs < 1 || params_.batchSize < 2 || !(params_.learningRate > 0) || !(params_.temperature > 0))
        throw Error(QStringLiteral("pretraining parameters out of range: epochs >= 1, batch size >= 2, learning rate and temperature > 0"));
}

ContrastivePretrainer::~ContrastivePretrainer() = default;

void ContrastivePretrainer::setInitialWeights(std::vector<std::pair<std::string, at::Tensor>> weights, QString origin)
{
    initial_ = std::move(weights);
    initialOrigin_ = std::move(origin);
}

PretrainOutcome ContrastivePretrainer::train(const ImageDataset &images, const std::atomic_bool &cancel,
                                             const std::function<void(const TrainingProgress &)> &onProgress,
                                             const std::function<void(int, double)> &onEpoch)
{
    if (images.channels != 1)
        throw Error(QStringLiteral("%1: the bundled backbone is pretrained on single-channel images").arg(images.name));
    if (images.size() < params_.batchSize)
        throw Error(QStringLiteral("%1: %2 images are fewer than one batch of %3").arg(images.name).arg(images.size()).arg(params_.batchSize));
    TorchRuntime::seed(params_.seed);
    state_ = std::make_unique<State>();
    State &s = *state_;
    s.projection = torch::nn::Sequential(torch::nn::Linear(GwMobileNetImpl::kFeatureDim, GwMobileNetImpl::kFeatureDim), torch::nn::ReLU(),
                                         torch::nn::Linear(GwMobileNetImpl::kFeatureDim, params_.projectionDim));
    torch::Generator gen = at::detail::createCPUGenerator(params_.seed);
    if (!initial_.empty())
        loadStateDict(*s.backbone, initial_, initialOrigin_);

    const torch::Tensor all = torch::from_blob(const_cast<std::uint8_t *>(images.pixels.data()), {images.size(), 1, images.rows, images.cols},
                                               torch::kUInt8)
                                  .to(torch::kFloat32)
                                  .div_(255.0);
    s.mean = all.mean().item<double>();
    s.std = all.std().item<double>();

    std::vector<torch::Tensor> parameters = s.backbone->parameters();
    for (const torch::Tensor &p : s.projection->parameters())
        parameters.push_back(p);
    torch::optim::AdamW optimizer(parameters, torch::optim::AdamWOptions(params_.learningRate).weight_decay(params_.weightDecay));
    const std::int64_t n = images.size();
    const std::int64_t batchesPerEpoch = n / params_.batchSize; // a short last batch would weaken the loss
    const std::int64_t totalSteps = batchesPerEpoch * params_.epochs;
    std::int64_t step = 0;

    PretrainOutcome outcome;
    TrainingProgress progress;
    progress.epochs = params_.epochs;
    progress.samplesTotal = batchesPerEpoch * params_.batchSize * params_.epochs;
    progress.workTotal = double(progress.samplesTotal);
    int firstEpoch = 1;
    if (!resumeFrom_.isEmpty()) {
        firstEpoch = loadCheckpoint(resumeFrom_, s, optimizer, gen, step, outcome.epochLoss) + 1;
        resumedAfter_ = firstEpoch - 1;
        progress.samplesDone = outcome.samplesSeen = std::int64_t(resumedAfter_) * batchesPerEpoch * params_.batchSize;
        progress.workDone = double(progress.samplesDone);
    }
    s.backbone->train();
    s.projection->train();
    for (int epoch = firstEpoch; epoch <= params_.epochs; ++epoch) {
        progress.epoch = epoch;
        const torch::Tensor order = torch::randperm(n, gen, torch::kInt64);
        double lossSum = 0;
        for (std::int64_t b = 0; b < batchesPerEpoch; ++b) {
            if (cancel.load()) {
                outcome.cancelled = true;
                return outcome;
            }
            // Cosine learning-rate decay: large steps while the features form, small ones at the end.
            const double lr = params_.learningRate * 0.5 * (1.0 + std::cos(M_PI * double(step) / double(totalSteps)));
            for (auto &group : optimizer.param_groups())
                static_cast<torch::optim::AdamWOptions &>(group.options()).lr(lr);
            const torch::Tensor batch = all.index_select(0, order.slice(0, b * params_.batchSize, (b + 1) * params_.batchSize));
            const torch::Tensor v1 = (Augmentations::contrastiveView(batch, gen) - s.mean) / s.std;
            const torch::Tensor v2 = (Augmentations::contrastiveView(batch, gen) - s.mean) / s.std;
            optimizer.zero_grad();
            torch::Tensor loss;
            if (parallel_) {
                // Across hosts: every process makes the whole batch's views (the same generator,
                // so the same ones), passes its own part through the network, and takes the loss of
                // the whole batch with the other parts' projections gathered; its gradients are its
                // rows' share of the whole loss's, summed over the processes. Batch norm sees only
                // its own part (as PyTorch's DDP without SyncBatchNorm).
                const std::int64_t total = batch.size(0);
                const torch::Tensor rows = parallel_->shard(torch::arange(total, torch::kInt64));
                const torch::Tensor z = s.projection->forward(s.backbone->forward(torch::cat({v1.index_select(0, rows), v2.index_select(0, rows)}, 0)));
                loss = ntXent(parallel_->gatherRows(z.slice(0, 0, rows.numel()), total), parallel_->gatherRows(z.slice(0, rows.numel()), total),
                              params_.temperature);
                loss.backward();
                parallel_->sumGradients(parameters);
            } else {
                const torch::Tensor h = s.backbone->forward(torch::cat({v1, v2}, 0));
                const torch::Tensor z = s.projection->forward(h);
                loss = ntXent(z.slice(0, 0, batch.size(0)), z.slice(0, batch.size(0)), params_.temperature);
                loss.backward();
            }
            optimizer.step();
            ++step;
            const double batchLoss = loss.item<double>();
            lossSum += batchLoss;
            progress.samplesDone += batch.size(0);
            progress.workDone += double(batch.size(0));
            progress.batchLoss = batchLoss;
            outcome.samplesSeen = progress.samplesDone;
            if (onProgress)
                onProgress(progress);
        }
        outcome.epochLoss.push_back(lossSum / double(batchesPerEpoch));
        if (!checkpoint_.isEmpty())
            saveCheckpoint(checkpoint_, s, optimizer, gen, epoch, step, outcome.epochLoss);
        if (onEpoch)
            onEpoch(epoch, outcome.epochLoss.back());
    }
    s.backbone->eval();
    return outcome;
}

void ContrastivePretrainer::save(const QString &path, std::map<std::string, std::string> metadata) const
{
    if (!state_)
        throw Error(QStringLiteral("%1: nothing to save, the backbone has not been pretrained").arg(path));
    metadata["architecture"] = "gw-mobilenet";
    metadata["input_size"] = "1,28,28";
    metadata["input_mean"] = std::to_string(state_->mean);
    metadata["input_std"] = std::to_string(state_->std);
    metadata["feature_dim"] = std::to_string(GwMobileNetImpl::kFeatureDim);
    Safetensors::write(path, stateDictOf(*state_->backbone), metadata);
}

double ContrastivePretrainer::inputMean() const
{
    return state_ ? state_->mean : 0;
}

double ContrastivePretrainer::inputStd() const
{
    return state_ ? state_->std : 1;
}

} // namespace gw
