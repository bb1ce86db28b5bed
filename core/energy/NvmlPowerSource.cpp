#include "energy/NvmlPowerSource.h"

#include <QFile>
#include <QFileInfo>
#include <algorithm>
#include <chrono>
#include <type_traits>

#include <dlfcn.h>

namespace gw {

namespace {

// The few NVML declarations used here, as in NVIDIA's nvml.h: no header or link-time dependency on
// the driver, so the workbench builds and runs on machines without one.
using nvmlReturn_t = int;
using nvmlDevice_t = void *;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
// NVML_DEVICE_NAME_V2_BUFFER_SIZE and NVML_DEVICE_UUID_V2_BUFFER_SIZE: the largest the API documents.
constexpr unsigned kNameBufferSize = 96;
constexpr unsigned kUuidBufferSize = 96;

using InitFn = nvmlReturn_t (*)();
using ShutdownFn = nvmlReturn_t (*)();
using ErrorStringFn = const char *(*)(nvmlReturn_t);
using GetCountFn = nvmlReturn_t (*)(unsigned int *);
using GetHandleByIndexFn = nvmlReturn_t (*)(unsigned int, nvmlDevice_t *);
using GetNameFn = nvmlReturn_t (*)(nvmlDevice_t, char *, unsigned int);
using GetUuidFn = nvmlReturn_t (*)(nvmlDevice_t, char *, unsigned int);
using GetTotalEnergyFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned long long *);
using GetPowerUsageFn = nvmlReturn_t (*)(nvmlDevice_t, unsigned int *);

const QString kNotMeasured = QStringLiteral("GPU power not measured");

} // namespace

/// The loaded library and its entry points. Owning shutdown and dlclose here means every early
/// return of open() after a successful nvmlInit releases NVML too.
struct NvmlPowerSource::Api {
    void *library = nullptr;
    bool initialised = false;
    InitFn init = nullptr;
    ShutdownFn shutdown = nullptr;
    ErrorStringFn errorString = nullptr;
    GetCountFn getCount = nullptr;
    GetHandleByIndexFn getHandleByIndex = nullptr;
    GetNameFn getName = nullptr;
    GetPowerUsageFn getPowerUsage = nullptr;
    // Optional: drivers before the Volta era lack the energy counter, and UUIDs are only needed
    // when CUDA_VISIBLE_DEVICES names GPUs by UUID.
    GetTotalEnergyFn getTotalEnergy = nullptr;
    GetUuidFn getUuid = nullptr;

    ~Api()
    {
        if (initialised)
            shutdown();
        if (library)
            dlclose(library);
    }

    QString error(nvmlReturn_t code) const
    {
        const char *text = errorString ? errorString(code) : nullptr;
        return text && *text ? QString::fromUtf8(text) : QStringLiteral("NVML error %1").arg(code);
    }
};

QString NvmlPowerSource::GpuInfo::method() const
{
    return energyCounter ? QStringLiteral("energy counter") : QStringLiteral("power samples");
}

std::optional<QString> NvmlPowerSource::cudaVisibleDevicesFromEnvironment()
{
    if (!qEnvironmentVariableIsSet("CUDA_VISIBLE_DEVICES"))
        return std::nullopt;
    return qEnvironmentVariable("CUDA_VISIBLE_DEVICES");
}

NvmlPowerSource::Clock NvmlPowerSource::defaultClock()
{
    return [] { return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count(); };
}

