#pragma once
#include "data/ImageDataset.h"
#include "models/Backbone.h"
#include "training/TrainingParams.h"

#include <QJsonObject>
#include <functional>
#include <torch/types.h>

namespace gw {

/// FixMatch's unlabelled half of a fine-tuning step (Sohn et al. 2020). For each labelled sample
/// of the step it takes `ratio` images of the unlabelled pool, in a seeded order that cycles through
/// the pool; the model's prediction on a weakly augmented view (flip, shift) becomes the target of
/// a strongly augmented view (resized crop, jitter, noise, cut-out) when it is at least `threshold`
/// confident. The loss is the cross-entropy of those targets, summed over the confident images and
/// divided by all of them (so few confident images weigh little early on), times `weight`.
///
/// The pool's labels are never used for training; they only say how often the confident targets
/// were right (pseudo_label_accuracy), a figure a person could not have on real unlabelled data.
class SemiSupervisedLoss {
public:
    /// Logits of a batch of normalised images, through whatever the run trains.
    using Model = std::function<torch::Tensor(const torch::Tensor &images)>;

    SemiSupervisedLoss(const TrainingParams &params, const ImageDataset &train, const InputSpec &input, torch::Tensor pool, std::uint64_t seed);

    /// The unlabelled loss for a step of @p labelled labelled samples; the weak view's forward runs
    /// without gradients, the strong view's with them.
    torch::Tensor next(std::int64_t labelled, const Model &model);
    /// The same augmentation FixMatch gives the labelled batch (normalised images in and out).
    torch::Tensor weakly(const torch::Tensor &images);
    /// Pool images per labelled one, as asked.
    double ratio() const { return ratio_; }
    /// What it did so far: images seen, confident ones, their targets' accuracy.
    QJsonObject summary() const;

private:
    torch::Tensor denormalised(const torch::Tensor &images) const;
    torch::Tensor normalised(const torch::Tensor &images01) const;

    const ImageDataset &train_;
    InputSpec input_;
    torch::Tensor pool_, order_, trueLabels_;
    std::int64_t next_ = 0;
    double ratio_, threshold_, weight_;
    at::Generator gen_;
    std::int64_t seen_ = 0, confident_ = 0, confidentRight_ = 0;
};

} // namespace gw
