#include "DeviceProfiles.h"

#include "Error.h"
#include "energy/ReferenceTables.h"
#include "util/CsvTable.h"
#include "util/Files.h"

#include <cmath>
#include <limits>

// Resources of a static library are registered by hand, outside any namespace.
static void registerFederatedResources()
{
    Q_INIT_RESOURCE(federated);
}

namespace gw::federated {

QByteArray bundledDeviceProfiles()
{
    static const bool registered = (registerFederatedResources(), true);
    Q_UNUSED(registered);
    return readWholeFile(QStringLiteral(":/federated/device-profiles.csv"));
}

bool DeviceProfile::availableAt(double hour) const
{
    const double h = std::fmod(std::fmod(hour, 24.0) + 24.0, 24.0);
    if (availableFromH == availableToH || (availableFromH == 0 && availableToH == 24))
        return true;
    return availableFromH < availableToH ? h >= availableFromH && h < availableToH : h >= availableFromH || h < availableToH;
}

double DeviceProfile::hoursLeftAt(double hour) const
{
    if (availableFromH == availableToH || (availableFromH == 0 && availableToH == 24))
        return std::numeric_limits<double>::infinity();
    if (!availableAt(hour))
        return 0;
    const double h = std::fmod(std::fmod(hour, 24.0) + 24.0, 24.0);
    return std::fmod(availableToH - h + 24.0, 24.0);
}

std::vector<DeviceProfile> readDeviceProfiles(const QByteArray &csv, const QString &origin)
{
    static const QStringList columns{QStringLiteral("device_class"), QStringLiteral("seconds_per_sample"), QStringLiteral("busy_w"),
                                     QStringLiteral("idle_w"),       QStringLiteral("uplink_mbps"),        QStringLiteral("downlink_mbps"),
                                     QStringLiteral("network_j_per_byte"), QStringLiteral("available_from_h"), QStringLiteral("available_to_h"),
                                     QStringLiteral("region")};
    const CsvTable table = CsvTable::parse(csv, origin, columns);
    std::vector<DeviceProfile> profiles;
    for (std::size_t r = 0; r < table.rows.size(); ++r) {
        const int line = table.lineNumbers[r];
        const auto text = [&](const QString &column) { return table.text(r, column); };
        const auto number = [&](const QString &column, double max) { return table.number(r, column, origin, 0, max); };
        constexpr double kAny = std::numeric_limits<double>::max();
        DeviceProfile p;
        p.deviceClass = text(QStringLiteral("device_class"));
        if (p.deviceClass.isEmpty())
            throw Error::in(QStringLiteral("%1:%2").arg(origin).arg(line), QStringLiteral("device_class is empty"));
        p.secondsPerSample = number(QStringLiteral("seconds_per_sample"), kAny);
        p.busyW = number(QStringLiteral("busy_w"), kAny);
        p.idleW = number(QStringLiteral("idle_w"), kAny);
        p.uplinkMbps = number(QStringLiteral("uplink_mbps"), kAny);
        p.downlinkMbps = number(QStringLiteral("downlink_mbps"), kAny);
        p.networkJPerByte = number(QStringLiteral("network_j_per_byte"), kAny);
        p.availableFromH = number(QStringLiteral("available_from_h"), 24);
        p.availableToH = number(QStringLiteral("available_to_h"), 24);
        p.region = text(QStringLiteral("region")).toUpper();
        p.share = table.column(QStringLiteral("share")) >= 0 ? number(QStringLiteral("share"), kAny) : 1.0;
        if (p.uplinkMbps == 0 || p.downlinkMbps == 0 || p.secondsPerSample == 0)
            throw Error::in(QStringLiteral("%1:%2").arg(origin).arg(line),
                            QStringLiteral("seconds_per_sample, uplink_mbps and downlink_mbps must be above 0 (a device that never finishes)"));
        if (!CarbonIntensityTable::bundled().find(p.region))
            throw Error::in(QStringLiteral("%1:%2").arg(origin).arg(line),
                            QStringLiteral("region '%1' is not in the bundled carbon-intensity table (ISO 3166 alpha-3, e.g. FRA)").arg(p.region));
        profiles.push_back(p);
    }
    if (profiles.empty())
        throw Error::in(origin, QStringLiteral("no device profile (one row per device class under the header)"));
    return profiles;
}

} // namespace gw::federated
