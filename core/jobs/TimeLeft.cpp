#include "jobs/TimeLeft.h"

#include <algorithm>
#include <cmath>

namespace gw {

namespace {
/// Below this share of the work, a linear extrapolation swings too wildly to show.
constexpr double kMinFractionForExtrapolation = 0.02;
constexpr double kMinElapsedForExtrapolationS = 2.0;
} // namespace

std::optional<double> TimeLeft::estimateS(double elapsedS, double fractionDone, std::optional<double> predictedDurationS)
{
    if (fractionDone >= 1.0)
        return 0.0;
    if (predictedDurationS && *predictedDurationS > 0)
        return std::max(0.0, *predictedDurationS - elapsedS);
    if (fractionDone < kMinFractionForExtrapolation || elapsedS < kMinElapsedForExtrapolationS)
        return std::nullopt;
    return elapsedS * (1.0 - fractionDone) / fractionDone;
}

QString TimeLeft::format(std::optional<double> seconds)
{
    if (!seconds)
        return QStringLiteral("estimating…");
    const qint64 s = qint64(std::llround(*seconds));
    if (s < 60)
        return QStringLiteral("%1 s").arg(s);
    if (s < 3600)
        return QStringLiteral("%1 min %2 s").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'));
    return QStringLiteral("%1 h %2 min").arg(s / 3600).arg((s % 3600) / 60, 2, 10, QLatin1Char('0'));
}

} // namespace gw
