#include "RegionalIntensity.h"

#include "Error.h"
#include "energy/ReferenceTables.h"
#include "util/CsvTable.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gw::federated {

RegionalIntensity RegionalIntensity::fromForecastCsv(const QByteArray &csv, const QString &origin)
{
    const CsvTable table = CsvTable::parse(csv, origin, {QStringLiteral("region"), QStringLiteral("hour"), QStringLiteral("intensity_g_per_kwh")});
    RegionalIntensity r;
    r.origin_ = origin;
    for (std::size_t row = 0; row < table.rows.size(); ++row) {
        const QString region = table.text(row, QStringLiteral("region")).toUpper();
        if (region.isEmpty())
            throw Error::in(QStringLiteral("%1:%2").arg(origin).arg(table.lineNumbers[row]), QStringLiteral("region is empty"));
        const double hour = table.number(row, QStringLiteral("hour"), origin, 0, 24);
        const double intensity = table.number(row, QStringLiteral("intensity_g_per_kwh"), origin, 0, std::numeric_limits<double>::max());
        r.forecast_[region].push_back({std::fmod(hour, 24.0), intensity});
    }
    if (r.forecast_.isEmpty())
        throw Error::in(origin, QStringLiteral("no forecast rows (region,hour,intensity_g_per_kwh under the header)"));
    for (auto it = r.forecast_.begin(); it != r.forecast_.end(); ++it) {
        std::stable_sort(it->begin(), it->end(), [](const Point &a, const Point &b) { return a.hour < b.hour; });
        for (std::size_t i = 1; i < it->size(); ++i)
            if ((*it)[i].hour == (*it)[i - 1].hour)
                throw Error::in(origin, QStringLiteral("region %1 has two values for hour %2").arg(it.key()).arg((*it)[i].hour));
    }
    return r;
}

double RegionalIntensity::at(const QString &region, double hour) const
{
    const auto it = forecast_.constFind(region);
    if (it == forecast_.cend())
        return CarbonIntensityTable::bundled().resolve(region).intensityGPerKwh;
    const double h = std::fmod(std::fmod(hour, 24.0) + 24.0, 24.0);
    // The last point at or before h; before the first, the day's last one (it wraps past midnight).
    const auto after = std::upper_bound(it->cbegin(), it->cend(), h, [](double v, const Point &p) { return v < p.hour; });
    return after == it->cbegin() ? it->back().intensity : std::prev(after)->intensity;
}

QString RegionalIntensity::sourceOf(const QString &region) const
{
    if (forecast_.contains(region))
        return QStringLiteral("forecast %1").arg(origin_);
    return CarbonIntensityTable::bundled().resolve(region).origin;
}

} // namespace gw::federated
