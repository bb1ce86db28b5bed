#pragma once
#include "carbon/CarbonForecast.h"

#include <QDateTime>
#include <QMetaType>

namespace gw {

/// The outcome of planning one run: when to start it and what waiting saves.
struct StartPlan {
    QDateTime nowUtc;
    QDateTime deadlineUtc; ///< latest end of the run
    double durationS = 0;
    QDateTime bestStartUtc;
    double bestMeanIntensityGPerKwh = 0;
    double nowMeanIntensityGPerKwh = 0; ///< if the run started at nowUtc
    double savingGPerKwh = 0;           ///< now minus best, never negative
    double savingPercent = 0;           ///< of the intensity now; 0 when that is 0
    QString forecastOrigin;

    /// Seconds from @p now until the best start; 0 when it is already due. The caller that waits
    /// calls this when it starts waiting, so time spent between planning and waiting is not waited twice.
    double delayS(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;
    /// One line for people: when, and what it saves over starting now.
    QString summary(const QDateTime &now = QDateTime::currentDateTimeUtc()) const;
    /// "now", "in 40 s", "in 25 min", "in 3 h 5 min".
    static QString describeDelay(double delayS);
};

/// Picks the start time of a run, between now and its deadline, that gives the lowest mean grid
/// carbon intensity over the run, from a forecast.
///
/// Assumes the run draws constant power, so its emissions are energy x the time-weighted mean
/// intensity over the run. The deadline is the latest END of the run: a person who says "done by
/// 08:00" means finished, and the latest start is then deadline - duration.
///
/// With a piecewise-constant forecast the mean over a window of fixed length is piecewise linear in
/// its start, with kinks only where the start or the end of the run crosses a step boundary; so the
/// candidates now, every boundary, every boundary minus the duration and the latest start contain
/// the exact optimum. Ties go to the earliest start (no waiting for nothing).
class GreenestStartPlanner {
public:
    /// Throws gw::Error when @p durationS is not positive, the run cannot finish by the deadline if
    /// started now, or the forecast does not cover [now, deadline].
    static StartPlan plan(const CarbonForecast &forecast, double durationS, const QDateTime &now, const QDateTime &deadline);
};

} // namespace gw

Q_DECLARE_METATYPE(gw::StartPlan)
