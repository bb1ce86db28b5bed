/* nvml_probe: checks what NVML reports on this machine, without Qt or the workbench, so a GPU host
 * can be qualified (energy counter or not, plausible watts) before a run is trusted to it.
 *
 *   nvml_probe [library [seconds]]     defaults: libnvidia-ml.so.1, 5
 *
 * Lists each GPU with its name and whether it has the total-energy counter, then keeps the CPU
 * busy for the given time while printing every GPU's counter (mJ) and power (mW) each 0.5 s, and
 * ends with the energy and average power per GPU over the run.
 *
 * Builds on its own, with no NVIDIA header or library present:
 *   cc -O2 -o nvml_probe nvml_probe.c -ldl
 * (the CMake target nvml_probe builds the same file). Exit status: 0 measured, 1 NVML unusable.
 */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The few NVML declarations used, as in NVIDIA's nvml.h. */
typedef int nvmlReturn_t;
typedef void *nvmlDevice_t;
#define NVML_SUCCESS 0
#define NVML_ERROR_NOT_SUPPORTED 3
#define NVML_BUFFER_SIZE 96 /* NVML_DEVICE_NAME_V2_BUFFER_SIZE */
#define MAX_GPUS 64

static nvmlReturn_t (*nvmlInit_v2)(void);
static nvmlReturn_t (*nvmlShutdown)(void);
static const char *(*nvmlErrorString)(nvmlReturn_t);
static nvmlReturn_t (*nvmlDeviceGetCount_v2)(unsigned int *);
static nvmlReturn_t (*nvmlDeviceGetHandleByIndex_v2)(unsigned int, nvmlDevice_t *);
static nvmlReturn_t (*nvmlDeviceGetName)(nvmlDevice_t, char *, unsigned int);
static nvmlReturn_t (*nvmlDeviceGetTotalEnergyConsumption)(nvmlDevice_t, unsigned long long *);
static nvmlReturn_t (*nvmlDeviceGetPowerUsage)(nvmlDevice_t, unsigned int *);

