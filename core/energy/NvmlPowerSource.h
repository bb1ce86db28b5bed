#pragma once
#include "energy/PowerSource.h"

#include <QString>
#include <QStringList>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace gw {

/// NVIDIA GPU power through NVML (the library of the NVIDIA driver), loaded with dlopen at run time
/// so the workbench needs no driver to start and simply reports no GPU where there is none.
///
/// Per GPU, the board's total-energy counter (mJ since the driver loaded, Volta and later) is read
/// as deltas: average power = energy delta / elapsed time, exact whatever the sampling rate. A GPU
/// without the counter is sampled for instantaneous power at each read() and the interval is
/// integrated with the trapezoid rule (average of the previous and the current sample).
/// Only the GPUs this process may use are counted: CUDA_VISIBLE_DEVICES is honoured. Its indices are
/// taken as NVML indices (PCI bus order), which equal CUDA's when CUDA_DEVICE_ORDER=PCI_BUS_ID or
/// when all GPUs are of one model; UUIDs ("GPU-...", or a unique prefix) are unambiguous.
/// Whole boards are measured, including any other process's work on them.
class NvmlPowerSource : public PowerSource {
public:
    /// Seconds on a monotonic clock; injectable so tests control elapsed time.
    using Clock = std::function<double()>;

    struct GpuInfo {
        int index = -1;       ///< NVML index
        QString name;         ///< "NVIDIA H100 80GB HBM3"
        QString uuid;         ///< "GPU-..." (empty when the driver lacks nvmlDeviceGetUUID)
        bool energyCounter = false;
        /// "energy counter" or "power samples"
        QString method() const;
    };

    static constexpr const char *kDefaultLibrary = "libnvidia-ml.so.1";

    /// Loads NVML from @p libraryPath (a file path or a bare soname searched like dlopen does),
    /// initialises it and selects the visible GPUs that report power. Returns nullptr with *whyNot
    /// set to a sentence when the library is missing or broken, nvmlInit fails, or no GPU is visible
    /// or measurable.
    /// @param cudaVisibleDevices the value of CUDA_VISIBLE_DEVICES, nullopt when unset (default: this
    ///        process's environment);
    /// @param clock default: std::chrono::steady_clock.
    static std::unique_ptr<NvmlPowerSource> open(const QString &libraryPath = QString::fromLatin1(kDefaultLibrary),
                                                 QString *whyNot = nullptr,
                                                 std::optional<QString> cudaVisibleDevices = cudaVisibleDevicesFromEnvironment(),
                                                 Clock clock = {});

    ~NvmlPowerSource() override;
    NvmlPowerSource(const NvmlPowerSource &) = delete;
    NvmlPowerSource &operator=(const NvmlPowerSource &) = delete;

    QString name() const override { return QStringLiteral("NVML"); }
    QString provenance() const override { return QStringLiteral("measured"); }
    /// "NVML: 2 GPUs (GPU 0 NVIDIA H100: energy counter; GPU 1 NVIDIA A100: power samples)", plus the
    /// GPUs left out and why.
    QString description() const override;
    PowerCoverage coverage() const override { return {false, true, false}; }
    /// Sum over the selected GPUs of each one's average power since the previous read(). A GPU whose
    /// read fails this time contributes nothing now; its next good read covers the missed interval.
    PowerReading read() override;

    /// The selected GPUs, in CUDA_VISIBLE_DEVICES order.
    std::vector<GpuInfo> gpus() const;
    /// Visible GPUs that were left out ("GPU 1 Tesla K80: power Not Supported") and ignored
    /// CUDA_VISIBLE_DEVICES entries.
    QStringList notes() const { return notes_; }
    /// The last failed per-GPU read ("GPU 0: GPU is lost"), empty while all reads succeed.
    QString lastError() const { return lastError_; }

    /// CUDA_VISIBLE_DEVICES of this process, nullopt when unset.
    static std::optional<QString> cudaVisibleDevicesFromEnvironment();
    static Clock defaultClock();

private:
    struct Api;
    struct Gpu {
        GpuInfo info;
        void *handle = nullptr; // nvmlDevice_t
        unsigned long long lastEnergyMj = 0;
        double lastS = 0;       ///< clock time of the last good counter read
        double lastPowerW = 0;  ///< last instantaneous sample (power-samples method)
    };

    NvmlPowerSource(std::unique_ptr<Api> api, std::vector<Gpu> gpus, QStringList notes, Clock clock);
    /// Instantaneous power in W, or nullopt with lastError_ set.
    std::optional<double> samplePowerW(const Gpu &gpu);

    std::unique_ptr<Api> api_;
    std::vector<Gpu> gpus_;
    QStringList notes_;
    Clock clock_;
    QString lastError_;
};

} // namespace gw
