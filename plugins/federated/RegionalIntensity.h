#pragma once
#include <QByteArray>
#include <QMap>
#include <QString>
#include <vector>

namespace gw::federated {

/// The carbon intensity of each client's grid over the simulated day: the bundled per-country table,
/// or, for the regions a forecast CSV lists, that forecast. The CSV's columns are region (ISO 3166
/// alpha-3), hour (0 to 24, of the simulated day) and intensity_g_per_kwh; each value holds from its
/// hour until the region's next one and wraps past midnight, so a region's day repeats.
class RegionalIntensity {
public:
    RegionalIntensity() = default;
    /// Throws Error naming "<origin>:<line>" for a bad row, and @p origin for a region listed twice at
    /// the same hour.
    static RegionalIntensity fromForecastCsv(const QByteArray &csv, const QString &origin);

    /// g CO2e/kWh of @p region's grid at @p hour (hours since the simulation began). Throws Error
    /// for a region neither the forecast nor the bundled table holds.
    double at(const QString &region, double hour) const;
    /// Where @p region's figures come from, for the summary.
    QString sourceOf(const QString &region) const;

private:
    struct Point {
        double hour = 0;
        double intensity = 0;
    };
    QMap<QString, std::vector<Point>> forecast_; ///< by region, sorted by hour
    QString origin_;
};

} // namespace gw::federated