struct gpu {
    nvmlDevice_t handle;
    char name[NVML_BUFFER_SIZE];
    int energy_counter;
    unsigned long long first_energy_mj;
    unsigned long long last_energy_mj;
    double power_integral_mj; /* trapezoid over the power samples, for GPUs without the counter */
    double last_power_mw;
    int power_ok;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* ISO C forbids converting void * to a function pointer; copying the bytes is what POSIX blesses. */
static int resolve(void *library, const char *symbol, void *function_pointer, int required)
{
    void *address = dlsym(library, symbol);
    memcpy(function_pointer, &address, sizeof address);
    if (!address && required) {
        fprintf(stderr, "nvml_probe: the library lacks %s (driver too old, or not NVML)\n", symbol);
        return 0;
    }
    return 1;
}

static const char *error_text(nvmlReturn_t rc)
{
    const char *text = nvmlErrorString ? nvmlErrorString(rc) : NULL;
    return text ? text : "unknown NVML error";
}

/* Keeps a core busy until @p until_s, so the run has some load to show; the result is used so the
 * compiler cannot drop the loop. */
static volatile double busy_sink;
static void busy_until(double until_s)
{
    double x = 1.0;
    while (now_s() < until_s) {
        for (int i = 0; i < 100000; ++i)
            x = x * 1.0000001 + 1e-9;
    }
    busy_sink = x;
}

int main(int argc, char **argv)
{
    const char *library_path = argc > 1 ? argv[1] : "libnvidia-ml.so.1";
    const double duration_s = argc > 2 ? atof(argv[2]) : 5.0;
    const double period_s = 0.5;
    if (duration_s <= 0) {
        fprintf(stderr, "nvml_probe: duration must be a positive number of seconds, got \"%s\"\n", argv[2]);
        return 1;
    }

    void *library = dlopen(library_path, RTLD_NOW | RTLD_LOCAL);
    if (!library) {
        fprintf(stderr, "nvml_probe: no NVIDIA driver library (%s) could be loaded: %s\n", library_path, dlerror());
        return 1;
    }
    int ok = resolve(library, "nvmlInit_v2", &nvmlInit_v2, 1);
    ok &= resolve(library, "nvmlShutdown", &nvmlShutdown, 1);
    ok &= resolve(library, "nvmlErrorString", &nvmlErrorString, 1);
    ok &= resolve(library, "nvmlDeviceGetCount_v2", &nvmlDeviceGetCount_v2, 1);
    ok &= resolve(library, "nvmlDeviceGetHandleByIndex_v2", &nvmlDeviceGetHandleByIndex_v2, 1);
    ok &= resolve(library, "nvmlDeviceGetName", &nvmlDeviceGetName, 1);
    ok &= resolve(library, "nvmlDeviceGetPowerUsage", &nvmlDeviceGetPowerUsage, 1);
    ok &= resolve(library, "nvmlDeviceGetTotalEnergyConsumption", &nvmlDeviceGetTotalEnergyConsumption, 0);
    if (!ok) {
        dlclose(library);
        return 1;
    }

    nvmlReturn_t rc = nvmlInit_v2();
    if (rc != NVML_SUCCESS) {
        fprintf(stderr, "nvml_probe: nvmlInit_v2 failed: %s (%d)\n", error_text(rc), rc);
        dlclose(library);
        return 1;
    }
    unsigned int count = 0;
    rc = nvmlDeviceGetCount_v2(&count);
    if (rc != NVML_SUCCESS || count == 0) {
        fprintf(stderr, "nvml_probe: %s\n", rc != NVML_SUCCESS ? error_text(rc) : "no GPU found");
        nvmlShutdown();
        dlclose(library);
        return 1;
    }
    if (count > MAX_GPUS)
        count = MAX_GPUS;

    static struct gpu gpus[MAX_GPUS];
    printf("library %s: %u GPU%s\n", library_path, count, count == 1 ? "" : "s");
    for (unsigned int i = 0; i < count; ++i) {
        struct gpu *g = &gpus[i];
        rc = nvmlDeviceGetHandleByIndex_v2(i, &g->handle);
        if (rc != NVML_SUCCESS) {
            printf("GPU %u: no handle: %s\n", i, error_text(rc));
            g->handle = NULL;
            continue;
        }
        if (nvmlDeviceGetName(g->handle, g->name, sizeof g->name) != NVML_SUCCESS)
            strcpy(g->name, "unnamed GPU");
        rc = nvmlDeviceGetTotalEnergyConsumption ? nvmlDeviceGetTotalEnergyConsumption(g->handle, &g->first_energy_mj)
                                                 : NVML_ERROR_NOT_SUPPORTED;
        g->energy_counter = rc == NVML_SUCCESS;
        g->last_energy_mj = g->first_energy_mj;
        unsigned int power_mw = 0;
        g->power_ok = nvmlDeviceGetPowerUsage(g->handle, &power_mw) == NVML_SUCCESS;
        g->last_power_mw = power_mw;
        printf("GPU %u: %s, energy counter: %s%s%s\n", i, g->name, g->energy_counter ? "yes" : "no (",
               g->energy_counter ? "" : error_text(rc), g->energy_counter ? "" : "), power samples instead");
    }

    printf("busy CPU loop for %.1f s, sampling every %.1f s\n", duration_s, period_s);
    printf("%7s %4s %16s %10s\n", "t_s", "gpu", "energy_mj", "power_mw");
    const double start_s = now_s();
    /* The baseline at the start of the timed run, so the energy and the elapsed time match. */
    for (unsigned int i = 0; i < count; ++i) {
        struct gpu *g = &gpus[i];
        if (g->handle && g->energy_counter && nvmlDeviceGetTotalEnergyConsumption(g->handle, &g->first_energy_mj) == NVML_SUCCESS)
            g->last_energy_mj = g->first_energy_mj;
    }
    double next_s = start_s;
    double t_s = start_s;
    do {
        const double previous_s = t_s;
        next_s += period_s;
        if (next_s > start_s + duration_s)
            next_s = start_s + duration_s;
        busy_until(next_s);
        t_s = now_s();
        for (unsigned int i = 0; i < count; ++i) {
            struct gpu *g = &gpus[i];
            if (!g->handle)
                continue;
            unsigned long long energy_mj = 0;
            unsigned int power_mw = 0;
            const int energy_ok = g->energy_counter && nvmlDeviceGetTotalEnergyConsumption(g->handle, &energy_mj) == NVML_SUCCESS;
            const nvmlReturn_t power_rc = nvmlDeviceGetPowerUsage(g->handle, &power_mw);
            if (energy_ok)
                g->last_energy_mj = energy_mj;
            if (power_rc == NVML_SUCCESS) {
                g->power_integral_mj += (g->last_power_mw + power_mw) / 2.0 * (t_s - previous_s);
                g->last_power_mw = power_mw;
            }
            char energy_text[32], power_text[32];
            if (energy_ok)
                snprintf(energy_text, sizeof energy_text, "%llu", energy_mj);
            else
                snprintf(energy_text, sizeof energy_text, "-");
            if (power_rc == NVML_SUCCESS)
                snprintf(power_text, sizeof power_text, "%u", power_mw);
            else
                snprintf(power_text, sizeof power_text, "(%s)", error_text(power_rc));
            printf("%7.2f %4u %16s %10s\n", t_s - start_s, i, energy_text, power_text);
        }
        fflush(stdout);
    } while (t_s < start_s + duration_s - 1e-3);

    const double elapsed_s = t_s - start_s;
    printf("summary over %.2f s:\n", elapsed_s);
    for (unsigned int i = 0; i < count; ++i) {
        const struct gpu *g = &gpus[i];
        if (!g->handle)
            continue;
        if (g->energy_counter) {
            const double energy_j = (double)(g->last_energy_mj - g->first_energy_mj) / 1000.0;
            printf("GPU %u %s: %.3f J, average %.2f W (energy counter)\n", i, g->name, energy_j, energy_j / elapsed_s);
        } else if (g->power_ok) {
            const double energy_j = g->power_integral_mj / 1000.0;
            printf("GPU %u %s: %.3f J, average %.2f W (power samples, trapezoid)\n", i, g->name, energy_j, energy_j / elapsed_s);
        } else {
            printf("GPU %u %s: reports no power\n", i, g->name);
        }
    }
    nvmlShutdown();
    dlclose(library);
    return 0;
}
