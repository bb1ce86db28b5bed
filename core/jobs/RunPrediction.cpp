#include "jobs/RunPrediction.h"

#include <algorithm>

namespace gw {

std::optional<RunPrediction::Estimate> RunPrediction::update(double fraction, double energyNowJ, double elapsedNowS, double emissionsNowG,
                                                             double intensityGPerKwh, std::optional<double> leastFraction)
{
    const double workS = elapsedNowS - startS_;
    if (fraction < kMinFraction || fraction > 1.0 || workS < kMinSeconds)
        return std::nullopt;
    // What the rest of the work costs at the rate so far, for the work still to do when this
    // fraction of it is done.
    const auto extrapolate = [&](double done, double &energyJ, double &durationS, double &emissionsG) {
        const double remaining = (1.0 - done) / done;
        const double remainingJ = (energyNowJ - startJ_) * remaining;
        energyJ = energyNowJ + remainingJ;
        durationS = elapsedNowS + workS * remaining;
        emissionsG = emissionsNowG + remainingJ / 3.6e6 * intensityGPerKwh;
    };
    Estimate estimate;
    extrapolate(fraction, estimate.energyJ, estimate.durationS, estimate.emissionsG);
    if (leastFraction) {
        estimate.upperBound = true;
        extrapolate(std::min(1.0, std::max(fraction, *leastFraction)), estimate.leastEnergyJ, estimate.leastDurationS, estimate.leastEmissionsG);
    }
    last_ = estimate;
    return estimate;
}

QString RunPrediction::describe(const QVariantMap &p)
{
    const auto figures = [&p](const char *prefix) {
        const QString key = QLatin1String(prefix);
        return QStringLiteral("%1 Wh, %2 s, %3 g CO₂e")
            .arg(p.value(key + QStringLiteral("energy_kwh")).toDouble() * 1000, 0, 'f', 3)
            .arg(p.value(key + QStringLiteral("duration_s")).toDouble(), 0, 'f', 0)
            .arg(p.value(key + QStringLiteral("emissions_g")).toDouble(), 0, 'f', 4);
    };
    const QString basis = QStringLiteral("estimated at %1 % done").arg(p.value(QStringLiteral("fraction_done")).toDouble() * 100, 0, 'g', 3);
    if (!p.value(QStringLiteral("upper_bound")).toBool())
        return QStringLiteral("Predicted for the whole run: %1 (%2)").arg(figures(""), basis);
    return QStringLiteral("Predicted for the whole run: at most %1 if it runs to its end; at least %2, as it may stop early (%3)")
        .arg(figures(""), figures("least_"), basis);
}

} // namespace gw
