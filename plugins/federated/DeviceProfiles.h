#pragma once
#include <QString>
#include <vector>

namespace gw::federated {

/// One class of device a simulated client runs on: how fast it trains, what it draws, how it
/// talks to the server, when it is on, and which grid feeds it.
struct DeviceProfile {
    QString deviceClass;
    double secondsPerSample = 0; ///< one training sample, forward and backward
    double busyW = 0;            ///< while training or sending
    double idleW = 0;
    double uplinkMbps = 0, downlinkMbps = 0;
    double networkJPerByte = 0;  ///< the network's energy for each byte sent or received
    double availableFromH = 0;   ///< hours of the simulated day it is on: [from, to), wrapping past midnight when from > to
    double availableToH = 24;
    QString region;              ///< ISO 3166 alpha-3, for its grid's carbon intensity
    double share = 1;            ///< how many clients have it, relative to the other rows (optional column "share")

    /// Whether it is on at hour @p hour of the day (any real number; taken modulo 24).
    bool availableAt(double hour) const;
    /// Hours from @p hour until it goes off (infinity when it never does).
    double hoursLeftAt(double hour) const;
};

/// Device profiles from a CSV anyone can edit: the header names the columns device_class,
/// seconds_per_sample, busy_w, idle_w, uplink_mbps, downlink_mbps, network_j_per_byte,
/// available_from_h, available_to_h and region, and optionally share ('#' lines are comments). Throws Error naming the file,
/// the line and the column for a missing column, a value that is not a number, a negative time, power
/// or bandwidth, an hour outside 0-24, or a region the bundled intensity table does not know.
std::vector<DeviceProfile> readDeviceProfiles(const QByteArray &csv, const QString &origin);

/// The bundled profiles' CSV (resources/device-profiles.csv: phones, laptops, desktops and
/// Raspberry Pis in six grids, with where each figure comes from).
QByteArray bundledDeviceProfiles();

} // namespace gw::federated
