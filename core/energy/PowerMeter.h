#pragma once
#include "energy/PowerSource.h"

#include <QStringList>
#include <memory>
#include <vector>

namespace gw {

/// What the GUI's power-sources panel and the logs show about one candidate source.
struct PowerSourceStatus {
    QString name;
    bool active = false;
    QString provenance;   ///< measured / estimated
    QString components;   ///< "cpu, ram"; the components this source supplies in this meter
    QString detail;       ///< its description, or why it is not used
};

/// Combines power sources: each component (CPU, GPU, RAM) comes from the first candidate that
/// covers it, so a measured counter wins over the estimate for the components it has and the
/// estimate fills the rest. The meter is "measured" only when every component it reports is.
class PowerMeter : public PowerSource {
public:
    struct Options {
        QString powercapRoot = QStringLiteral("/sys/class/powercap");
        QString nvmlLibrary = QStringLiteral("libnvidia-ml.so.1");
        bool useRapl = true;
        bool useNvml = true;
    };

    /// @param candidates in priority order. @param unavailable statuses of sources that could not
    /// be opened (shown, never silently dropped).
    PowerMeter(std::vector<std::unique_ptr<PowerSource>> candidates, std::vector<PowerSourceStatus> unavailable = {});

    /// RAPL and NVML where readable, the CPU-time model for whatever they do not cover.
    static std::unique_ptr<PowerMeter> forThisMachine(const Options &options);
    static std::unique_ptr<PowerMeter> forThisMachine() { return forThisMachine(Options()); }

    QString name() const override { return QStringLiteral("power meter"); }
    QString provenance() const override;
    QString description() const override;
    PowerCoverage coverage() const override;
    PowerReading read() override;

    QString componentProvenance(PowerComponent component) const override;
    std::vector<PowerSourceStatus> statuses() const;
    /// GPUs whose power this meter reads (NVML), and their model ("" when none).
    int gpuCount() const { return gpuCount_; }
    QString gpuModel() const { return gpuModel_; }
    /// One sentence per source that is not used, saying why (and what to do).
    QStringList notices() const;

private:
    QString provenanceOf(int index) const;
    std::vector<std::unique_ptr<PowerSource>> sources_;
    std::vector<PowerSourceStatus> unavailable_;
    int cpu_ = -1, gpu_ = -1, ram_ = -1; // index of the source supplying each component
    int gpuCount_ = 0;
    QString gpuModel_;
};

} // namespace gw
