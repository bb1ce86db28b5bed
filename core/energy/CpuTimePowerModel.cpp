#include "energy/PowerSource.h"

#include "energy/ReferenceTables.h"
#include "platform/HardwareInfo.h"

#include <QFile>
#include <chrono>
#include <ctime>
#include <unistd.h>

namespace gw {

namespace {
double wallSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

CpuTimePowerModel::CpuTimePowerModel(double cpuTdpW, int logicalCores, bool tdpFromTable)
    : cpuTdpW_(cpuTdpW), logicalCores_(std::max(1, logicalCores)), tdpFromTable_(tdpFromTable),
      lastCpuS_(processCpuSeconds()), lastWallS_(wallSeconds())
{
}

CpuTimePowerModel CpuTimePowerModel::forThisMachine()
{
    const HardwareInfo hw = HardwareInfo::detect();
    const std::optional<double> tdp = CpuTdpTable::bundled().find(hw.cpuModel);
    return CpuTimePowerModel(tdp.value_or(CpuTdpTable::kUnknownCpuTdpW), hw.logicalCores, tdp.has_value());
}

QString CpuTimePowerModel::description() const
{
    return QStringLiteral("CPU time x TDP %1 W (%2) over %3 logical cores; RAM %4 W/GiB resident")
        .arg(cpuTdpW_)
        .arg(tdpFromTable_ ? QStringLiteral("from the CPU table") : QStringLiteral("unknown CPU model: default"))
        .arg(logicalCores_)
        .arg(kRamWattsPerGib);
}

PowerReading CpuTimePowerModel::read()
{
    const double cpuS = processCpuSeconds();
    const double wallS = wallSeconds();
    const double dWall = wallS - lastWallS_;
    const double dCpu = cpuS - lastCpuS_;
    lastCpuS_ = cpuS;
    lastWallS_ = wallS;
    PowerReading reading;
    if (dWall > 0) {
        const double share = std::clamp(dCpu / (dWall * logicalCores_), 0.0, 1.0);
        reading.cpuPowerW = cpuTdpW_ * share;
    }
    reading.ramPowerW = processResidentGib() * kRamWattsPerGib;
    return reading;
}

double CpuTimePowerModel::processCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

double CpuTimePowerModel::processResidentGib()
{
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return 0;
    const QList<QByteArray> fields = statm.readAll().split(' ');
    if (fields.size() < 2)
        return 0;
    const double pages = fields[1].toDouble();
    return pages * double(sysconf(_SC_PAGESIZE)) / double(1ull << 30);
}

} // namespace gw
