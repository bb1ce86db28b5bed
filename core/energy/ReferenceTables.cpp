#include "energy/ReferenceTables.h"

#include "Error.h"
#include "util/CsvTable.h"
#include "util/Files.h"

#include <QRegularExpression>

namespace gw {

namespace {
// Grids can be carbon-free (intensity 0); a CPU cannot draw no power (TDP > 0).
double parseNumber(const QString &text, const QString &origin, int line, const QString &column, bool zeroAllowed)
{
    bool ok = false;
    const double value = text.toDouble(&ok);
    if (!ok || value < 0 || (value == 0 && !zeroAllowed))
        throw Error(QStringLiteral("%1:%2: '%3' is not a %4 number in column %5")
                        .arg(origin).arg(line).arg(text, zeroAllowed ? QStringLiteral("non-negative") : QStringLiteral("positive"), column));
    return value;
}
} // namespace

const CarbonIntensityTable &CarbonIntensityTable::bundled()
{
    static const CarbonIntensityTable table = [] {
        const QString path = QStringLiteral(":/gw/data/carbon_intensity_by_country.csv");
        return parse(readWholeFile(path), path);
    }();
    return table;
}

CarbonIntensityTable CarbonIntensityTable::parse(const QByteArray &csv, const QString &origin)
{
    const CsvTable table = CsvTable::parse(csv, origin, {QStringLiteral("iso3"), QStringLiteral("country"),
                                                        QStringLiteral("intensity_g_per_kwh"), QStringLiteral("year")});
    CarbonIntensityTable out;
    out.source_ = table.source;
    const int iso = table.column(QStringLiteral("iso3")), name = table.column(QStringLiteral("country")),
              value = table.column(QStringLiteral("intensity_g_per_kwh")), year = table.column(QStringLiteral("year"));
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const QStringList &row = table.rows[i];
        Entry entry;
        entry.iso3 = row[iso].trimmed().toUpper();
        entry.country = row[name].trimmed();
        entry.intensityGPerKwh = parseNumber(row[value], origin, table.lineNumbers[i], QStringLiteral("intensity_g_per_kwh"), true);
        entry.year = row[year].toInt();
        out.entries_.insert(entry.iso3, entry);
    }
    return out;
}

std::optional<CarbonIntensityTable::Entry> CarbonIntensityTable::find(const QString &iso3) const
{
    const auto it = entries_.constFind(iso3.trimmed().toUpper());
    if (it == entries_.constEnd())
        return std::nullopt;
    return *it;
}

CarbonIntensityTable::Resolved CarbonIntensityTable::resolve(const QString &iso3) const
{
    if (iso3.trimmed().isEmpty())
        return {kWorldAverageGPerKwh, QStringLiteral("world average (IEA 2019)")};
    const std::optional<Entry> entry = find(iso3);
    if (!entry)
        throw Error(QStringLiteral("no carbon intensity for country code '%1' in the bundled table").arg(iso3));
    return {entry->intensityGPerKwh, QStringLiteral("%1 (%2, %3; OWID/Ember)").arg(entry->iso3, entry->country).arg(entry->year)};
}

const CpuTdpTable &CpuTdpTable::bundled()
{
    static const CpuTdpTable table = [] {
        const QString path = QStringLiteral(":/gw/data/cpu_tdp.csv");
        return parse(readWholeFile(path), path);
    }();
    return table;
}

CpuTdpTable CpuTdpTable::parse(const QByteArray &csv, const QString &origin)
{
    const CsvTable table = CsvTable::parse(csv, origin, {QStringLiteral("model"), QStringLiteral("tdp_w")});
    CpuTdpTable out;
    out.source_ = table.source;
    const int model = table.column(QStringLiteral("model")), tdp = table.column(QStringLiteral("tdp_w"));
    for (std::size_t i = 0; i < table.rows.size(); ++i)
        out.entries_.insert(normalise(table.rows[i][model]), parseNumber(table.rows[i][tdp], origin, table.lineNumbers[i], QStringLiteral("tdp_w"), false));
    return out;
}

QString CpuTdpTable::normalise(const QString &model)
{
    QString s = model.toLower();
    static const QRegularExpression decorations(QStringLiteral(
        R"(\(r\)|\(tm\)|®|™|\bcpu\b|\bprocessor\b|@.*$|\b\d+-core\b|\b(?:six|eight|dual|quad|twelve|sixteen)-core\b|\bwith radeon.*$)"));
    s.replace(decorations, QStringLiteral(" "));
    return s.simplified();
}

std::optional<double> CpuTdpTable::find(const QString &cpuModel) const
{
    const QString key = normalise(cpuModel);
    if (key.isEmpty())
        return std::nullopt;
    const auto exact = entries_.constFind(key);
    if (exact != entries_.constEnd())
        return *exact;
    // Vendors' strings carry extra words ("Intel Xeon Platinum 8480+ Processor"); accept the longest
    // table name that appears in the model string as whole words, but never a bare number or a
    // short fragment that would match half the catalogue.
    QString best;
    double bestTdp = 0;
    for (auto it = entries_.constBegin(); it != entries_.constEnd(); ++it) {
        const QString &name = it.key();
        if (name.size() <= best.size() || name.size() < 6 || !name.contains(QLatin1Char(' ')))
            continue;
        const int at = key.indexOf(name);
        if (at < 0)
            continue;
        const int end = at + name.size();
        const bool wordStart = at == 0 || !key.at(at - 1).isLetterOrNumber();
        const bool wordEnd = end == key.size() || !key.at(end).isLetterOrNumber();
        if (wordStart && wordEnd) {
            best = name;
            bestTdp = it.value();
        }
    }
    if (best.isEmpty())
        return std::nullopt;
    return bestTdp;
}

} // namespace gw
