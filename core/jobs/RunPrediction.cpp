#include "jobs/RunPrediction.h"

namespace gw {

std::optional<RunPrediction::Estimate> RunPrediction::update(double fraction, double energyNowJ, double elapsedNowS,
                                                             double emissionsNowG, double intensityGPerKwh)
{
    const double workS = elapsedNowS - startS_;
    if (fraction < kMinFraction || fraction > 1.0 || workS < kMinSeconds)
        return std::nullopt;
    const double remaining = (1.0 - fraction) / fraction;
    const double remainingJ = (energyNowJ - startJ_) * remaining;
    Estimate estimate;
    estimate.energyJ = energyNowJ + remainingJ;
    estimate.durationS = elapsedNowS + workS * remaining;
    estimate.emissionsG = emissionsNowG + remainingJ / 3.6e6 * intensityGPerKwh;
    last_ = estimate;
    return estimate;
}

} // namespace gw
