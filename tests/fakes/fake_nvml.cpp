// A stand-in for libnvidia-ml.so.1 with exactly the NVML functions NvmlPowerSource and nvml_probe
// use, so both can be tested on machines without an NVIDIA GPU.
//
// Configured from the environment at nvmlInit_v2 (each init starts afresh):
//   FAKE_NVML_GPU_COUNT=N               GPUs (default 1)
//   FAKE_NVML_POWER_MW=a[,b,...]        power per GPU in mW; the last value repeats (default 100000)
//   FAKE_NVML_ENERGY_MJ=e               each counter's value at init (default 1000000)
//   FAKE_NVML_NO_ENERGY_COUNTER=1       no GPU has the energy counter (NVML_ERROR_NOT_SUPPORTED)
//   FAKE_NVML_NO_ENERGY_COUNTER_ON=i,j  only these GPUs lack it
//   FAKE_NVML_NO_POWER_ON=i,j           these GPUs report neither energy nor power
//   FAKE_NVML_INIT_FAIL=1               nvmlInit_v2 returns NVML_ERROR_DRIVER_NOT_LOADED
//   FAKE_NVML_MANUAL=1                  counters stand still until a test moves them (see below)
// Names are "NVIDIA Fake GPU <i>", UUIDs "GPU-fa4e000<i>-0000-4000-8000-00000000000<i>" (i in hex).
//
// Energy counters advance with steady time at the GPU's power, as a real board's do, until a test
// takes a GPU over with one of the fake_nvml_set_* functions (found through dlsym) or FAKE_NVML_MANUAL
// is set: from then on its counter and power change only when the test says, so averages are exact.
//
// Built with -DFAKE_NVML_WITHOUT_POWER_USAGE or -DFAKE_NVML_WITHOUT_ENERGY_SYMBOL, it lacks that
// symbol, as a broken or an old driver library would.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#define FAKE_NVML_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

using nvmlReturn_t = int;
constexpr nvmlReturn_t NVML_SUCCESS = 0;
constexpr nvmlReturn_t NVML_ERROR_UNINITIALIZED = 1;
constexpr nvmlReturn_t NVML_ERROR_INVALID_ARGUMENT = 2;
constexpr nvmlReturn_t NVML_ERROR_NOT_SUPPORTED = 3;
constexpr nvmlReturn_t NVML_ERROR_INSUFFICIENT_SIZE = 7;
constexpr nvmlReturn_t NVML_ERROR_DRIVER_NOT_LOADED = 9;

struct FakeGpu {
    unsigned index = 0;
    unsigned powerMw = 0;
    unsigned long long energyAtStartMj = 0;
    bool energyCounter = true;
    bool power = true;
    bool manual = false; // a test sets the values
    unsigned long long manualEnergyMj = 0;
    nvmlReturn_t error = NVML_SUCCESS; // forced on every energy/power query
};
using nvmlDevice_t = FakeGpu *;

std::vector<FakeGpu> gpus;
int initCount = 0;
std::chrono::steady_clock::time_point startTime;

std::vector<long long> numberList(const char *name)
{
    std::vector<long long> values;
    const char *text = std::getenv(name);
    if (!text)
        return values;
    std::string s(text);
    size_t pos = 0;
    while (pos <= s.size()) {
        const size_t comma = s.find(',', pos);
        const std::string item = s.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        if (!item.empty())
            values.push_back(std::atoll(item.c_str()));
        if (comma == std::string::npos)
            break;
        pos = comma + 1;
    }
    return values;
}

bool contains(const std::vector<long long> &values, unsigned index)
{
    for (long long v : values)
        if (v == (long long)index)
            return true;
    return false;
}

bool flag(const char *name)
{
    const char *text = std::getenv(name);
    return text && std::strcmp(text, "1") == 0;
}

nvmlReturn_t check(nvmlDevice_t device)
{
    if (initCount == 0)
        return NVML_ERROR_UNINITIALIZED;
    for (FakeGpu &gpu : gpus)
        if (&gpu == device)
            return gpu.error;
    return NVML_ERROR_INVALID_ARGUMENT;
}

nvmlReturn_t copyString(char *out, unsigned int length, const std::string &value)
{
    if (!out || length == 0)
        return NVML_ERROR_INVALID_ARGUMENT;
    if (value.size() + 1 > length)
        return NVML_ERROR_INSUFFICIENT_SIZE;
    std::memcpy(out, value.c_str(), value.size() + 1);
    return NVML_SUCCESS;
}

unsigned long long energyMj(const FakeGpu &gpu)
{
    if (gpu.manual)
        return gpu.manualEnergyMj;
    const double elapsedS = std::chrono::duration<double>(std::chrono::steady_clock::now() - startTime).count();
    return gpu.energyAtStartMj + (unsigned long long)(gpu.powerMw * elapsedS); // mW x s = mJ
}

FakeGpu *takeOver(unsigned index)
{
    if (index >= gpus.size())
        return nullptr;
    FakeGpu &gpu = gpus[index];
    if (!gpu.manual) {
        gpu.manualEnergyMj = energyMj(gpu);
        gpu.manual = true;
    }
    return &gpu;
}

} // namespace

