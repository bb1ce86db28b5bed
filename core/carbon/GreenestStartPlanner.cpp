#include "carbon/GreenestStartPlanner.h"

#include "Error.h"

#include <QTimeZone>
#include <algorithm>
#include <cmath>
#include <vector>

namespace gw {

double StartPlan::delayS(const QDateTime &now) const
{
    return std::max<qint64>(0, now.msecsTo(bestStartUtc)) / 1000.0;
}

QString StartPlan::describeDelay(double delayS)
{
    if (delayS < 1)
        return QStringLiteral("now");
    const qint64 minutes = qint64(std::llround(delayS / 60.0));
    if (minutes < 1)
        return QStringLiteral("in %1 s").arg(qint64(std::llround(delayS)));
    if (minutes < 60)
        return QStringLiteral("in %1 min").arg(minutes);
    return QStringLiteral("in %1 h %2 min").arg(minutes / 60).arg(minutes % 60);
}

QString StartPlan::summary(const QDateTime &now) const
{
    return QStringLiteral("start %1 (%2): %3 g CO2e/kWh over the run instead of %4 if started now, %5 % less")
        .arg(CarbonForecast::formatTime(bestStartUtc), describeDelay(delayS(now)))
        .arg(bestMeanIntensityGPerKwh, 0, 'f', 1)
        .arg(nowMeanIntensityGPerKwh, 0, 'f', 1)
        .arg(savingPercent, 0, 'f', 1);
}

StartPlan GreenestStartPlanner::plan(const CarbonForecast &forecast, double durationS, const QDateTime &now, const QDateTime &deadline)
{
    if (!(durationS > 0) || !std::isfinite(durationS))
        throw Error(QStringLiteral("the run duration must be a positive number of seconds, got %1").arg(durationS));
    if (!now.isValid() || !deadline.isValid())
        throw Error(QStringLiteral("planning needs a valid current time and deadline"));
    if (forecast.isEmpty())
        throw Error(QStringLiteral("planning needs a forecast; this one is empty"));
    const qint64 durationMs = qint64(std::llround(durationS * 1000.0));
    const qint64 nowMs = now.toMSecsSinceEpoch();
    const qint64 latestStartMs = deadline.toMSecsSinceEpoch() - durationMs;
    if (latestStartMs < nowMs)
        throw Error(QStringLiteral("a run of %1 s started now (%2) ends at %3, after the deadline %4")
                        .arg(durationS).arg(CarbonForecast::formatTime(now), CarbonForecast::formatTime(now.addMSecs(durationMs)),
                                            CarbonForecast::formatTime(deadline)));
    if (!forecast.covers(now, deadline))
        throw Error(QStringLiteral("%1 covers %2 to %3, not the whole window from now (%4) to the deadline (%5); "
                                   "use a forecast that covers it or an earlier deadline")
                        .arg(forecast.origin(), CarbonForecast::formatTime(forecast.startUtc()), CarbonForecast::formatTime(forecast.endUtc()),
                             CarbonForecast::formatTime(now), CarbonForecast::formatTime(deadline)));

    std::vector<qint64> candidates{nowMs, latestStartMs};
    for (const CarbonForecast::Point &p : forecast.points()) {
        const qint64 boundary = p.startUtc.toMSecsSinceEpoch();
        for (const qint64 start : {boundary, boundary - durationMs}) {
            if (start >= nowMs && start <= latestStartMs)
                candidates.push_back(start);
        }
    }
    std::sort(candidates.begin(), candidates.end());
    candidates.erase(std::unique(candidates.begin(), candidates.end()), candidates.end());

    const auto meanFrom = [&](qint64 startMs) {
        return forecast.meanIntensity(QDateTime::fromMSecsSinceEpoch(startMs, QTimeZone::utc()), durationS);
    };
    StartPlan plan;
    plan.nowUtc = now.toUTC();
    plan.deadlineUtc = deadline.toUTC();
    plan.durationS = durationS;
    plan.forecastOrigin = forecast.origin();
    plan.nowMeanIntensityGPerKwh = meanFrom(nowMs);
    qint64 bestMs = nowMs;
    double best = plan.nowMeanIntensityGPerKwh;
    // Means come from differences of prefix sums; a relative tolerance keeps rounding noise from
    // moving the start later for a gain that is not there.
    for (const qint64 start : candidates) {
        const double mean = meanFrom(start);
        if (mean < best - 1e-9 * std::max(1.0, best)) {
            best = mean;
            bestMs = start;
        }
    }
    plan.bestStartUtc = QDateTime::fromMSecsSinceEpoch(bestMs, QTimeZone::utc());
    plan.bestMeanIntensityGPerKwh = best;
    plan.savingGPerKwh = std::max(0.0, plan.nowMeanIntensityGPerKwh - best);
    plan.savingPercent = plan.nowMeanIntensityGPerKwh > 0 ? 100.0 * plan.savingGPerKwh / plan.nowMeanIntensityGPerKwh : 0.0;
    return plan;
}

} // namespace gw
