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

    /// The L2 penalties choosePenalty() tries: log-spaced from almost none to one that keeps the
    /// head near zero. With 1,000 labels on 256 features the best lies in the middle; with 60,000
    /// at the small end.
    static std::vector<double> penaltyGrid();
    struct PenaltyChoice {
        double weightDecay = 0;
        double validationAccuracy = 0;
        std::vector<std::pair<double, double>> tried; ///< (penalty, validation accuracy), in the grid's order
    };
    /// Fits a head on (@p x, @p y) for every penalty of @p grid, each from the previous one's
    /// weights (the strongest penalty first, so each start is close), and keeps the penalty whose
    /// head is the most accurate on (@p xVal, @p yVal); a tie goes to the stronger penalty, the
    /// simpler model. The labels of the validation split are what decide, never the test set's.
    static PenaltyChoice choosePenalty(const torch::Tensor &x, const torch::Tensor &y, const torch::Tensor &xVal, const torch::Tensor &yVal,
                                       std::int64_t classes, const Options &options, const std::vector<double> &grid = penaltyGrid());

private:
    Options options_;
    torch::Tensor weight_, bias_;
};

} // namespace gw
