#pragma once
#include <QString>
#include <functional>
#include <memory>

namespace gw {

/// Average power since the previous read(), per component. A source leaves the components it does
/// not cover at 0.
struct PowerReading {
    double cpuPowerW = 0;
    double gpuPowerW = 0;
    double ramPowerW = 0;
};

/// Which components a source reports.
struct PowerCoverage {
    bool cpu = false;
    bool gpu = false;
    bool ram = false;
};

enum class PowerComponent { Cpu, Gpu, Ram };

/// Something that can say how much power the measured work drew. Sources are read from the
/// sampler thread only.
class PowerSource {
public:
    virtual ~PowerSource() = default;
    /// Short name for tables and logs: "RAPL", "NVML", "CPU-time model".
    virtual QString name() const = 0;
    /// "measured" (hardware counters) or "estimated" (a model).
    virtual QString provenance() const = 0;
    /// A sentence for logs and the GUI ("CPU time x TDP 85 W, ...", "2 packages + DRAM").
    virtual QString description() const = 0;
    virtual PowerCoverage coverage() const = 0;
    /// Averages since the previous call (or since construction).
    virtual PowerReading read() = 0;
    /// "measured", "estimated", or "" when the source does not report @p component.
    virtual QString componentProvenance(PowerComponent component) const
    {
        const PowerCoverage c = coverage();
        const bool covered = component == PowerComponent::Cpu ? c.cpu : component == PowerComponent::Gpu ? c.gpu : c.ram;
        return covered ? provenance() : QString();
    }
};

/// Estimates this process's CPU and RAM power when no counter can be read.
///
/// CPU: the machine draws P(u) = TDP x (kIdleShare + (1 - kIdleShare) x u) at utilisation u
/// (from /proc/stat), and this process is charged its share of that draw by CPU time:
/// P(u) x s / u, where s = this process's CPU-seconds / (wall seconds x logical cores). A process
/// alone on the machine pays the idle draw too; two runs sharing a machine split it instead of
/// both being charged the whole machine. TDP from the bundled table by CPU model; an unknown
/// model gets kUnknownWattsPerThread per logical CPU.
/// RAM: kRamWattsPerGib per GiB of resident memory (3 W per 8 GB, CodeCarbon's former figure).
class CpuTimePowerModel : public PowerSource {
public:
    static constexpr double kRamWattsPerGib = 0.375;
    /// Share of TDP drawn by an idle package: an assumption (idle packages draw roughly 10-40 %
    /// of TDP depending on generation and C-states), stated here and in the README.
    static constexpr double kIdleShare = 0.3;
    /// CodeCarbon's 85 W fallback spread over the 8 threads of a typical desktop CPU, so a small
    /// VM is not charged a whole desktop processor.
    static constexpr double kUnknownWattsPerThread = 85.0 / 8.0;

    using Clock = std::function<double()>;

    /// @param procRoot where to find stat (tests point it at a scripted file);
    /// @param processCpuClock, wallClock: injectable for tests (defaults: this process, steady clock).
    CpuTimePowerModel(double cpuTdpW, int logicalCores, bool tdpFromTable, QString procRoot = QStringLiteral("/proc"),
                      Clock processCpuClock = {}, Clock wallClock = {});
    /// TDP from the bundled table for this machine's CPU (or the documented default).
    static std::unique_ptr<CpuTimePowerModel> forThisMachine();

    QString name() const override { return QStringLiteral("CPU-time model"); }
    QString provenance() const override { return QStringLiteral("estimated"); }
    QString description() const override;
    PowerCoverage coverage() const override { return {true, false, true}; }
    PowerReading read() override;

    double cpuTdpW() const { return cpuTdpW_; }
    /// Machine power at utilisation @p utilisation in 0..1.
    double machinePowerW(double utilisation) const;

    static double processCpuSeconds();
    static double processResidentGib();

private:
    struct CpuTimes {
        double busy = 0;
        double total = 0;
    };
    CpuTimes readMachineCpuTimes() const;

    double cpuTdpW_;
    int logicalCores_;
    bool tdpFromTable_;
    QString procRoot_;
    Clock processCpuClock_;
    Clock wallClock_;
    double lastCpuS_;
    double lastWallS_;
    CpuTimes lastMachine_;
};

} // namespace gw
