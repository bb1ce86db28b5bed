#pragma once
#include "data/ImageDataset.h"
#include "training/TrainingParams.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace at {
class Tensor;
}

namespace gw {

namespace distributed {
class DataParallel;
}

/// What one finished epoch measured.
struct EpochResult {
    int epoch = 0; ///< 1-based
    double trainLoss = 0;
    double trainAccuracy = 0;
    double testAccuracy = 0;
    double durationS = 0;
};

/// Where training stands, reported after every batch.
struct TrainingProgress {
    int epoch = 0;
    int epochs = 0;
    std::int64_t samplesDone = 0;  ///< training samples over the whole run
    std::int64_t samplesTotal = 0; ///< training samples over the whole run
    double batchLoss = 0;
    /// Work in training-sample units, evaluation included: a test sample costs a forward pass,
    /// about a third of a training step's forward and backward, so predictions made early in the
    /// first epoch count the evaluation still to come.
    static constexpr double kEvalWorkPerSample = 1.0 / 3.0;
    double workDone = 0;
    double workTotal = 0;
    /// Early or green stopping may end the training before workTotal; then it does at least
    /// leastWorkTotal (0: not known).
    bool mayEndEarly = false;
    double leastWorkTotal = 0;
    double fraction() const { return workTotal > 0 ? std::min(1.0, workDone / workTotal) : 0; }
};

struct TrainingOutcome {
    bool cancelled = false;
    std::vector<EpochResult> epochs;
    double testAccuracy = 0; ///< after the last completed epoch (0 when none completed)
    std::int64_t samplesSeen = 0;
};

/// Trains the SmallCnn classifier on an in-memory dataset and evaluates it on a test set after each
/// epoch. Runs in the calling thread; it checks @p cancel after every batch, so a cancel takes
/// effect within one batch (milliseconds for this model).
class Trainer {
public:
    using ProgressCallback = std::function<void(const TrainingProgress &)>;
    using EpochCallback = std::function<void(const EpochResult &)>;
    /// Told when a phase ("train", "eval") begins (true) and ends (false), for energy windows.
    using PhaseCallback = std::function<void(const char *phase, bool begins)>;
    /// Told once training has run all its epochs: the model's weights (PyTorch state-dict names)
    /// and the pixel normalisation it was trained with ((x / 255 - mean) / std), to keep the model.
    using TrainedCallback = std::function<void(const std::vector<std::pair<std::string, at::Tensor>> &weights, double mean, double std)>;

    explicit Trainer(TrainingParams params);
    /// Data-parallel across hosts: this process trains on its part of every batch and the
    /// gradients are summed over every process (null: alone).
    void setDataParallel(distributed::DataParallel *parallel) { parallel_ = parallel; }

    TrainingOutcome train(const ImageDataset &train, const ImageDataset &test, const std::atomic_bool &cancel,
                          const ProgressCallback &onProgress = {}, const EpochCallback &onEpoch = {},
                          const PhaseCallback &onPhase = {}, const TrainedCallback &onTrained = {}) const;

private:
    TrainingParams params_;
    distributed::DataParallel *parallel_ = nullptr;
};

} // namespace gw
