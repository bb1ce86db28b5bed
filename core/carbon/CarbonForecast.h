#pragma once
#include <QByteArray>
#include <QDateTime>
#include <QString>
#include <vector>

namespace gw {

/// Grid carbon intensity over time at a regular step (hourly from Electricity Maps, any step from a
/// file). Each value holds from its own time until the next one (piecewise constant); the last one
/// holds for one step. The step must be regular so that a missing row is an error instead of a
/// value silently stretched over a gap.
///
/// CSV format (comment lines start with '#', extra columns are ignored):
///
///     datetime,intensity_g_per_kwh
///     2026-11-26T10:00Z,120.5
///     2026-11-26T11:00Z,98
///
/// Times are ISO 8601 with a zone designator ("Z" or "+01:00"); a time without one is refused,
/// since a local time would shift the whole forecast by the machine's time zone.
class CarbonForecast {
public:
    struct Point {
        QDateTime startUtc;
        double intensityGPerKwh = 0;
    };

    CarbonForecast() = default;
    /// Throws gw::Error naming @p origin when there are fewer than two points, the times are not
    /// strictly increasing at one regular step, or a value is negative or not finite.
    CarbonForecast(std::vector<Point> points, const QString &origin);

    /// Throws gw::Error naming the file (and the line, for a bad row).
    static CarbonForecast fromCsvFile(const QString &path);
    static CarbonForecast fromCsv(const QByteArray &text, const QString &origin);
    /// The body of Electricity Maps' GET /v3/carbon-intensity/forecast:
    /// {"zone": "FR", "forecast": [{"carbonIntensity": 41, "datetime": "2026-11-26T10:00:00.000Z"}, ...]}.
    static CarbonForecast fromElectricityMapsJson(const QByteArray &json, const QString &origin);

    /// Parses an ISO 8601 time that carries a zone designator; returns an invalid QDateTime and sets
    /// @p problem otherwise.
    static QDateTime parseTime(const QString &text, QString *problem = nullptr);
    /// "2026-11-26T10:00:00Z": the form every output of the schedule uses.
    static QString formatTime(const QDateTime &time);

    bool isEmpty() const { return points_.empty(); }
    const std::vector<Point> &points() const { return points_; }
    QString origin() const { return origin_; }
    qint64 stepS() const { return stepMs_ / 1000; }
    QDateTime startUtc() const;
    /// The end of the last step: the forecast covers [startUtc, endUtc).
    QDateTime endUtc() const;

    bool covers(const QDateTime &from, const QDateTime &to) const;
    /// The value in force at @p time. Throws gw::Error outside the forecast.
    double intensityAt(const QDateTime &time) const;
    /// The time-weighted mean intensity over [from, from + durationS]. Throws gw::Error when the
    /// forecast does not cover that whole interval or @p durationS is not positive.
    double meanIntensity(const QDateTime &from, double durationS) const;

private:
    // Integral of intensity (g/kWh x ms) from the forecast start to msecs since the epoch @p t,
    // which must lie inside the forecast; prefix sums make every mean O(log n).
    double integralTo(qint64 t) const;

    std::vector<Point> points_;
    std::vector<double> cumulative_; ///< integral up to the start of point i
    std::vector<qint64> startsMs_;
    qint64 stepMs_ = 0;
    QString origin_;
};

} // namespace gw
