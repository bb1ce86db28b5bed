#pragma once
#include <QHash>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace gw {

/// Grid carbon intensity per country (ISO 3166 alpha-3), from the bundled table
/// resources/data/carbon_intensity_by_country.csv (OWID/Ember via CodeCarbon 3.3.0).
class CarbonIntensityTable {
public:
    struct Entry {
        QString iso3;
        QString country;
        double intensityGPerKwh = 0;
        int year = 0;
    };
    /// World average used when no country is set (IEA 2019, the figure CodeCarbon uses).
    static constexpr double kWorldAverageGPerKwh = 475.0;

    static const CarbonIntensityTable &bundled();
    /// Parses the project's CSV format; throws gw::Error naming @p origin and the line on bad rows.
    static CarbonIntensityTable parse(const QByteArray &csv, const QString &origin);

    std::optional<Entry> find(const QString &iso3) const;

    /// The intensity to use for @p iso3 (empty: the world average) and a description of its origin
    /// for the store and every export. Throws gw::Error for a code the table does not hold.
    struct Resolved {
        double intensityGPerKwh = kWorldAverageGPerKwh;
        QString origin;
    };
    Resolved resolve(const QString &iso3) const;
    int size() const { return int(entries_.size()); }
    QStringList codes() const { return entries_.keys(); }
    QString source() const { return source_; }

private:
    QHash<QString, Entry> entries_;
    QString source_;
};

/// CPU thermal design power by model name, from resources/data/cpu_tdp.csv (Intel ARK and AMD
/// product pages via CodeCarbon 3.3.0). Matching is tolerant of vendor decorations such as "(R)",
/// "CPU", "@ 2.10GHz" and "n-Core Processor".
class CpuTdpTable {
public:

    static const CpuTdpTable &bundled();
    static CpuTdpTable parse(const QByteArray &csv, const QString &origin);

    /// The TDP of @p cpuModel in W, or nullopt when no table entry matches.
    std::optional<double> find(const QString &cpuModel) const;
    int size() const { return int(entries_.size()); }
    QString source() const { return source_; }

    static QString normalise(const QString &model);

private:
    QHash<QString, double> entries_; // normalised name -> W
    QString source_;
};

} // namespace gw
