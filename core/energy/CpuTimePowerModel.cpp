#include "energy/PowerSource.h"

#include "energy/ReferenceTables.h"
#include "platform/HardwareInfo.h"

#include <QFile>
#include <chrono>
#include <ctime>
#include <unistd.h>

namespace gw {

namespace {
double steadySeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
} // namespace

CpuTimePowerModel::CpuTimePowerModel(double cpuTdpW, int logicalCores, bool tdpFromTable, QString procRoot,
                                     Clock processCpuClock, Clock wallClock)
    : cpuTdpW_(cpuTdpW), logicalCores_(std::max(1, logicalCores)), tdpFromTable_(tdpFromTable), procRoot_(std::move(procRoot)),
      processCpuClock_(processCpuClock ? std::move(processCpuClock) : Clock(&CpuTimePowerModel::processCpuSeconds)),
      wallClock_(wallClock ? std::move(wallClock) : Clock(&steadySeconds)), lastCpuS_(processCpuClock_()), lastWallS_(wallClock_()),
      lastMachine_(readMachineCpuTimes())
{
}

std::unique_ptr<CpuTimePowerModel> CpuTimePowerModel::forThisMachine()
{
    const HardwareInfo hw = HardwareInfo::detect();
    const std::optional<double> tdp = CpuTdpTable::bundled().find(hw.cpuModel);
    return std::make_unique<CpuTimePowerModel>(tdp.value_or(kUnknownWattsPerThread * hw.logicalCores), hw.logicalCores, tdp.has_value());
}

QString CpuTimePowerModel::description() const
{
    return QStringLiteral("CPU time share x TDP %1 W (%2) over %3 logical cores, idle draw %4 % of TDP; RAM %5 W/GiB resident")
        .arg(cpuTdpW_, 0, 'f', 1)
        .arg(tdpFromTable_ ? QStringLiteral("from the CPU table")
                           : QStringLiteral("unknown CPU model: %1 W per logical CPU").arg(kUnknownWattsPerThread, 0, 'f', 2))
        .arg(logicalCores_)
        .arg(kIdleShare * 100, 0, 'f', 0)
        .arg(kRamWattsPerGib);
}

double CpuTimePowerModel::machinePowerW(double utilisation) const
{
    return cpuTdpW_ * (kIdleShare + (1.0 - kIdleShare) * std::clamp(utilisation, 0.0, 1.0));
}

CpuTimePowerModel::CpuTimes CpuTimePowerModel::readMachineCpuTimes() const
{
    QFile stat(procRoot_ + QStringLiteral("/stat"));
    if (!stat.open(QIODevice::ReadOnly))
        return {};
    // First line: "cpu user nice system idle iowait irq softirq steal ..." in clock ticks.
    const QList<QByteArray> fields = stat.readLine().simplified().split(' ');
    if (fields.size() < 5 || fields[0] != "cpu")
        return {};
    CpuTimes times;
    for (int i = 1; i < fields.size() && i <= 8; ++i)
        times.total += fields[i].toDouble();
    const double idle = fields[4].toDouble() + (fields.size() > 5 ? fields[5].toDouble() : 0.0);
    times.busy = times.total - idle;
    return times;
}

PowerReading CpuTimePowerModel::read()
{
    const double cpuS = processCpuClock_();
    const double wallS = wallClock_();
    const CpuTimes machine = readMachineCpuTimes();
    const double dWall = wallS - lastWallS_;
    const double dCpu = cpuS - lastCpuS_;
    const double dTotal = machine.total - lastMachine_.total;
    const double dBusy = machine.busy - lastMachine_.busy;
    lastCpuS_ = cpuS;
    lastWallS_ = wallS;
    lastMachine_ = machine;

    PowerReading reading;
    if (dWall > 0) {
        const double share = std::clamp(dCpu / (dWall * logicalCores_), 0.0, 1.0);
        // Without /proc/stat, or when it lags behind our own CPU time, the machine is at least as
        // busy as this process.
        const double utilisation = std::max(share, dTotal > 0 ? std::clamp(dBusy / dTotal, 0.0, 1.0) : 0.0);
        reading.cpuPowerW = utilisation > 0 ? machinePowerW(utilisation) * share / utilisation : 0.0;
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
