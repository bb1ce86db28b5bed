// A carbon-intensity forecast read from a CSV file (`schedule --forecast FILE`), or, when the input
// starts like JSON, from an Electricity Maps answer. CarbonForecast::fromCsvFile is readWholeFile
// plus fromCsv, so the harness calls fromCsv on the bytes. A forecast that loads is then asked what
// the planner asks of it: the value at given times and time-weighted means over intervals.
#include "FuzzSupport.h"

#include "Error.h"
#include "carbon/CarbonForecast.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace {

void query(const gw::CarbonForecast &forecast)
{
    const auto &points = forecast.points();
    if (points.size() < 2)
        gwfuzz::violated(QStringLiteral("a forecast of %1 points was accepted").arg(points.size()));
    const QDateTime start = forecast.startUtc(), end = forecast.endUtc();
    if (!(start < end))
        gwfuzz::violated(QStringLiteral("a forecast from %1 to %2").arg(start.toString(Qt::ISODateWithMs), end.toString(Qt::ISODateWithMs)));
    double low = points.front().intensityGPerKwh, high = low;
    for (const auto &p : points) {
        low = std::min(low, p.intensityGPerKwh);
        high = std::max(high, p.intensityGPerKwh);
    }
    const qint64 spanMs = start.msecsTo(end);
    const double spanS = double(spanMs) / 1000.0;
    if (forecast.intensityAt(start) != points.front().intensityGPerKwh)
        gwfuzz::violated(QStringLiteral("the value at the start is not the first value"));
    (void)forecast.intensityAt(start.addMSecs(spanMs / 2));
    (void)forecast.intensityAt(end.addMSecs(-1));
    // Mean over the whole forecast, its first half, a sliver at the end: within the values' range.
    // Values beyond 1e12 g/kWh are left out: their integral can overflow a double, which no grid does.
    const double sliverS = 0.001;
    for (const auto &[from, durationS] : {std::pair<QDateTime, double>{start, spanS}, {start, spanS / 2}, {end.addMSecs(-1), sliverS}}) {
        if (!(durationS > 0))
            continue;
        try {
            const double mean = forecast.meanIntensity(from, durationS);
            // Means come from differences of prefix sums, whose rounding grows with their size (the
            // whole span's integral) and is divided by the interval: a millisecond at the end of a
            // forecast of centuries is only as exact as that.
            const double durationMs = std::max(1.0, std::round(durationS * 1000.0));
            const double slack = 1e-9 * std::max(1.0, high) + 8 * 2.3e-16 * high * double(spanMs) / durationMs;
            if (high <= 1e12 && (!std::isfinite(mean) || mean < low - slack || mean > high + slack))
                gwfuzz::violated(QStringLiteral("mean %1 over %2 s from %3 lies outside the values %4..%5")
                                     .arg(mean)
                                     .arg(durationS)
                                     .arg(from.toString(Qt::ISODateWithMs))
                                     .arg(low)
                                     .arg(high));
        } catch (const gw::Error &e) {
            // Half a span rounded to milliseconds stays inside; a refusal there is a bug.
            gwfuzz::violated(QStringLiteral("a mean inside the forecast was refused: %1").arg(e.message()));
        }
    }
    // Outside the forecast: refused with a message.
    try {
        (void)forecast.intensityAt(end);
        gwfuzz::violated(QStringLiteral("a value at the end of the forecast was given"));
    } catch (const gw::Error &) {
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    gw::CarbonForecast forecast;
    try {
        forecast = bytes.trimmed().startsWith('{') ? gw::CarbonForecast::fromElectricityMapsJson(bytes, QStringLiteral("forecast.json"))
                                                   : gw::CarbonForecast::fromCsv(bytes, QStringLiteral("forecast.csv"));
    } catch (const gw::Error &) {
        return 0;
    }
    if (gwfuzz::checkInvariants()) {
        try {
            query(forecast);
        } catch (const gw::Error &e) {
            gwfuzz::violated(QStringLiteral("a query inside the forecast was refused: %1").arg(e.message()));
        }
    }
    return 0;
}
