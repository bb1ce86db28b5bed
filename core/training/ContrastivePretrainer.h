#pragma once
#include "data/ImageDataset.h"
#include "training/Trainer.h"

#include <QString>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace at {
class Generator;
class Tensor;
}
namespace torch::optim {
class Optimizer;
}

namespace gw {

namespace distributed {
class DataParallel;
}

struct PretrainParams {
    int epochs = 15;
    int batchSize = 256;
    double learningRate = 2e-3;
    double weightDecay = 1e-5;
    double temperature = 0.2; ///< of the NT-Xent loss
    int projectionDim = 64;
    std::uint64_t seed = 1;
};

struct PretrainOutcome {
    bool cancelled = false;
    std::vector<double> epochLoss;
    std::int64_t samplesSeen = 0;
};

/// Self-supervised pretraining of the GwMobileNet backbone on unlabelled images, SimCLR style: two
/// random augmentations of each image (resized crop, flip, brightness and contrast, noise) must map
/// to nearby points and away from every other image of the batch (NT-Xent loss through a small
/// projection head that is thrown away afterwards). Labels are never read.
///
/// Contrastive rather than masked reconstruction: reconstruction rewards keeping every pixel's
/// detail, while a linear probe needs features that are invariant to what does not change the class;
/// on small CNNs contrastive features are the more linearly separable ones.
class ContrastivePretrainer {
public:
    explicit ContrastivePretrainer(PretrainParams params);
    ~ContrastivePretrainer();
    /// Data-parallel across hosts (null: alone); see train().
    void setDataParallel(distributed::DataParallel *parallel) { parallel_ = parallel; }

    /// Where train() keeps its state after each epoch (empty: nowhere), and the checkpoint of an
    /// earlier, stopped pretraining of the same recipe and images it goes on from (empty: none).
    /// Resumed, it takes exactly the steps the uninterrupted run would have taken: the weights,
    /// the optimizer's moments, the step of the learning-rate schedule and the augmentations'
    /// generator all come back.
    void setCheckpoints(const QString &writeTo, const QString &resumeFrom)
    {
        checkpoint_ = writeTo;
        resumeFrom_ = resumeFrom;
    }

    /// The backbone starts from @p weights (gw-mobilenet's state dict) instead of random ones: a
    /// pretraining continued, with a fresh projection head and its own learning-rate schedule.
    void setInitialWeights(std::vector<std::pair<std::string, at::Tensor>> weights, QString origin);

    /// Trains on @p images (their labels are ignored). Progress after every batch; @p onEpoch
    /// with the epoch's mean loss. Cancellable within one batch.
    PretrainOutcome train(const ImageDataset &images, const std::atomic_bool &cancel,
                          const std::function<void(const TrainingProgress &)> &onProgress = {},
                          const std::function<void(int epoch, double loss)> &onEpoch = {});
    /// The epoch a resumed pretraining went on after (0: it started from the beginning).
    int resumedAfterEpoch() const { return resumedAfter_; }

    /// The backbone's weights as safetensors, with @p metadata plus the input normalisation the
    /// backbone expects ("input_mean", "input_std", "input_size", "architecture").
    void save(const QString &path, std::map<std::string, std::string> metadata) const;

    double inputMean() const;
    double inputStd() const;

private:
    struct State;
    void saveCheckpoint(const QString &path, State &s, torch::optim::Optimizer &optimizer, const at::Generator &gen, int epoch, std::int64_t step,
                        const std::vector<double> &losses) const;
    /// Restores @p s, @p optimizer, @p gen, @p step and @p losses; returns the epoch it was written after.
    int loadCheckpoint(const QString &path, State &s, torch::optim::Optimizer &optimizer, at::Generator &gen, std::int64_t &step,
                       std::vector<double> &losses) const;
    PretrainParams params_;
    std::unique_ptr<State> state_;
    distributed::DataParallel *parallel_ = nullptr;
    QString checkpoint_, resumeFrom_;
    std::vector<std::pair<std::string, at::Tensor>> initial_;
    QString initialOrigin_;
    int resumedAfter_ = 0;
};

} // namespace gw
