#pragma once
#include "models/ModelExport.h"
#include "models/SmallCnn.h"

#include <torch/nn/modules/container/any.h>

#include <atomic>
#include <cstdint>

namespace gw::federated {

/// The model a federation trains, seen as one flat vector of weights: what the server sends, the
/// clients start from and their updates are differences of. Either the engine's small CNN over
/// normalised images, or a linear head over standardised features of a frozen backbone (which each
/// client computes once on its own samples and keeps).
class FederatedModel {
public:
    /// The small CNN for @p rows x @p cols grey images, fresh weights seeded with @p seed.
    static FederatedModel smallCnn(int rows, int cols, int classes, std::uint64_t seed);
    /// A linear head over @p features-wide feature vectors, fresh weights seeded with @p seed.
    static FederatedModel linearHead(int features, int classes, std::uint64_t seed);

    std::int64_t size() const { return size_; }
    /// Multiply-adds of one sample's forward pass: what the clients' compute is modelled from.
    std::int64_t multiplyAdds() const { return multiplyAdds_; }
    /// Logits of a batch of its inputs (images or features).
    torch::Tensor forward(const torch::Tensor &x) { return net_.forward(x); }
    std::vector<torch::Tensor> parameters() const { return net_.ptr()->parameters(); }
    torch::Tensor weights() const;
    void setWeights(const torch::Tensor &flat);
    NamedTensors stateDict() const;
    /// Throws Error naming @p origin when @p tensors are not this model's.
    void loadStateDict(const NamedTensors &tensors, const QString &origin);
    /// Accuracy on @p x (its inputs) and @p y, in batches; 0 for no samples.
    double accuracy(const torch::Tensor &x, const torch::Tensor &y);

private:
    FederatedModel(torch::nn::AnyModule net, std::int64_t multiplyAdds);
    torch::nn::AnyModule net_;
    std::int64_t size_ = 0;
    std::int64_t multiplyAdds_ = 0;
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
