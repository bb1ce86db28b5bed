// Idle means idle: the CPU the workbench window uses (1) with nothing running and (2) while an
// active-learning run waits for the person to label its batch, the labeling grid on screen and the
// live plot fed by the run's sampler. The GUI thread's CPU time (getrusage RUSAGE_THREAD, read on
// that thread around a spin of its event loop) and the whole process's (the sampler thread and the
// run's thread too) are measured over the same seconds, as percent of one core. The process's share
// is what the CPU-time power model books as the run's label_wait energy. Prints one JSON object (for
// run_benchmarks.sh) and a short table on stderr. Needs a display or QT_QPA_PLATFORM=offscreen.
//
//   bench_idle_cpu [--quick] [--dataset DIR]   (DIR: Fashion-MNIST IDX files; default: Debian's)

#include "LabelingView.h"
#include "MainWindow.h"
#include "config/RunConfig.h"
#include "jobs/RunSummary.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTimer>
#include <cstdio>
#include <sys/resource.h>

namespace {

double seconds(const timeval &t)
{
    return double(t.tv_sec) + double(t.tv_usec) / 1e6;
}

struct CpuShare {
    double guiThreadPercent = 0;
    double processPercent = 0;
};

/// Spins this thread's event loop for @p forS seconds and returns the CPU used meanwhile.
CpuShare measure(double forS)
{
    rusage threadBefore{}, processBefore{}, threadAfter{}, processAfter{};
    getrusage(RUSAGE_THREAD, &threadBefore);
    getrusage(RUSAGE_SELF, &processBefore);
    QElapsedTimer wall;
    wall.start();
    QEventLoop loop;
    QTimer::singleShot(int(forS * 1000), &loop, &QEventLoop::quit);
    loop.exec();
    getrusage(RUSAGE_THREAD, &threadAfter);
    getrusage(RUSAGE_SELF, &processAfter);
    const double wallS = wall.nsecsElapsed() / 1e9;
    const auto used = [](const rusage &before, const rusage &after) {
        return seconds(after.ru_utime) - seconds(before.ru_utime) + seconds(after.ru_stime) - seconds(before.ru_stime);
    };
    return {100.0 * used(threadBefore, threadAfter) / wallS, 100.0 * used(processBefore, processAfter) / wallS};
}

/// Lets the event loop run for @p ms (the window settles, a batch is painted).
void settle(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace

int main(int argc, char *argv[])
{
    QApplication app(argc, argv);
    QCommandLineParser parser;
    const QCommandLineOption quick(QStringLiteral("quick"), QStringLiteral("Shorter measurements and pool."));
    const QCommandLineOption dataset(QStringLiteral("dataset"), QStringLiteral("Fashion-MNIST folder."), QStringLiteral("DIR"));
    parser.addOptions({quick, dataset});
    parser.process(app);
    const double measureS = parser.isSet(quick) ? 5 : 15;

    QTemporaryDir dir;
    gw::MainWindow window(dir.filePath(QStringLiteral("store.sqlite")));
    window.resize(1100, 720); // the window's default size
    window.show();
    settle(1500);
    const CpuShare idle = measure(measureS);

    // An active-learning run that asks a person: measured once its first batch is on screen.
    gw::RunConfig config = gw::RunConfig::defaultsFor(QStringLiteral("active-learning"));
    config.name = QStringLiteral("bench-idle");
    if (parser.isSet(dataset))
        config.dataset.path = parser.value(dataset);
    config.dataset.trainSubset = parser.isSet(quick) ? 1000 : 3000;
    config.activeLearning.oracle = QStringLiteral("human");
    config.activeLearning.initial = 20;
    config.activeLearning.batch = 20;
    config.activeLearning.budget = 200;
    bool batchShown = false;
    QObject::connect(window.labelingView(), &gw::LabelingView::batchShown, &app, [&batchShown] { batchShown = true; });
    QString status = QStringLiteral("running");
    QObject::connect(&window, &gw::MainWindow::runFinished, &app, [&status](const gw::RunSummary &s) { status = s.status; });
    if (!window.startRun(config))
        return 2;
    QElapsedTimer waited;
    waited.start();
    while (!batchShown && status == QStringLiteral("running") && waited.elapsed() < 600000)
        settle(100);
    if (!batchShown) {
        std::fprintf(stderr, "bench_idle_cpu: no batch to label came (run %s)\n", status.toLocal8Bit().constData());
        return 1;
    }
    settle(2000); // the grid painted, the run in its wait
    const CpuShare waiting = measure(measureS);
    window.cancelRun();
    while (status == QStringLiteral("running"))
        settle(100);

    const QJsonObject result{{QStringLiteral("benchmark"), QStringLiteral("idle_cpu")},
                             {QStringLiteral("seconds_measured"), measureS},
                             {QStringLiteral("window_idle_gui_thread_percent"), idle.guiThreadPercent},
                             {QStringLiteral("window_idle_process_percent"), idle.processPercent},
                             {QStringLiteral("labeling_wait_gui_thread_percent"), waiting.guiThreadPercent},
                             {QStringLiteral("labeling_wait_process_percent"), waiting.processPercent}};
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    std::fprintf(stderr, "%-52s %8s %8s\n", "CPU, percent of one core", "GUI", "process");
    std::fprintf(stderr, "%-52s %8.2f %8.2f\n", "window with nothing running", idle.guiThreadPercent, idle.processPercent);
    std::fprintf(stderr, "%-52s %8.2f %8.2f\n", "active-learning run waiting for the person", waiting.guiThreadPercent, waiting.processPercent);
    return 0;
}
