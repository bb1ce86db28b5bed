#pragma once
#include <QString>
#include <cstdint>
#include <optional>
#include <vector>

namespace gw {

/// What a round knows when it decides whether to go on.
struct RoundState {
    std::int64_t labels = 0;
    std::optional<double> valAccuracy;
    std::optional<double> kappa; ///< agreement with the previous round's predictions
    double emissionsG = 0;
};

/// When an active-learning loop stops: the label budget is spent, the carbon budget is spent, the
/// validation accuracy reached a target, or the predictions are stable (Cohen's kappa between
/// successive rounds at or above a threshold for k rounds in a row).
class StoppingRules {
public:
    struct Limits {
        std::int64_t labelBudget = 1000;
        std::optional<double> emissionsG;
        std::optional<double> targetAccuracy;
        std::optional<double> kappa;
        int kappaRounds = 3;
    };
    explicit StoppingRules(Limits limits) : limits_(limits) {}

    /// Called once per round, in order; the reason to stop (label_budget, carbon_budget,
    /// target_accuracy, stable_predictions) or nothing.
    std::optional<QString> check(const RoundState &state);

    /// Cohen's kappa of two labelings of the same samples: 1 for full agreement, 0 for what chance
    /// gives, 1 when both give one and the same class everywhere. Throws gw::Error when sizes differ.
    static double cohenKappa(const std::vector<std::int64_t> &a, const std::vector<std::int64_t> &b);

private:
    Limits limits_;
    int stableRounds_ = 0;
};

} // namespace gw
