#include "LocalTraining.h"

#include "models/StateDict.h"
#include "models/TorchRuntime.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw::federated {

FederatedModel::FederatedModel(torch::nn::AnyModule net, std::int64_t multiplyAdds) : net_(std::move(net)), multiplyAdds_(multiplyAdds)
{
    net_.ptr()->train();
    size_ = weights().numel();
}

FederatedModel FederatedModel::smallCnn(int rows, int cols, int classes, std::uint64_t seed)
{
    TorchRuntime::seed(seed);
    return FederatedModel(torch::nn::AnyModule(SmallCnn(rows, cols, classes)), SmallCnnImpl::multiplyAdds(rows, cols, classes));
}

FederatedModel FederatedModel::linearHead(int features, int classes, std::uint64_t seed)
{
    TorchRuntime::seed(seed);
    return FederatedModel(torch::nn::AnyModule(torch::nn::Linear(features, classes)), std::int64_t(features) * classes);
}

torch::Tensor FederatedModel::weights() const
{
    torch::NoGradGuard noGrad;
    return torch::nn::utils::parameters_to_vector(parameters()).detach(); // a new tensor: cat copies
}

void FederatedModel::setWeights(const torch::Tensor &flat)
{
    // Copied in: torch::nn::utils::vector_to_parameters would make the parameters views of @p flat,
    // and training would then change the global weights themselves.
    torch::NoGradGuard noGrad;
    std::int64_t at = 0;
    for (torch::Tensor &p : parameters()) {
        p.copy_(flat.slice(0, at, at + p.numel()).view_as(p));
        at += p.numel();
    }
}

NamedTensors FederatedModel::stateDict() const
{
    return stateDictOf(*net_.ptr());
}

void FederatedModel::loadStateDict(const NamedTensors &tensors, const QString &origin)
{
    gw::loadStateDict(*net_.ptr(), tensors, origin);
}

double FederatedModel::accuracy(const torch::Tensor &x, const torch::Tensor &y)
{
    const std::int64_t n = x.size(0);
    if (n == 0)
        return 0;
    torch::NoGradGuard noGrad;
    net_.ptr()->eval();
    std::int64_t correct = 0;
    for (std::int64_t start = 0; start < n; start += 1024) {
        const std::int64_t end = std::min(n, start + 1024);
        correct += forward(x.slice(0, start, end)).argmax(1).eq(y.slice(0, start, end)).sum().item<std::int64_t>();
    }
    net_.ptr()->train();
    return double(correct) / double(n);
}

LocalResult trainLocally(FederatedModel &model, const torch::Tensor &global, const torch::Tensor &x, const torch::Tensor &y,
                         const LocalTraining &t, const std::atomic_bool &cancel)
{
    LocalResult result;
    model.setWeights(global);
    auto parameters = model.parameters();
    torch::optim::SGD sgd(parameters, torch::optim::SGDOptions(t.learningRate));
    const std::int64_t n = x.size(0);
    std::vector<std::int64_t> order(std::size_t(n), 0);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(t.seed);
    double squaredLossSum = 0, lossSum = 0;
    for (int epoch = 0; epoch < t.epochs; ++epoch) {
        std::shuffle(order.begin(), order.end(), rng);
        const bool last = epoch == t.epochs - 1;
        for (std::int64_t start = 0; start < n; start += t.batchSize) {
            if (cancel.load()) {
                result.cancelled = true;
                return result;
            }
            const std::int64_t end = std::min(n, start + t.batchSize);
            const torch::Tensor index = torch::from_blob(order.data() + start, {end - start}, torch::kInt64);
            const torch::Tensor bx = x.index_select(0, index), by = y.index_select(0, index);
            sgd.zero_grad();
            const torch::Tensor perSample = torch::nn::functional::cross_entropy(
                model.forward(bx), by, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone));
            torch::Tensor loss = perSample.mean();
            if (t.proximalMu > 0)
                loss = loss + 0.5 * t.proximalMu * (torch::nn::utils::parameters_to_vector(parameters) - global).square().sum();
            loss.backward();
            sgd.step();
            if (last) {
                const torch::Tensor detached = perSample.detach();
                squaredLossSum += detached.square().sum().item<double>();
                lossSum += detached.sum().item<double>();
            }
        }
    }
    if (n > 0) {
        result.statisticalUtility = double(n) * std::sqrt(squaredLossSum / double(n));
        result.meanLoss = lossSum / double(n);
    }
    result.update = model.weights() - global;
    return result;
}

} // namespace gw::federated
