#pragma once
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
    };

    RunPrediction(double energyAtStartJ, double elapsedAtStartS) : startJ_(energyAtStartJ), startS_(elapsedAtStartS) {}

    /// @param fraction of the work done, 0..1; @param intensityGPerKwh for the energy still to come.
    std::optional<Estimate> update(double fraction, double energyNowJ, double elapsedNowS, double emissionsNowG,
                                   double intensityGPerKwh);
    bool hasEstimate() const { return last_.has_value(); }
    std::optional<Estimate> last() const { return last_; }

private:
    double startJ_;
    double startS_;
    std::optional<Estimate> last_;
};

} // namespace gw
