#include "activelearning/ProbeHead.h"

#include <algorithm>
#include <functional>
#include <torch/torch.h>

namespace gw {

ProbeHead::ProbeHead(std::int64_t featureDim, std::int64_t classes, Options options)
    : options_(options), weight_(torch::zeros({classes, featureDim})), bias_(torch::zeros({classes}))
{
}

namespace {

/// A head's operations are too small to share between threads: on two cores, one thread fits it
/// in about half the time (the rest went to waking and synchronising the other).
class SingleThreadScope {
public:
    SingleThreadScope() : threads_(at::get_num_threads()) { at::set_num_threads(1); }
    ~SingleThreadScope() { at::set_num_threads(threads_); }
    SingleThreadScope(const SingleThreadScope &) = delete;
    SingleThreadScope &operator=(const SingleThreadScope &) = delete;

private:
    int threads_;
};

} // namespace

void ProbeHead::fit(const torch::Tensor &x, const torch::Tensor &y, const ProbeHead *start)
{
    const SingleThreadScope singleThread;
    torch::manual_seed(options_.seed);
    // A small random start breaks the symmetry between classes the same way every time.
    torch::Tensor weight = (start ? start->weight_.clone() : torch::randn(weight_.sizes()) * 0.01).requires_grad_(true);
    torch::Tensor bias = (start ? start->bias_.clone() : torch::zeros(bias_.sizes())).requires_grad_(true);
    const torch::Tensor target = y.to(torch::kInt64);
    const double penalty = options_.weightDecay / 2.0;
    torch::optim::LBFGS optimizer({weight, bias}, torch::optim::LBFGSOptions(1.0)
                                                      .max_iter(options_.maxIterations)
                                                      .history_size(10)
                                                      .tolerance_grad(1e-5)
                                                      .line_search_fn("strong_wolfe"));
    optimizer.step([&] {
        optimizer.zero_grad();
        torch::Tensor loss = torch::nn::functional::cross_entropy(torch::addmm(bias, x, weight.t()), target) + penalty * weight.pow(2).sum();
        loss.backward();
        return loss;
    });
    weight_ = weight.detach();
    bias_ = bias.detach();
}

torch::Tensor ProbeHead::probabilities(const torch::Tensor &x) const
{
    torch::NoGradGuard noGrad;
    return torch::softmax(torch::addmm(bias_, x, weight_.t()), 1);
}

torch::Tensor ProbeHead::mcProbabilities(const torch::Tensor &x, int passes, std::uint64_t seed) const
{
    torch::NoGradGuard noGrad;
    torch::manual_seed(seed);
    const double keep = 1.0 - options_.dropout;
    const std::int64_t classes = weight_.size(0);
    // Every pass's masked weights side by side [T * C, D]: one matrix product for all passes.
    const torch::Tensor masks = torch::rand({passes, 1, weight_.size(1)}).lt(keep).to(weight_.scalar_type()) / keep;
    const torch::Tensor weights = (weight_.unsqueeze(0) * masks).reshape({passes * classes, weight_.size(1)});
    const torch::Tensor logits = torch::addmm(bias_.repeat({passes}), x, weights.t()); // [N, T * C]
    return torch::softmax(logits.view({x.size(0), passes, classes}), 2).permute({1, 0, 2}).contiguous();
}

namespace {

/// Each sample's fold (0..folds-1), stratified: the samples sorted by label, then dealt to the
/// folds in turn.
torch::Tensor stratifiedFolds(const torch::Tensor &y, int folds)
{
    const std::int64_t n = y.size(0);
    const torch::Tensor order = std::get<1>(y.to(torch::kInt64).sort(/*stable=*/true, 0, false));
    const torch::Tensor fold = torch::empty({n}, torch::kInt64);
    fold.index_put_({order}, torch::arange(n, torch::kInt64).remainder(folds));
    return fold;
}

/// A head fitted on every fold of @p fold but @p k (from @p start when given), and how many of
/// fold @p k's samples it gets right.
std::pair<ProbeHead, std::int64_t> fitWithout(const torch::Tensor &x, const torch::Tensor &y, const torch::Tensor &fold, int k, std::int64_t classes,
                                             const ProbeHead::Options &options, const ProbeHead *start)
{
    const torch::Tensor held = fold.eq(k), kept = fold.ne(k);
    ProbeHead head(x.size(1), classes, options);
    head.fit(x.index({kept}), y.index({kept}), start);
    const std::int64_t correct = head.probabilities(x.index({held})).argmax(1).eq(y.index({held})).sum().item<std::int64_t>();
    return {std::move(head), correct};
}

} // namespace

std::optional<double> ProbeHead::crossValidatedAccuracy(const torch::Tensor &x, const torch::Tensor &y, std::int64_t classes, int folds,
                                                        const Options &options, const ProbeHead *trained)
{
    const std::int64_t n = y.size(0);
    if (folds < 2 || n < 2 * folds)
        return std::nullopt;
    const torch::Tensor fold = stratifiedFolds(y, folds);
    std::int64_t correct = 0;
    for (int k = 0; k < folds; ++k)
        correct += fitWithout(x, y, fold, k, classes, options, trained).second;
    return double(correct) / double(n);
}

std::vector<double> ProbeHead::penaltyGrid()
{
    return {1e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1};
}

ProbeHead::PenaltyChoice ProbeHead::choosePenalty(const torch::Tensor &x, const torch::Tensor &y, std::int64_t classes, const Options &options,
                                                  int folds, const std::vector<double> &grid)
{
    PenaltyChoice choice;
    choice.validationAccuracy = -1;
    std::vector<double> strongestFirst = grid;
    std::sort(strongestFirst.begin(), strongestFirst.end(), std::greater<>());
    const std::int64_t n = y.size(0);
    const bool crossValidate = folds >= 2 && n >= 2 * folds;
    const torch::Tensor fold = crossValidate ? stratifiedFolds(y, folds) : torch::Tensor();
    // Each head starts from the same head of the previous (stronger) penalty: a fold's head from
    // that fold's, so no head ever starts from weights that saw its held-out samples.
    std::optional<ProbeHead> previous;
    std::vector<std::optional<ProbeHead>> previousFold(std::size_t(std::max(folds, 0)));
    std::vector<std::pair<double, double>> tried;
    for (const double penalty : strongestFirst) {
        Options o = options;
        o.weightDecay = penalty;
        ProbeHead head(x.size(1), classes, o);
        head.fit(x, y, previous ? &*previous : nullptr);
        double accuracy = 0;
        if (crossValidate) {
            std::int64_t correct = 0;
            for (int k = 0; k < folds; ++k) {
                std::optional<ProbeHead> &last = previousFold[std::size_t(k)];
                auto [foldHead, right] = fitWithout(x, y, fold, k, classes, o, last ? &*last : nullptr);
                correct += right;
                last = std::move(foldHead);
            }
            accuracy = double(correct) / double(n);
        } else { // too few labels for the folds: the training accuracy is all there is (ties keep the strongest)
            accuracy = head.probabilities(x).argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
        }
        tried.emplace_back(penalty, accuracy);
        if (accuracy > choice.validationAccuracy) { // strict: a tie keeps the stronger penalty, tried first
            choice.validationAccuracy = accuracy;
            choice.weightDecay = penalty;
            choice.weight = head.weight();
            choice.bias = head.bias();
        }
        previous = std::move(head);
    }
    std::sort(tried.begin(), tried.end());
    choice.tried = std::move(tried);
    return choice;
}

} // namespace gw
