#pragma once
#include <QString>
#include <QVariantMap>
#include <optional>

namespace gw {

/// Extrapolates a run's total energy, duration and emissions from the part done so far: the work
/// since training started costs the same per unit of progress for the rest, on top of what was
/// spent already (data loading included). Needs at least kMinFraction of the work and kMinSeconds
/// of it before it says anything, so start-up noise does not make a budget stop a run.
class RunPrediction {
public:
    static constexpr double kMinFraction = 0.05;
    static constexpr double kMinSeconds = 1.0;

    struct Estimate {
        double energyJ = 0;
        double durationS = 0;
        double emissionsG = 0;
        /// The work may end early: the figures above are the upper bound, these the lower one.
        bool upperBound = false;
        double leastEnergyJ = 0;
        double leastDurationS = 0;
        double leastEmissionsG = 0;
    };

    RunPrediction(double energyAtStartJ, double elapsedAtStartS) : startJ_(energyAtStartJ), startS_(elapsedAtStartS) {}

    /// @param fraction of the work done, 0..1; @param intensityGPerKwh for the energy still to come.
    /// @param leastFraction when the work may end early: the fraction done of the least total it
    /// can come to (1: it may end now); nullopt: the work's total is certain.
    std::optional<Estimate> update(double fraction, double energyNowJ, double elapsedNowS, double emissionsNowG, double intensityGPerKwh,
                                   std::optional<double> leastFraction = std::nullopt);
    bool hasEstimate() const { return last_.has_value(); }
    /// One line for people from a RunJob::predicted map: the figures, or, for work that may end
    /// early, the upper and lower bound said as such.
    static QString describe(const QVariantMap &prediction);
    std::optional<Estimate> last() const { return last_; }

private:
    double startJ_;
    double startS_;
    std::optional<Estimate> last_;
};

} // namespace gw
