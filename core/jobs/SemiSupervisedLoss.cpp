#include "jobs/SemiSupervisedLoss.h"

#include "Error.h"
#include "models/ImageTensors.h"
#include "training/Augmentations.h"

#include <cmath>
#include <torch/torch.h>

namespace gw {

namespace {

torch::Tensor perChannel(const std::vector<double> &values, int channels)
{
    std::vector<float> v(static_cast<std::size_t>(channels));
    for (int c = 0; c < channels; ++c)
        v[std::size_t(c)] = float(values.empty() ? 0.0 : values[std::size_t(c) % values.size()]);
    return torch::tensor(v).view({1, channels, 1, 1});
}

} // namespace

SemiSupervisedLoss::SemiSupervisedLoss(const TrainingParams &params, const ImageDataset &train, const InputSpec &input, torch::Tensor pool,
                                       std::uint64_t seed)
    : train_(train), input_(input), pool_(std::move(pool)), ratio_(params.semiRatio), threshold_(params.semiThreshold),
      weight_(params.semiWeight), gen_(at::detail::createCPUGenerator(seed))
{
    if (pool_.numel() == 0)
        throw Error(QStringLiteral("%1: semi-supervised training needs unlabelled images, and every image is labelled").arg(train.name));
    order_ = pool_.index_select(0, torch::randperm(pool_.numel(), gen_, torch::kInt64));
    trueLabels_ = ImageTensors::labels(train);
}

torch::Tensor SemiSupervisedLoss::denormalised(const torch::Tensor &images) const
{
    const int channels = int(images.size(1));
    return images * perChannel(input_.std, channels) + perChannel(input_.mean, channels);
}

torch::Tensor SemiSupervisedLoss::normalised(const torch::Tensor &images01) const
{
    const int channels = int(images01.size(1));
    return (images01 - perChannel(input_.mean, channels)) / perChannel(input_.std, channels);
}

torch::Tensor SemiSupervisedLoss::weakly(const torch::Tensor &images)
{
    return normalised(Augmentations::weakView(denormalised(images), gen_));
}

torch::Tensor SemiSupervisedLoss::next(std::int64_t labelled, const Model &model)
{
    const std::int64_t count = std::max<std::int64_t>(1, std::llround(double(labelled) * ratio_));
    std::vector<torch::Tensor> parts;
    for (std::int64_t left = count; left > 0;) {
        if (next_ >= order_.numel()) { // a new pass over the pool, in a new order
            order_ = pool_.index_select(0, torch::randperm(pool_.numel(), gen_, torch::kInt64));
            next_ = 0;
        }
        const std::int64_t take = std::min(left, order_.numel() - next_);
        parts.push_back(order_.slice(0, next_, next_ + take));
        next_ += take;
        left -= take;
    }
    const torch::Tensor indices = torch::cat(parts);
    const torch::Tensor images01 = denormalised(ImageTensors::select(train_, indices, input_));
    const torch::Tensor weak = normalised(Augmentations::weakView(images01, gen_));
    const torch::Tensor strong = normalised(Augmentations::strongView(images01, gen_));
    torch::Tensor confidence, target;
    {
        torch::NoGradGuard noGrad;
        std::tie(confidence, target) = torch::softmax(model(weak), 1).max(1);
    }
    const torch::Tensor mask = confidence.ge(threshold_);
    seen_ += indices.numel();
    const std::int64_t confident = mask.sum().item<std::int64_t>();
    confident_ += confident;
    confidentRight_ += target.eq(trueLabels_.index_select(0, indices)).logical_and(mask).sum().item<std::int64_t>();
    const torch::Tensor perImage = torch::nn::functional::cross_entropy(
        model(strong), target, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
    return weight_ * (perImage * mask.to(perImage.scalar_type())).sum() / double(indices.numel());
}

QJsonObject SemiSupervisedLoss::summary() const
{
    QJsonObject o;
    o.insert(QStringLiteral("ratio"), ratio_);
    o.insert(QStringLiteral("threshold"), threshold_);
    o.insert(QStringLiteral("weight"), weight_);
    o.insert(QStringLiteral("pool"), double(pool_.numel()));
    o.insert(QStringLiteral("unlabelled_seen"), double(seen_));
    o.insert(QStringLiteral("confident"), double(confident_));
    o.insert(QStringLiteral("confident_share"), seen_ > 0 ? double(confident_) / double(seen_) : 0.0);
    o.insert(QStringLiteral("pseudo_label_accuracy"), confident_ > 0 ? double(confidentRight_) / double(confident_) : 0.0);
    return o;
}

} // namespace gw