std::unique_ptr<NvmlPowerSource> NvmlPowerSource::open(const QString &libraryPath, QString *whyNot,
                                                       std::optional<QString> cudaVisibleDevices, Clock clock)
{
    if (!clock)
        clock = defaultClock();
    const auto fail = [whyNot](const QString &why) {
        if (whyNot)
            *whyNot = why;
        return std::unique_ptr<NvmlPowerSource>();
    };

    auto api = std::make_unique<Api>();
    dlerror();
    // RTLD_LOCAL: NVML's symbols must not leak into the global namespace of the process, where a
    // plugin linking its own copy could bind to ours.
    api->library = dlopen(QFile::encodeName(libraryPath).constData(), RTLD_NOW | RTLD_LOCAL);
    if (!api->library) {
        const char *dlError = dlerror();
        const QString detail = dlError ? QString::fromLocal8Bit(dlError) : QString();
        // A bare soname is searched on the loader path, so only dlopen's message tells "absent" apart
        // from "present but unloadable" (wrong architecture, missing dependency).
        const bool absent = libraryPath.contains(QLatin1Char('/')) ? !QFileInfo::exists(libraryPath)
                                                                   : detail.contains(QStringLiteral("No such file"));
        if (absent)
            return fail(QStringLiteral("no NVIDIA driver library (%1) found: %2").arg(libraryPath, kNotMeasured));
        return fail(QStringLiteral("NVIDIA driver library %1 could not be loaded (%2): %3").arg(libraryPath, detail, kNotMeasured));
    }

    QStringList missing;
    const auto resolve = [&](auto &fn, const char *symbol, bool required) {
        fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(dlsym(api->library, symbol));
        if (!fn && required)
            missing << QString::fromLatin1(symbol);
    };
    resolve(api->init, "nvmlInit_v2", true);
    resolve(api->shutdown, "nvmlShutdown", true);
    resolve(api->errorString, "nvmlErrorString", true);
    resolve(api->getCount, "nvmlDeviceGetCount_v2", true);
    resolve(api->getHandleByIndex, "nvmlDeviceGetHandleByIndex_v2", true);
    resolve(api->getName, "nvmlDeviceGetName", true);
    resolve(api->getPowerUsage, "nvmlDeviceGetPowerUsage", true);
    resolve(api->getTotalEnergy, "nvmlDeviceGetTotalEnergyConsumption", false);
    resolve(api->getUuid, "nvmlDeviceGetUUID", false);
    if (!missing.isEmpty()) {
        // Without nvmlInit_v2 it is no NVML at all (a wrong path); with it, an older or broken driver.
        const QString hint = api->init ? QStringLiteral("driver too old or broken?") : QStringLiteral("not NVML?");
        return fail(QStringLiteral("%1 is not a usable NVML library (missing %2; %3): %4")
                        .arg(libraryPath, missing.join(QStringLiteral(", ")), hint, kNotMeasured));
    }

    const nvmlReturn_t initRc = api->init();
    if (initRc != NVML_SUCCESS)
        return fail(QStringLiteral("NVML: nvmlInit failed: %1 (is the NVIDIA kernel driver loaded? nvidia-smi shows the same): %2")
                        .arg(api->error(initRc), kNotMeasured));
    api->initialised = true;

    unsigned int count = 0;
    const nvmlReturn_t countRc = api->getCount(&count);
    if (countRc != NVML_SUCCESS)
        return fail(QStringLiteral("NVML: cannot count GPUs: %1: %2").arg(api->error(countRc), kNotMeasured));
    if (count == 0)
        return fail(QStringLiteral("NVML: no NVIDIA GPU found: %1").arg(kNotMeasured));

    // Every GPU's handle, name and UUID first: CUDA_VISIBLE_DEVICES may name any of them by UUID.
    std::vector<Gpu> all(count);
    QStringList notes;
    for (unsigned int i = 0; i < count; ++i) {
        Gpu &gpu = all[i];
        gpu.info.index = int(i);
        nvmlDevice_t handle = nullptr;
        const nvmlReturn_t rc = api->getHandleByIndex(i, &handle);
        if (rc != NVML_SUCCESS) {
            // E.g. NVML_ERROR_NO_PERMISSION for a GPU outside this container's cgroup.
            notes << QStringLiteral("GPU %1: %2").arg(i).arg(api->error(rc));
            continue;
        }
        gpu.handle = handle;
        char buffer[kNameBufferSize > kUuidBufferSize ? kNameBufferSize : kUuidBufferSize] = {};
        gpu.info.name = api->getName(handle, buffer, kNameBufferSize) == NVML_SUCCESS ? QString::fromUtf8(buffer)
                                                                                     : QStringLiteral("unnamed GPU");
        buffer[0] = '\0';
        if (api->getUuid && api->getUuid(handle, buffer, kUuidBufferSize) == NVML_SUCCESS)
            gpu.info.uuid = QString::fromLatin1(buffer);
    }

    std::vector<unsigned int> selected;
    if (!cudaVisibleDevices) {
        for (unsigned int i = 0; i < count; ++i)
            selected.push_back(i);
    } else {
        // As CUDA does, the list ends at the first entry that names no GPU, so "-1" (and "") hide
        // them all and "0,-1,1" means GPU 0 only.
        const QStringList entries = cudaVisibleDevices->split(QLatin1Char(','));
        for (const QString &rawEntry : entries) {
            const QString entry = rawEntry.trimmed();
            std::optional<unsigned int> match;
            QString why = QStringLiteral("names no visible GPU");
            if (entry.startsWith(QStringLiteral("GPU-"), Qt::CaseInsensitive)) {
                // CUDA accepts any unique prefix of a UUID.
                int found = 0;
                for (unsigned int i = 0; i < count; ++i) {
                    if (!all[i].info.uuid.isEmpty() && all[i].info.uuid.startsWith(entry, Qt::CaseInsensitive)) {
                        match = i;
                        ++found;
                    }
                }
                if (found > 1) {
                    match.reset();
                    why = QStringLiteral("matches %1 GPUs").arg(found);
                }
                if (!api->getUuid)
                    why = QStringLiteral("is a UUID, and this driver has no nvmlDeviceGetUUID to match it");
            } else {
                bool ok = false;
                const unsigned int index = entry.toUInt(&ok);
                if (ok && index < count)
                    match = index;
            }
            if (!match) {
                if (entry != QStringLiteral("-1") && !entry.isEmpty())
                    notes << QStringLiteral("CUDA_VISIBLE_DEVICES entry \"%1\" %2; it and the entries after it are ignored, as CUDA does")
                                 .arg(entry, why);
                break;
            }
            if (std::find(selected.begin(), selected.end(), *match) == selected.end())
                selected.push_back(*match);
        }
        if (selected.empty())
            return fail(QStringLiteral("NVML: CUDA_VISIBLE_DEVICES=\"%1\" hides all GPUs from this process%2: %3")
                            .arg(*cudaVisibleDevices,
                                 notes.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(notes.join(QStringLiteral("; "))),
                                 kNotMeasured));
    }

    std::vector<Gpu> gpus;
    for (unsigned int i : selected) {
        Gpu gpu = all[i];
        if (!gpu.handle)
            continue; // already noted
        unsigned long long energyMj = 0;
        const nvmlReturn_t energyRc = api->getTotalEnergy ? api->getTotalEnergy(gpu.handle, &energyMj) : NVML_ERROR_NOT_SUPPORTED;
        unsigned int powerMw = 0;
        const nvmlReturn_t powerRc = api->getPowerUsage(gpu.handle, &powerMw);
        if (energyRc == NVML_SUCCESS) {
            gpu.info.energyCounter = true;
            gpu.lastEnergyMj = energyMj;
        } else if (powerRc != NVML_SUCCESS) {
            // Some consumer and laptop GPUs report neither; counting them as 0 W would understate.
            notes << QStringLiteral("GPU %1 %2: reports no power (%3), not measured").arg(i).arg(gpu.info.name, api->error(powerRc));
            continue;
        }
        gpu.lastPowerW = powerRc == NVML_SUCCESS ? powerMw / 1000.0 : 0.0;
        gpus.push_back(gpu);
    }
    if (gpus.empty())
        return fail(QStringLiteral("NVML: no visible GPU reports its power (%1): %2").arg(notes.join(QStringLiteral("; ")), kNotMeasured));

    return std::unique_ptr<NvmlPowerSource>(new NvmlPowerSource(std::move(api), std::move(gpus), std::move(notes), std::move(clock)));
}

