// CPU cost of the energy sampler: an EnergyMonitor on the production power source at several rates,
// set beside a run without one, printed as one JSON object for run_benchmarks.sh. The requirement
// it shows: the sampler's own CPU cost is under 0.5 % of one core at 10 Hz.
//
// The main thread only sleeps while a monitor runs, so the process CPU time it gains over the
// monitor-less baseline is the sampler's own. Process CPU time, not wall time, because other work
// on a shared machine slows the sampler down without adding to what it costs.

#include "energy/EnergyMonitor.h"
#include "energy/PowerMeter.h"
#include "platform/HardwareInfo.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <exception>
#include <thread>

namespace {

constexpr double kGoalPercentOfCore = 0.5;
constexpr double kRatesHz[] = {1.0, 10.0, 20.0};
constexpr double kQuickSeconds = 3.0;
// Thread start-up and the first sample are paid once per monitor, which runs for as long as the
// work it watches; only the steady state counts.
constexpr double kWarmupS = 0.3;
constexpr int kSpacedReads = 20;

double wallSeconds()
{
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// Every thread of this process, the sampler's included; nothing of other processes.
double cpuSeconds()
{
    return gw::CpuTimePowerModel::processCpuSeconds();
}

struct Interval {
    double wallS = 0;
    double cpuS = 0;
};

Interval sleepMeasured(double seconds)
{
    const double wall0 = wallSeconds();
    const double cpu0 = cpuSeconds();
    std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
    return {wallSeconds() - wall0, cpuSeconds() - cpu0};
}

struct RateResult {
    double hz = 0;
    std::size_t samples = 0;
    Interval measured;
    double cpuS = 0; ///< net of the baseline
};

RateResult measureRate(double hz, double seconds, double baselineCpuPerWallS)
{
    gw::EnergyMonitor monitor(gw::PowerMeter::forThisMachine(), hz, 1.0);
    monitor.start();
    std::this_thread::sleep_for(std::chrono::duration<double>(kWarmupS));
    monitor.takePending(); // the warm-up's samples
    RateResult result;
    result.hz = hz;
    result.measured = sleepMeasured(seconds);
    // Drained like the run writer does, so pending samples do not pile up as they never would.
    result.samples = monitor.takePending().size();
    monitor.stop();
    result.cpuS = result.measured.cpuS - baselineCpuPerWallS * result.measured.wallS;

    // A sampler that stalls would look cheap: demand most of the samples its rate promises (the
    // fixed tick grid catches up after a late wake-up, so a loaded machine still gets them).
    const double expected = hz * result.measured.wallS;
    if (double(result.samples) < 0.8 * expected - 1) {
        std::fprintf(stderr, "the sampler at %g Hz took %zu samples in %.2f s, expected about %.0f: it does not keep its rate\n",
                     hz, result.samples, result.measured.wallS, expected);
        std::exit(1);
    }
    return result;
}

double threadCpuSeconds()
{
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}

// The cost of the reading alone, without the thread's wake-ups and the sample's bookkeeping: if it
// is most of the cost per sample, a cheaper sampler needs a cheaper source.
double readCpuMicroseconds(gw::PowerSource &source, int reads)
{
    source.read(); // opens a fresh averaging interval, as EnergyMonitor::start does
    volatile double sink = 0;
    const double cpu0 = cpuSeconds();
    for (int i = 0; i < reads; ++i)
        sink = sink + source.read().cpuPowerW;
    return (cpuSeconds() - cpu0) / reads * 1e6;
}

// The same reading 100 ms apart, as the sampler does it at 10 Hz: back to back, the code, the data
// and the kernel's /proc paths stay in the caches, between samples other work evicts them, so
// this is the figure to set beside the cost per sample.
double spacedReadCpuMicroseconds(gw::PowerSource &source, int reads)
{
    source.read();
    volatile double sink = 0;
    double cpuS = 0;
    for (int i = 0; i < reads; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        const double cpu0 = threadCpuSeconds();
        sink = sink + source.read().cpuPowerW;
        cpuS += threadCpuSeconds() - cpu0;
    }
    return cpuS / reads * 1e6;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("CPU cost of the energy sampler (EnergyMonitor) at 1, 10 and 20 Hz."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("seconds"), QStringLiteral("Measured seconds per rate and for the baseline."), QStringLiteral("S"),
                      QStringLiteral("10")});
    parser.addOption({QStringLiteral("quick"), QStringLiteral("%1 s per rate (an explicit --seconds wins).").arg(kQuickSeconds)});
    parser.addOption({QStringLiteral("reads"), QStringLiteral("Back-to-back source reads timed for the cross-check."), QStringLiteral("N"),
                      QStringLiteral("2000")});
    parser.process(app);

    const QString secondsText = parser.isSet(QStringLiteral("quick")) && !parser.isSet(QStringLiteral("seconds"))
                                    ? QString::number(kQuickSeconds)
                                    : parser.value(QStringLiteral("seconds"));
    bool secondsOk = false, readsOk = false;
    const double seconds = secondsText.toDouble(&secondsOk);
    const int reads = parser.value(QStringLiteral("reads")).toInt(&readsOk);
    if (!secondsOk || !(seconds > 0) || !readsOk || reads < 1) {
        std::fprintf(stderr, "--seconds takes a positive number and --reads a positive whole number; got '%s' and '%s'\n",
                     qPrintable(secondsText), qPrintable(parser.value(QStringLiteral("reads"))));
        return 2;
    }

    try {
        // The read cross-check comes first because opening the meter detects the hardware (which
        // asks LibTorch and OpenBLAS): whatever threads that leaves behind are there for the
        // baseline as much as for the monitors.
        const std::unique_ptr<gw::PowerMeter> meter = gw::PowerMeter::forThisMachine();
        const double readUs = readCpuMicroseconds(*meter, reads);
        const double spacedReadUs = spacedReadCpuMicroseconds(*meter, kSpacedReads);
        std::fprintf(stderr, "source read: %.1f us of CPU each back to back (%d reads), %.1f us each 100 ms apart (%d reads)\n", readUs,
                     reads, spacedReadUs, kSpacedReads);

        const Interval baseline = sleepMeasured(seconds);
        const double baselineCpuPerWallS = baseline.cpuS / baseline.wallS;
        std::fprintf(stderr, "baseline (no monitor): %.6f CPU s in %.2f s\n", baseline.cpuS, baseline.wallS);

        QJsonArray rates;
        for (double hz : kRatesHz) {
            const RateResult r = measureRate(hz, seconds, baselineCpuPerWallS);
            const double percent = r.cpuS / r.measured.wallS * 100;
            const double usPerSample = r.samples > 0 ? r.cpuS / double(r.samples) * 1e6 : 0.0;
            std::fprintf(stderr, "sampler at %g Hz: %zu samples in %.2f s, %.6f CPU s, %.4f %% of one core (%.0f %% of the %.1f %% allowance), %.1f us per sample\n",
                         hz, r.samples, r.measured.wallS, r.cpuS, percent, percent / kGoalPercentOfCore * 100, kGoalPercentOfCore, usPerSample);
            rates.append(QJsonObject{{QStringLiteral("hz"), hz},
                                     {QStringLiteral("samples"), qint64(r.samples)},
                                     {QStringLiteral("wall_s"), r.measured.wallS},
                                     {QStringLiteral("raw_cpu_s"), r.measured.cpuS},
                                     {QStringLiteral("cpu_s"), r.cpuS},
                                     {QStringLiteral("cpu_percent_of_core"), percent},
                                     {QStringLiteral("us_per_sample"), usPerSample}});
        }

        const QJsonObject result{{QStringLiteral("benchmark"), QStringLiteral("sampler_overhead")},
                                 {QStringLiteral("goal_percent_of_core"), kGoalPercentOfCore},
                                 {QStringLiteral("seconds"), seconds},
                                 {QStringLiteral("rates"), rates},
                                 {QStringLiteral("baseline_cpu_s"), baseline.cpuS},
                                 {QStringLiteral("baseline_wall_s"), baseline.wallS},
                                 {QStringLiteral("read_us"), readUs},
                                 {QStringLiteral("reads"), reads},
                                 {QStringLiteral("read_spaced_us"), spacedReadUs},
                                 {QStringLiteral("spaced_reads"), kSpacedReads},
                                 {QStringLiteral("source"), QStringLiteral("%1: %2").arg(meter->provenance(), meter->description())},
                                 {QStringLiteral("hardware"), gw::HardwareInfo::detect().toJson()}};
        std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    } catch (const std::exception &e) {
        std::fprintf(stderr, "sampler benchmark failed: %s\n", e.what());
        return 1;
    }
    return 0;
}
