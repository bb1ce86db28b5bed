#pragma once
#include "models/ModelExport.h"
#include "models/SmallCnn.h"

#include <atomic>
#include <cstdint>

namespace gw::federated {

/// The model a federation trains, the engine's small CNN, seen as one flat vector of weights: what
/// the server sends, the clients start from and their updates are differences of.
class FederatedModel {
public:
    /// Fresh weights from the generator seeded with @p seed.
    FederatedModel(int rows, int cols, int classes, std::uint64_t seed);
    std::int64_t size() const { return size_; }
    torch::Tensor weights() const;
    void setWeights(const torch::Tensor &flat);
    NamedTensors stateDict() const;
    /// Throws Error naming @p origin when @p tensors are not this model's.
    void loadStateDict(const NamedTensors &tensors, const QString &origin);
    /// Accuracy on @p x (normalised images) and @p y, in batches; 0 for no samples.
    double accuracy(const torch::Tensor &x, const torch::Tensor &y);
    SmallCnn &net() { return net_; }

private:
    SmallCnn net_{nullptr};
    std::int64_t size_ = 0;
};

/// What one client does with the global model in a round.
struct LocalTraining {
    int epochs = 1;
    int batchSize = 32;
    double learningRate = 0.05; ///< plain SGD, as McMahan et al.'s clients
    double proximalMu = 0;      ///< FedProx: mu/2 ||w - w_global||^2 added to the loss (0: FedAvg)
    std::uint64_t seed = 1;     ///< the order of its samples
};

struct LocalResult {
    torch::Tensor update; ///< its weights after training minus the global weights, flat
    /// Oort's statistical utility: |B| sqrt(mean squared loss) over its samples in the last epoch.
    double statisticalUtility = 0;
    double meanLoss = 0;
    bool cancelled = false;
};

/// Trains @p model from @p global on one client's samples @p x, @p y; checks @p cancel after every
/// batch, so a cancel stops within one batch of one client.
LocalResult trainLocally(FederatedModel &model, const torch::Tensor &global, const torch::Tensor &x, const torch::Tensor &y,
                         const LocalTraining &training, const std::atomic_bool &cancel);

} // namespace gw::federated