NvmlPowerSource::NvmlPowerSource(std::unique_ptr<Api> api, std::vector<Gpu> gpus, QStringList notes, Clock clock)
    : api_(std::move(api)), gpus_(std::move(gpus)), notes_(std::move(notes)), clock_(std::move(clock))
{
    const double nowS = clock_();
    for (Gpu &gpu : gpus_)
        gpu.lastS = nowS;
}

// Out of line: Api is complete only here. ~Api shuts NVML down and closes the library.
NvmlPowerSource::~NvmlPowerSource() = default;

QString NvmlPowerSource::description() const
{
    QStringList parts;
    for (const Gpu &gpu : gpus_)
        parts << QStringLiteral("GPU %1 %2: %3").arg(gpu.info.index).arg(gpu.info.name, gpu.info.method());
    QString text = QStringLiteral("NVML: %1 GPU%2 (%3)")
                       .arg(gpus_.size())
                       .arg(gpus_.size() == 1 ? QString() : QStringLiteral("s"), parts.join(QStringLiteral("; ")));
    if (!notes_.isEmpty())
        text += QStringLiteral("; left out: %1").arg(notes_.join(QStringLiteral("; ")));
    return text;
}

std::vector<NvmlPowerSource::GpuInfo> NvmlPowerSource::gpus() const
{
    std::vector<GpuInfo> infos;
    infos.reserve(gpus_.size());
    for (const Gpu &gpu : gpus_)
        infos.push_back(gpu.info);
    return infos;
}

