// GUI responsiveness: (1) the time to redraw the live plot with an hour of samples at 10 Hz (36,000
// points per series, six series, phase shading) against a minute of them, and (2) the worst stall of
// the GUI thread's event loop while the main window runs a real training run (the live plot fed at
// 10 Hz, the runs table, progress and predictions updating): a 5 ms timer measures how late each of
// its ticks comes. Prints one JSON object (for
// run_benchmarks.sh) and a short table on stderr. Needs a display or QT_QPA_PLATFORM=offscreen.
//
//   bench_gui_responsiveness [--quick] [--dataset DIR]   (DIR: Fashion-MNIST IDX files; default: Debian's)

#include "LivePowerPlot.h"
#include "MainWindow.h"
#include "QCustomPlotInclude.h"
#include "config/RunConfig.h"
#include "jobs/RunSummary.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>
#include <algorithm>
#include <cstdio>
#include <vector>

namespace {

/// Fills @p plot with @p seconds of 10 Hz samples, phases changing every 30 s.
void fill(gw::LivePowerPlot &plot, int samples)
{
    const QStringList phases{QStringLiteral("train"), QStringLiteral("eval")};
    for (int i = 0; i < samples; ++i) {
        gw::PowerSample s;
        s.elapsedS = (i + 1) * 0.1;
        s.intervalS = 0.1;
        s.cpuPowerW = 20 + 10 * std::sin(i * 0.01) + (i % 7);
        s.ramPowerW = 2;
        s.totalPowerW = s.cpuPowerW + s.ramPowerW;
        s.energyJ = s.totalPowerW * s.elapsedS;
        s.emissionsG = s.energyJ / 3.6e6 * 56;
        s.intensityGPerKwh = 56;
        s.phase = phases.at((i / 300) % 2);
        plot.addSample(s);
    }
}

/// Median time (ms) of @p repeats immediate replots.
double medianReplotMs(gw::LivePowerPlot &plot, int repeats)
{
    std::vector<double> ms;
    for (int r = 0; r < repeats; ++r) {
        QElapsedTimer clock;
        clock.start();
        plot.replotNow();
        ms.push_back(clock.nsecsElapsed() / 1e6);
    }
    std::sort(ms.begin(), ms.end());
    return ms[ms.size() / 2];
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption quick(QStringLiteral("quick"), QStringLiteral("Shorter training run."));
    const QCommandLineOption dataset(QStringLiteral("dataset"), QStringLiteral("Fashion-MNIST folder."), QStringLiteral("DIR"));
    parser.addOptions({quick, dataset});
    parser.process(app);

    // (1) Replot: an hour against a minute, same widget size.
    gw::LivePowerPlot hour, minute;
    for (gw::LivePowerPlot *plot : {&hour, &minute}) {
        plot->resize(1000, 500);
        plot->show();
    }
    fill(hour, 36000);
    fill(minute, 600);
    QApplication::processEvents();
    const double hourMs = medianReplotMs(hour, 21);
    const double minuteMs = medianReplotMs(minute, 21);

    // (2) Event-loop stalls during a real training run feeding the live plot at 10 Hz.
    // The whole window, as a person has it during a run: runs table, progress, prediction, live plot
    // (sampling at 10 Hz), power sources; it is up and painted before the run starts.
    QTemporaryDir dir;
    gw::MainWindow window(dir.filePath(QStringLiteral("store.sqlite")));
    window.resize(1200, 800);
    window.show();
    // Up and painted before the run, as a person has it.
    QElapsedTimer shown;
    shown.start();
    while (shown.elapsed() < 500)
        QApplication::processEvents();
    gw::RunConfig config;
    config.name = QStringLiteral("bench-gui");
    config.dataset.path = parser.value(dataset);
    config.dataset.trainSubset = parser.isSet(quick) ? 3000 : 12000;
    config.training.epochs = 1;
    config.training.threads = 0;
    config.energy.sampleHz = 10;
    QString status;
    QObject::connect(&window, &gw::MainWindow::runFinished, &app, [&status](const gw::RunSummary &s) {
        status = s.status;
        QCoreApplication::quit();
    });
    QElapsedTimer sinceTick, wall;
    wall.start();
    double worstStallMs = 0, sumLateMs = 0, worstAtS = 0;
    std::vector<double> lateness;
    int ticks = 0;
    QTimer probe;
    probe.setTimerType(Qt::PreciseTimer);
    probe.setInterval(5);
    QObject::connect(&probe, &QTimer::timeout, &app, [&] {
        const double gapMs = sinceTick.nsecsElapsed() / 1e6;
        sinceTick.restart();
        const double lateMs = std::max(0.0, gapMs - 5.0);
        if (lateMs > worstStallMs) {
            worstStallMs = lateMs;
            worstAtS = wall.nsecsElapsed() / 1e9;
        }
        lateness.push_back(lateMs);
        sumLateMs += lateMs;
        ++ticks;
    });
    sinceTick.start();
    probe.start();
    if (!window.startRun(config))
        return 2;
    QApplication::exec();
    probe.stop();
    std::sort(lateness.begin(), lateness.end());
    const double p99 = lateness.empty() ? 0 : lateness[std::size_t(double(lateness.size() - 1) * 0.99)];

    const QJsonObject result{{QStringLiteral("benchmark"), QStringLiteral("gui_responsiveness")},
                             {QStringLiteral("replot_ms_36000_points"), hourMs},
                             {QStringLiteral("replot_ms_600_points"), minuteMs},
                             {QStringLiteral("replot_goal_ms"), 16.0},
                             {QStringLiteral("series"), 6},
                             {QStringLiteral("worst_stall_ms"), worstStallMs},
                             {QStringLiteral("mean_lateness_ms"), ticks > 0 ? sumLateMs / ticks : 0.0},
                             {QStringLiteral("p99_lateness_ms"), p99},
                             {QStringLiteral("worst_stall_at_s"), worstAtS},
                             {QStringLiteral("stall_goal_ms"), 50.0},
                             {QStringLiteral("probe_ticks"), ticks},
                             {QStringLiteral("run_s"), wall.nsecsElapsed() / 1e9},
                             {QStringLiteral("run_status"), status},
                             {QStringLiteral("live_samples"), window.livePlot()->sampleCount()}};
    std::fprintf(stderr, "live plot replot: %.2f ms with 36,000 points per series (goal < 16 ms), %.2f ms with 600\n", hourMs, minuteMs);
    std::fprintf(stderr, "GUI thread during a %.0f s training run (%s), live plot at 10 Hz: worst stall %.1f ms at %.1f s (goal < 50 ms), 99th percentile %.1f ms, mean lateness %.2f ms over %d ticks\n",
                 wall.nsecsElapsed() / 1e9, qPrintable(status), worstStallMs, worstAtS, p99, ticks > 0 ? sumLateMs / ticks : 0.0, ticks);
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return status == QStringLiteral("completed") ? 0 : 1;
}
