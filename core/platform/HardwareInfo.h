#pragma once
#include <QJsonObject>
#include <QString>
#include <QStringList>

namespace gw {

/// What a run ran on, recorded with every run and benchmark because throughput and energy depend
/// on it: CPU model and instruction sets, the BLAS library LibTorch calls and the core type OpenBLAS
/// chose (it may mistake a modern CPU for an old one), thread counts, and the LibTorch version.
struct HardwareInfo {
    QString cpuModel;
    int logicalCores = 0;
    QStringList instructionSets; ///< the notable ones present: sse4_2, avx, avx2, avx512f, amx_tile, ...
    QString blasLibrary;         ///< file name of the BLAS library mapped into this process
    QString blasCoreType;        ///< OpenBLAS core name, or "" when not OpenBLAS
    QString blasCoreTypeOverride; ///< OPENBLAS_CORETYPE, when set
    int torchThreads = 0;
    QString torchVersion;
    QString os;               ///< e.g. "Debian GNU/Linux 12 (bookworm), Linux 6.1.0"
    double ramTotalGb = 0;    ///< machine memory, GB (10^9 bytes)
    int gpuCount = 0;         ///< GPUs whose power is read (filled by whoever opens NVML)
    QString gpuModel;

    /// Reads /proc/cpuinfo and /proc/self/maps and asks OpenBLAS and LibTorch; call it after the
    /// run's thread count has been set.
    static HardwareInfo detect();
    static HardwareInfo fromJson(const QJsonObject &json);
    QJsonObject toJson() const;
    QString summary() const; ///< one line for logs and benchmark tables
};

} // namespace gw
