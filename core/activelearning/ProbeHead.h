#pragma once
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>
#include <torch/types.h>

namespace gw {

/// The classifier an active-learning round retrains: a linear layer over standardised backbone
/// features (multinomial logistic regression with an L2 penalty), fitted full-batch by L-BFGS from
/// a seeded start, so a round takes a fraction of a second and the same labels give the same head.
/// BALD's MC-dropout passes drop input units of the head: one mask per pass, shared by every
/// sample, which is one draw of the head's weights under Bernoulli dropout (Gal & Ghahramani) and
/// costs one matrix product per pass instead of a random number per sample and feature.
class ProbeHead {
public:
    struct Options {
        int maxIterations = 100;
        double weightDecay = 1e-3; ///< L2 penalty weight / 2 * |W|^2
        double dropout = 0.2;      ///< MC-dropout rate at query time
        std::uint64_t seed = 1;
    };

    ProbeHead(std::int64_t featureDim, std::int64_t classes, Options options);

    /// Trains on features @p x [N, D] and labels @p y [N] (int64), from a seeded random start or
    /// from @p start's weights (the problem is strongly convex: the optimum is the same, it is only
    /// reached in fewer iterations).
    void fit(const torch::Tensor &x, const torch::Tensor &y, const ProbeHead *start = nullptr);
    /// Class probabilities [N, C], dropout off.
    torch::Tensor probabilities(const torch::Tensor &x) const;
    /// Probabilities under @p passes dropout masks [T, N, C], seeded.
    torch::Tensor mcProbabilities(const torch::Tensor &x, int passes, std::uint64_t seed) const;
    /// The weight [C, D] (BADGE's gradient embedding needs it only through the probabilities).
    torch::Tensor weight() const { return weight_; }
    /// The bias [C]: logits are x W^T + b.
    torch::Tensor bias() const { return bias_; }

    /// Accuracy of heads trained on all but one of @p folds stratified folds, each tested on the
    /// fold it did not see; nothing when there are fewer than 2 samples per fold. The labelled
    /// samples double as the validation set, so no extra labels are spent on one. The fold heads
    /// start from @p trained (the head fitted on all of them) when given.
    static std::optional<double> crossValidatedAccuracy(const torch::Tensor &x, const torch::Tensor &y, std::int64_t classes, int folds,
                                                        const Options &options, const ProbeHead *trained = nullptr);

    /// The L2 penalties choosePenalty() tries, log-spaced: on the bundled backbone's 256 features
    /// 3-fold cross-validation put the best at 3e-3 to 1e-2 for 1,000 Fashion-MNIST labels; six
    /// values keep the choice (24 fits) to seconds.
    static std::vector<double> penaltyGrid();
    struct PenaltyChoice {
        double weightDecay = 0;
        double validationAccuracy = 0;                ///< the chosen penalty's cross-validated accuracy
        std::vector<std::pair<double, double>> tried; ///< (penalty, cross-validated accuracy), in the grid's order
        torch::Tensor weight, bias;                   ///< the chosen penalty's head, fitted on every sample
    };
    /// For every penalty of @p grid (the strongest first, each fit starting from the previous
    /// one's weights) fits a head on all of (@p x, @p y) and measures it by @p folds-fold
    /// cross-validation; keeps the most accurate penalty, a tie going to the stronger one (the
    /// simpler model). Cross-validation rather than a held-out split: with a few hundred labels a
    /// split of 200 is noisy enough to pick a penalty 4 points worse on the test set, and every
    /// label counts once as held out. Only the labels decide, never the test set's.
    static PenaltyChoice choosePenalty(const torch::Tensor &x, const torch::Tensor &y, std::int64_t classes, const Options &options, int folds = 3,
                                       const std::vector<double> &grid = penaltyGrid());

private:
    Options options_;
    torch::Tensor weight_, bias_;
};

} // namespace gw
