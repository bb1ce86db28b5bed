#pragma once
#include <QString>

namespace gw {

/// Average power of the work being measured since the previous read().
struct PowerReading {
    double cpuPowerW = 0;
    double ramPowerW = 0;
};

/// Something that can say how much power the measured work drew. Sources are read from the
/// sampler thread only.
class PowerSource {
public:
    virtual ~PowerSource() = default;
    /// "measured" (hardware counters) or "estimated" (a model).
    virtual QString provenance() const = 0;
    /// A short description for logs and the GUI ("CPU-time x TDP 85 W, ...").
    virtual QString description() const = 0;
    /// Averages since the previous call (or since construction).
    virtual PowerReading read() = 0;
};

/// Estimates this process's power from its own CPU time: TDP x (CPU-seconds used / (wall seconds x
/// logical cores)), so a process keeping every core busy is charged the full TDP and two processes
/// sharing a machine are not both charged all of it. RAM: 0.375 W per GiB of resident memory
/// (3 W per 8 GB, the figure CodeCarbon used for its RAM estimate).
class CpuTimePowerModel : public PowerSource {
public:
    static constexpr double kRamWattsPerGib = 0.375;

    CpuTimePowerModel(double cpuTdpW, int logicalCores, bool tdpFromTable);
    /// TDP from the bundled table for this machine's CPU (or the documented default).
    static CpuTimePowerModel forThisMachine();

    QString provenance() const override { return QStringLiteral("estimated"); }
    QString description() const override;
    PowerReading read() override;

    double cpuTdpW() const { return cpuTdpW_; }

    static double processCpuSeconds();
    static double processResidentGib();

private:
    double cpuTdpW_;
    int logicalCores_;
    bool tdpFromTable_;
    double lastCpuS_;
    double lastWallS_;
};

} // namespace gw