FAKE_NVML_EXPORT nvmlReturn_t nvmlInit_v2(void)
{
    if (flag("FAKE_NVML_INIT_FAIL"))
        return NVML_ERROR_DRIVER_NOT_LOADED;
    if (initCount++ > 0)
        return NVML_SUCCESS; // NVML counts inits; only the first one reads the configuration
    const char *countText = std::getenv("FAKE_NVML_GPU_COUNT");
    const int count = countText ? std::atoi(countText) : 1;
    const std::vector<long long> powers = numberList("FAKE_NVML_POWER_MW");
    const char *energyText = std::getenv("FAKE_NVML_ENERGY_MJ");
    const bool noCounter = flag("FAKE_NVML_NO_ENERGY_COUNTER");
    const std::vector<long long> noCounterOn = numberList("FAKE_NVML_NO_ENERGY_COUNTER_ON");
    const std::vector<long long> noPowerOn = numberList("FAKE_NVML_NO_POWER_ON");
    const bool manual = flag("FAKE_NVML_MANUAL");
    gpus.assign(count > 0 ? size_t(count) : 0, FakeGpu{});
    for (unsigned i = 0; i < gpus.size(); ++i) {
        FakeGpu &gpu = gpus[i];
        gpu.index = i;
        gpu.powerMw = powers.empty() ? 100000u : unsigned(powers[i < powers.size() ? i : powers.size() - 1]);
        gpu.energyAtStartMj = energyText ? std::strtoull(energyText, nullptr, 10) : 1000000ull;
        gpu.power = !contains(noPowerOn, i);
        gpu.energyCounter = gpu.power && !noCounter && !contains(noCounterOn, i);
        gpu.manual = manual;
        gpu.manualEnergyMj = gpu.energyAtStartMj;
    }
    startTime = std::chrono::steady_clock::now();
    return NVML_SUCCESS;
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlShutdown(void)
{
    if (initCount == 0)
        return NVML_ERROR_UNINITIALIZED;
    --initCount;
    return NVML_SUCCESS;
}

FAKE_NVML_EXPORT const char *nvmlErrorString(nvmlReturn_t result)
{
    // The texts of the real library, so messages read as they would with a driver.
    switch (result) {
    case NVML_SUCCESS: return "Success";
    case NVML_ERROR_UNINITIALIZED: return "Uninitialized";
    case NVML_ERROR_INVALID_ARGUMENT: return "Invalid Argument";
    case NVML_ERROR_NOT_SUPPORTED: return "Not Supported";
    case NVML_ERROR_INSUFFICIENT_SIZE: return "Insufficient Size";
    case NVML_ERROR_DRIVER_NOT_LOADED: return "Driver Not Loaded";
    case 15: return "GPU is lost";
    default: return "Unknown Error";
    }
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *deviceCount)
{
    if (initCount == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!deviceCount)
        return NVML_ERROR_INVALID_ARGUMENT;
    *deviceCount = unsigned(gpus.size());
    return NVML_SUCCESS;
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device)
{
    if (initCount == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (!device || index >= gpus.size())
        return NVML_ERROR_INVALID_ARGUMENT;
    *device = &gpus[index];
    return NVML_SUCCESS;
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length)
{
    if (initCount == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (check(device) == NVML_ERROR_INVALID_ARGUMENT)
        return NVML_ERROR_INVALID_ARGUMENT;
    return copyString(name, length, "NVIDIA Fake GPU " + std::to_string(device->index));
}

FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetUUID(nvmlDevice_t device, char *uuid, unsigned int length)
{
    if (initCount == 0)
        return NVML_ERROR_UNINITIALIZED;
    if (check(device) == NVML_ERROR_INVALID_ARGUMENT)
        return NVML_ERROR_INVALID_ARGUMENT;
    char text[64];
    std::snprintf(text, sizeof text, "GPU-fa4e%04x-0000-4000-8000-%012x", device->index, device->index);
    return copyString(uuid, length, text);
}

#ifndef FAKE_NVML_WITHOUT_ENERGY_SYMBOL
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetTotalEnergyConsumption(nvmlDevice_t device, unsigned long long *energy)
{
    const nvmlReturn_t rc = check(device);
    if (rc != NVML_SUCCESS)
        return rc;
    if (!device->energyCounter)
        return NVML_ERROR_NOT_SUPPORTED;
    if (!energy)
        return NVML_ERROR_INVALID_ARGUMENT;
    *energy = energyMj(*device);
    return NVML_SUCCESS;
}
#endif

#ifndef FAKE_NVML_WITHOUT_POWER_USAGE
FAKE_NVML_EXPORT nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *power)
{
    const nvmlReturn_t rc = check(device);
    if (rc != NVML_SUCCESS)
        return rc;
    if (!device->power)
        return NVML_ERROR_NOT_SUPPORTED;
    if (!power)
        return NVML_ERROR_INVALID_ARGUMENT;
    *power = device->powerMw;
    return NVML_SUCCESS;
}
#endif

// Test controls. Each takes the GPU over: its counter stops following the clock.

FAKE_NVML_EXPORT void fake_nvml_set_energy_mj(unsigned index, unsigned long long energyMj)
{
    if (FakeGpu *gpu = takeOver(index))
        gpu->manualEnergyMj = energyMj;
}

FAKE_NVML_EXPORT void fake_nvml_add_energy_mj(unsigned index, unsigned long long energyMj)
{
    if (FakeGpu *gpu = takeOver(index))
        gpu->manualEnergyMj += energyMj;
}

FAKE_NVML_EXPORT void fake_nvml_set_power_mw(unsigned index, unsigned powerMw)
{
    if (FakeGpu *gpu = takeOver(index))
        gpu->powerMw = powerMw;
}

/// Every energy and power query of GPU @p index returns @p error (0 restores success).
FAKE_NVML_EXPORT void fake_nvml_set_error(unsigned index, int error)
{
    if (index < gpus.size())
        gpus[index].error = error;
}

/// Inits not yet matched by a shutdown.
FAKE_NVML_EXPORT int fake_nvml_init_count(void)
{
    return initCount;
}
