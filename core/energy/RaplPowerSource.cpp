#include "energy/RaplPowerSource.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <chrono>
#include <cmath>

namespace gw {

RaplPowerSource::FileReader RaplPowerSource::defaultReader()
{
    return [](const QString &path, QString *error) -> std::optional<QByteArray> {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly)) {
            if (error)
                *error = file.error() == QFileDevice::PermissionsError ? QStringLiteral("permission denied") : file.errorString();
            return std::nullopt;
        }
        return file.readAll();
    };
}

RaplPowerSource::Clock RaplPowerSource::defaultClock()
{
    return [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
}

std::unique_ptr<RaplPowerSource> RaplPowerSource::open(const QString &root, QString *whyNot, FileReader reader, Clock clock)
{
    if (!reader)
        reader = defaultReader();
    if (!clock)
        clock = defaultClock();
    const auto fail = [whyNot](const QString &why) {
        if (whyNot)
            *whyNot = why;
        return std::unique_ptr<RaplPowerSource>();
    };

    const QDir dir(root);
    if (!dir.exists())
        return fail(QStringLiteral("RAPL: no powercap interface at %1 (not a Linux host with Intel/AMD RAPL, or a VM or "
                                   "container that does not expose it)").arg(root));
    static const QRegularExpression topLevel(QStringLiteral(R"(^intel-rapl(-mmio)?:\d+$)"));
    static const QRegularExpression subDomain(QStringLiteral(R"(^intel-rapl(-mmio)?:\d+:\d+$)"));
    QStringList entries = dir.entryList(QDir::Dirs | QDir::NoDotAndDotDot | QDir::System, QDir::Name);
    // intel-rapl before intel-rapl-mmio, so the MSR interface wins a duplicate package name.
    std::stable_sort(entries.begin(), entries.end(), [](const QString &a, const QString &b) {
        return a.contains(QStringLiteral("mmio")) < b.contains(QStringLiteral("mmio"));
    });

    std::vector<Domain> domains;
    QSet<QString> seen;
    QString firstError;
    for (const QString &entry : entries) {
        const bool top = topLevel.match(entry).hasMatch();
        if (!top && !subDomain.match(entry).hasMatch())
            continue;
        Domain d;
        d.path = dir.filePath(entry);
        QString error;
        const std::optional<QByteArray> name = reader(d.path + QStringLiteral("/name"), &error);
        if (!name)
            continue;
        d.name = QString::fromLatin1(name->trimmed());
        d.dram = !top && d.name == QStringLiteral("dram");
        const bool package = top && d.name.startsWith(QStringLiteral("package"));
        if (!package && !d.dram)
            continue; // core/uncore sit inside their package; psys contains everything
        // A DRAM domain's name repeats across sockets, so it is told apart by its parent.
        const QString key = d.dram ? entry.section(QLatin1Char(':'), 0, 1).remove(QStringLiteral("-mmio")) + QStringLiteral("/dram") : d.name;
        if (seen.contains(key))
            continue;
        const std::optional<QByteArray> range = reader(d.path + QStringLiteral("/max_energy_range_uj"), &error);
        const std::optional<QByteArray> energy = range ? reader(d.path + QStringLiteral("/energy_uj"), &error) : std::nullopt;
        if (!range || !energy) {
            if (firstError.isEmpty())
                firstError = QStringLiteral("%1: %2").arg(d.path + (range ? QStringLiteral("/energy_uj") : QStringLiteral("/max_energy_range_uj")), error);
            continue;
        }
        d.maxRangeUj = range->trimmed().toDouble();
        d.lastUj = energy->trimmed().toDouble();
        if (d.maxRangeUj <= 0)
            continue;
        seen.insert(key);
        domains.push_back(d);
    }
    const bool anyPackage = std::any_of(domains.begin(), domains.end(), [](const Domain &d) { return !d.dram; });
    if (!anyPackage) {
        if (!firstError.isEmpty()) {
            return fail(QStringLiteral("RAPL: cannot read %1. Since Linux 5.10 the RAPL counters are readable by root only "
                                       "(CVE-2020-8694); to measure as a user run 'sudo chmod a+r %2/intel-rapl:*/energy_uj' "
                                       "(until the next boot) or run the workbench with that permission.")
                            .arg(firstError, root));
        }
        return fail(QStringLiteral("RAPL: %1 holds no package energy counter").arg(root));
    }
    return std::unique_ptr<RaplPowerSource>(new RaplPowerSource(std::move(domains), std::move(reader), std::move(clock)));
}

RaplPowerSource::RaplPowerSource(std::vector<Domain> domains, FileReader reader, Clock clock)
    : domains_(std::move(domains)), reader_(std::move(reader)), clock_(std::move(clock))
{
    const double nowS = clock_();
    for (Domain &d : domains_)
        d.lastS = nowS;
    hasDram_ = std::any_of(domains_.begin(), domains_.end(), [](const Domain &d) { return d.dram; });
}

QString RaplPowerSource::description() const
{
    QStringList names;
    for (const Domain &d : domains_)
        names << (d.dram ? QStringLiteral("dram (%1)").arg(d.path.section(QLatin1Char('/'), -1)) : d.name);
    return QStringLiteral("RAPL counters: %1 (whole CPU packages, not only this process)").arg(names.join(QStringLiteral(", ")));
}

double RaplPowerSource::readCounter(const Domain &domain) const
{
    QString error;
    const std::optional<QByteArray> value = reader_(domain.path + QStringLiteral("/energy_uj"), &error);
    return value ? value->trimmed().toDouble() : -1;
}

double RaplPowerSource::deltaUj(Domain &domain, double nowUj, double intervalS)
{
    double delta = nowUj - domain.lastUj;
    if (delta < 0)
        delta += domain.maxRangeUj;
    // The counter alone cannot show a full wrap: if the recent power would have filled the range
    // during this interval, add the wraps that power implies.
    if (domain.lastPowerW > 0) {
        const double expectedUj = domain.lastPowerW * intervalS * 1e6;
        const double wraps = std::floor((expectedUj - delta) / domain.maxRangeUj + 0.5);
        if (wraps > 0)
            delta += wraps * domain.maxRangeUj;
    }
    return delta;
}

PowerReading RaplPowerSource::read()
{
    const double nowS = clock_();
    PowerReading reading;
    for (Domain &d : domains_) {
        const double intervalS = nowS - d.lastS;
        const double nowUj = readCounter(d);
        if (nowUj < 0 || intervalS <= 0)
            continue; // a transient read failure: the next good read covers this interval too
        const double powerW = deltaUj(d, nowUj, intervalS) / 1e6 / intervalS;
        d.lastUj = nowUj;
        d.lastS = nowS;
        d.lastPowerW = powerW;
        (d.dram ? reading.ramPowerW : reading.cpuPowerW) += powerW;
    }
    return reading;
}

} // namespace gw
