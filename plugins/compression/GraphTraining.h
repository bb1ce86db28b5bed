#pragma once
#include "ConvGraph.h"
#include "data/ImageDataset.h"

#include <atomic>
#include <functional>
#include <utility>
#include <vector>

namespace gw::compression {

/// The labelled images a compression step trains on, and the share held out to decide when it stops.
struct TrainingSplit {
    const ImageDataset *data = nullptr;
    std::vector<std::int64_t> train; ///< indices into data
    std::vector<std::int64_t> validation;
    /// Images without a label that a teacher may label (distillation); unused otherwise.
    std::vector<std::int64_t> unlabelled;
    /// Labels of every image of data, where they are not the dataset's own (a person's, from an
    /// active-learning run); undefined: the dataset's.
    torch::Tensor labels;
    /// The labels training and validation use.
    torch::Tensor labelsInForce() const;
    /// A seeded split of @p data's indices @p indices: a tenth (at least one image) held out.
    static TrainingSplit of(const ImageDataset &data, std::vector<std::int64_t> indices, std::uint64_t seed);
};

struct TrainingOptions {
    int maxEpochs = 3;
    int patience = 2;   ///< epochs without a better validation accuracy before stopping (0: never stop early)
    int batchSize = 64;
    double lr = 1e-3;
    double weightDecay = 0;
    std::uint64_t seed = 1;
    /// Quantization-aware training: the forward passes (and the validation) round as int8 would.
    const FakeQuantization *fake = nullptr;
};

/// What a training ended with.
struct TrainingResult {
    int epochs = 0;
    double validationAccuracy = 0; ///< of the graph as returned (the best epoch's)
    bool cancelled = false;
};

/// The loss a step minimises from the student's logits, the batch's labels (-100 for an image
/// without one) and its images (distillation asks its teacher about the same images); nullptr:
/// cross-entropy with the labels. A split's unlabelled images join the batches only with a loss.
using StepLoss = std::function<torch::Tensor(const torch::Tensor &logits, const torch::Tensor &labels, const torch::Tensor &images)>;

/// Trains a ConvGraph's tensors with Adam (batch statistics in its batch norms), one validation
/// accuracy per epoch, stopping after @p options.patience epochs without improvement and keeping the
/// best epoch's tensors. @p masks (from pruneMagnitudes) keep pruned weights at zero. @p afterBatch
/// gets the number of images done so far.
TrainingResult trainGraph(ConvGraph &graph, const TrainingSplit &split, const TrainingOptions &options, const std::atomic_bool &cancel,
                          const std::vector<std::pair<int, torch::Tensor>> &masks = {}, const StepLoss &loss = nullptr,
                          const std::function<void(std::int64_t)> &afterBatch = nullptr);

/// Hinton et al.'s distillation loss: @p alpha x T^2 x KL(softmax(teacher / T) || softmax(student / T))
/// (mean over the batch) + (1 - @p alpha) x cross-entropy of the student with the labels (over the
/// images that have one: label -100 marks one without).
torch::Tensor distillationLoss(const torch::Tensor &studentLogits, const torch::Tensor &teacherLogits, const torch::Tensor &labels,
                               double temperature, double alpha);

/// Accuracy (0-1) of @p graph on the images @p indices of @p data, against @p labels (all of
/// data's; undefined: the dataset's own).
double graphAccuracy(const ConvGraph &graph, const ImageDataset &data, const std::vector<std::int64_t> &indices,
                     const torch::Tensor &labels = torch::Tensor(), const FakeQuantization *fake = nullptr);

} // namespace gw::compression
