#include "platform/HardwareInfo.h"

#include "models/TorchRuntime.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QSysInfo>
#include <QThread>
#include <dlfcn.h>

namespace gw {

namespace {
QString readProcFile(const char *path)
{
    QFile file(QString::fromLatin1(path));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromLatin1(file.readAll()); // /proc files report size 0, so read to the end
}

QString cpuInfoField(const QString &cpuinfo, const QString &field)
{
    for (const QString &line : cpuinfo.split(QLatin1Char('\n'))) {
        if (line.startsWith(field)) {
            const int colon = line.indexOf(QLatin1Char(':'));
            if (colon > 0)
                return line.mid(colon + 1).trimmed();
        }
    }
    return {};
}

QString mappedBlasLibrary()
{
    for (const QString &line : readProcFile("/proc/self/maps").split(QLatin1Char('\n'))) {
        const int slash = line.indexOf(QLatin1Char('/'));
        if (slash < 0)
            continue;
        const QString path = line.mid(slash);
        const QString file = QFileInfo(path).fileName();
        if (file.contains(QStringLiteral("blas")) || file.contains(QStringLiteral("mkl_rt")))
            return QFileInfo(path).canonicalFilePath().isEmpty() ? path : QFileInfo(path).canonicalFilePath();
    }
    return {};
}
} // namespace

HardwareInfo HardwareInfo::detect()
{
    HardwareInfo info;
    const QString cpuinfo = readProcFile("/proc/cpuinfo");
    info.cpuModel = cpuInfoField(cpuinfo, QStringLiteral("model name"));
    if (info.cpuModel.isEmpty())
        info.cpuModel = QStringLiteral("unknown");
    info.logicalCores = std::max(1, QThread::idealThreadCount());
    const QStringList flags = cpuInfoField(cpuinfo, QStringLiteral("flags")).split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (const char *notable : {"sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16", "amx_int8"}) {
        if (flags.contains(QLatin1String(notable)))
            info.instructionSets << QString::fromLatin1(notable);
    }
    info.blasLibrary = mappedBlasLibrary();
    // OpenBLAS exports its chosen kernel set; other BLAS libraries do not have this symbol.
    using CoreNameFn = char *(*)();
    if (auto coreName = reinterpret_cast<CoreNameFn>(dlsym(RTLD_DEFAULT, "openblas_get_corename")))
        info.blasCoreType = QString::fromLatin1(coreName());
    info.blasCoreTypeOverride = qEnvironmentVariable("OPENBLAS_CORETYPE");
    info.torchThreads = TorchRuntime::threads();
    info.torchVersion = TorchRuntime::version();
    info.os = QStringLiteral("%1, %2 %3").arg(QSysInfo::prettyProductName(), QSysInfo::kernelType(), QSysInfo::kernelVersion());
    for (const QString &line : readProcFile("/proc/meminfo").split(QLatin1Char('\n'))) {
        if (line.startsWith(QStringLiteral("MemTotal:")))
            info.ramTotalGb = line.section(QLatin1Char(':'), 1).trimmed().section(QLatin1Char(' '), 0, 0).toDouble() * 1024.0 / 1e9;
    }
    return info;
}

QJsonObject HardwareInfo::toJson() const
{
    return QJsonObject{{QStringLiteral("cpu_model"), cpuModel},
                       {QStringLiteral("logical_cores"), logicalCores},
                       {QStringLiteral("instruction_sets"), QJsonArray::fromStringList(instructionSets)},
                       {QStringLiteral("blas_library"), blasLibrary},
                       {QStringLiteral("blas_core_type"), blasCoreType},
                       {QStringLiteral("blas_core_type_override"), blasCoreTypeOverride},
                       {QStringLiteral("torch_threads"), torchThreads},
                       {QStringLiteral("torch_version"), torchVersion},
                       {QStringLiteral("os"), os},
                       {QStringLiteral("ram_total_gb"), ramTotalGb},
                       {QStringLiteral("gpu_count"), gpuCount},
                       {QStringLiteral("gpu_model"), gpuModel}};
}

HardwareInfo HardwareInfo::fromJson(const QJsonObject &json)
{
    HardwareInfo info;
    info.cpuModel = json.value(QStringLiteral("cpu_model")).toString();
    info.logicalCores = json.value(QStringLiteral("logical_cores")).toInt();
    for (const QJsonValue &v : json.value(QStringLiteral("instruction_sets")).toArray())
        info.instructionSets << v.toString();
    info.blasLibrary = json.value(QStringLiteral("blas_library")).toString();
    info.blasCoreType = json.value(QStringLiteral("blas_core_type")).toString();
    info.blasCoreTypeOverride = json.value(QStringLiteral("blas_core_type_override")).toString();
    info.torchThreads = json.value(QStringLiteral("torch_threads")).toInt();
    info.torchVersion = json.value(QStringLiteral("torch_version")).toString();
    info.os = json.value(QStringLiteral("os")).toString();
    info.ramTotalGb = json.value(QStringLiteral("ram_total_gb")).toDouble();
    info.gpuCount = json.value(QStringLiteral("gpu_count")).toInt();
    info.gpuModel = json.value(QStringLiteral("gpu_model")).toString();
    return info;
}

QString HardwareInfo::summary() const
{
    return QStringLiteral("%1, %2 logical cores [%3]; BLAS %4 (core %5%6); LibTorch %7 on %8 threads")
        .arg(cpuModel)
        .arg(logicalCores)
        .arg(instructionSets.join(QLatin1Char(' ')))
        .arg(blasLibrary.isEmpty() ? QStringLiteral("unknown") : QFileInfo(blasLibrary).fileName())
        .arg(blasCoreType.isEmpty() ? QStringLiteral("n/a") : blasCoreType)
        .arg(blasCoreTypeOverride.isEmpty() ? QString() : QStringLiteral(", OPENBLAS_CORETYPE=") + blasCoreTypeOverride)
        .arg(torchVersion)
        .arg(torchThreads);
}

} // namespace gw
