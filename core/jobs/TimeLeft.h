#pragma once
#include <QString>
#include <optional>

namespace gw {

/// How long a running job still needs, from what is known about it: the prediction of the whole
/// run's duration when there is one (RunPrediction: it knows the epochs and rounds to come), else
/// the elapsed time scaled by the fraction done. Unknown at the very start, where either would guess.
struct TimeLeft {
    static std::optional<double> estimateS(double elapsedS, double fractionDone, std::optional<double> predictedDurationS);
    /// "45 s", "3 min 20 s", "2 h 05 min"; unknown: "estimating…".
    static QString format(std::optional<double> seconds);
};

} // namespace gw