std::optional<double> NvmlPowerSource::samplePowerW(const Gpu &gpu)
{
    unsigned int powerMw = 0;
    const nvmlReturn_t rc = api_->getPowerUsage(gpu.handle, &powerMw);
    if (rc != NVML_SUCCESS) {
        lastError_ = QStringLiteral("GPU %1: power: %2").arg(gpu.info.index).arg(api_->error(rc));
        return std::nullopt;
    }
    return powerMw / 1000.0;
}

PowerReading NvmlPowerSource::read()
{
    const double nowS = clock_();
    lastError_.clear();
    PowerReading reading;
    for (Gpu &gpu : gpus_) {
        if (!gpu.info.energyCounter) {
            const std::optional<double> powerW = samplePowerW(gpu);
            if (!powerW)
                continue; // the next good sample closes the trapezoid from the last good one
            reading.gpuPowerW += (gpu.lastPowerW + *powerW) / 2;
            gpu.lastPowerW = *powerW;
            continue;
        }
        unsigned long long energyMj = 0;
        const nvmlReturn_t rc = api_->getTotalEnergy(gpu.handle, &energyMj);
        const double intervalS = nowS - gpu.lastS;
        if (rc != NVML_SUCCESS) {
            lastError_ = QStringLiteral("GPU %1: energy: %2").arg(gpu.info.index).arg(api_->error(rc));
            continue; // the next good read covers this interval too
        }
        if (intervalS <= 0)
            continue;
        if (energyMj < gpu.lastEnergyMj) {
            // The counter restarts when the driver reloads; the instantaneous power stands in for
            // this one interval.
            gpu.lastEnergyMj = energyMj;
            gpu.lastS = nowS;
            if (const std::optional<double> powerW = samplePowerW(gpu))
                reading.gpuPowerW += *powerW;
            continue;
        }
        reading.gpuPowerW += double(energyMj - gpu.lastEnergyMj) / 1000.0 / intervalS;
        gpu.lastEnergyMj = energyMj;
        gpu.lastS = nowS;
    }
    return reading;
}

} // namespace gw
