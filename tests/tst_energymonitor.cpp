#include "ConstantPowerSource.h"
#include "Error.h"
#include "energy/EnergyMonitor.h"

#include <QSignalSpy>
#include <QtTest>

using namespace gw;

using ConstantSource = test::ConstantPowerSource;

class TestEnergyMonitor : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void integratesAScriptedSourceWithPue()
    {
        EnergyMonitor monitor(std::make_unique<ConstantSource>(90, 10), 20, 1.5);
        QSignalSpy spy(&monitor, &EnergyMonitor::sampleTaken);
        monitor.start();
        QTRY_VERIFY_WITH_TIMEOUT(spy.count() >= 4, 5000);
        monitor.stop();
        QVERIFY(!monitor.isRunning());

        const std::vector<PowerSample> samples = monitor.takePending();
        QVERIFY(samples.size() >= 5); // the ticks plus the closing sample taken by stop()
        double sumIntervals = 0;
        for (const PowerSample &s : samples) {
            QCOMPARE(s.totalPowerW, 150.0); // (90 + 10) x PUE 1.5
            QCOMPARE(s.source, QStringLiteral("estimated"));
            sumIntervals += s.intervalS;
        }
        QVERIFY(qAbs(samples.back().elapsedS - sumIntervals) < 1e-6); // intervals tile the run without gaps
        QCOMPARE(monitor.durationS(), sumIntervals);
        QCOMPARE(monitor.energyJ(), 150.0 * sumIntervals);
        QCOMPARE(samples.back().energyJ, monitor.energyJ());
        QVERIFY(monitor.takePending().empty()); // drained
        // Signals carry the same samples as the buffer, delivered across threads.
        QTRY_COMPARE(spy.count(), int(samples.size()));
    }

    void windowsSplitEveryJouleByPhase()
    {
        EnergyMonitor monitor(std::make_unique<ConstantSource>(100, 0), 20, 1.0);
        monitor.setIntensity(500);
        monitor.start();
        QTest::qWait(60); // idle before any window
        monitor.beginWindow(QStringLiteral("data"));
        QTest::qWait(80);
        monitor.endWindow();
        monitor.beginWindow(QStringLiteral("train"));
        QTest::qWait(120);
        monitor.beginWindow(QStringLiteral("eval")); // nested
        QTest::qWait(60);
        monitor.endWindow();
        monitor.beginWindow(QStringLiteral("train-tail-left-open"));
        monitor.stop(); // closes what is still open

        const QMap<QString, double> byPhase = monitor.energyByPhaseJ();
        double sum = 0;
        for (double j : byPhase)
            sum += j;
        QVERIFY(qAbs(sum - monitor.energyJ()) < 1e-9); // every joule belongs to a phase or to idle
        for (const char *phase : {"idle", "data", "train", "eval"})
            QVERIFY2(byPhase.value(QLatin1String(phase)) > 0, phase);
        QVERIFY(byPhase.value(QStringLiteral("train")) > byPhase.value(QStringLiteral("eval")));

        const std::vector<EnergyWindow> windows = monitor.takeFinishedWindows();
        QCOMPARE(windows.size(), std::size_t(4)); // data, eval, the one left open, train
        const EnergyWindow &eval = windows[1];
        const EnergyWindow &train = windows[3];
        QCOMPARE(eval.phase, QStringLiteral("eval"));
        QCOMPARE(eval.depth, 1);
        QCOMPARE(train.phase, QStringLiteral("train"));
        QCOMPARE(train.depth, 0);
        QVERIFY(qAbs(train.energyJ - (train.ownEnergyJ + eval.energyJ + windows[2].energyJ)) < 1e-9); // nested windows inside
        QVERIFY(qAbs(eval.energyJ - 100.0 * (eval.endS - eval.startS)) < 1e-6); // boundaries are sampled exactly
        QVERIFY(qAbs(monitor.emissionsG() - monitor.energyJ() / 3.6e6 * 500) < 1e-12);
        for (const PowerSample &s : monitor.takePending())
            QCOMPARE(s.intensityGPerKwh, 500.0);
    }

    // A window says what it cost when it closes, and keeps the part of the run it was for.
    void aClosedWindowReturnsItsCostAndScope()
    {
        EnergyMonitor monitor(std::make_unique<ConstantSource>(50, 0), 20, 1.5);
        monitor.start();
        monitor.beginWindow(QStringLiteral("train"), QStringLiteral("client 17"));
        QTest::qWait(50);
        const std::optional<EnergyWindow> closed = monitor.endWindow();
        QVERIFY(closed.has_value());
        QCOMPARE(closed->scope, QStringLiteral("client 17"));
        QVERIFY(closed->endS - closed->startS >= 0.045);
        QVERIFY(qAbs(closed->energyJ - 50 * 1.5 * (closed->endS - closed->startS)) < 1e-6); // PUE included
        QVERIFY(!monitor.endWindow().has_value()); // none open
        monitor.stop();
        const std::vector<EnergyWindow> windows = monitor.takeFinishedWindows();
        QCOMPARE(windows.size(), std::size_t(1));
        QCOMPARE(windows.front().scope, QStringLiteral("client 17"));
    }

    void rateChangesWhileRunning()
    {
        EnergyMonitor monitor(std::make_unique<ConstantSource>(10, 0), 0.2, 1.0);
        QSignalSpy spy(&monitor, &EnergyMonitor::sampleTaken);
        monitor.start();
        monitor.setSampleHz(20);
        QTRY_VERIFY_WITH_TIMEOUT(spy.count() >= 3, 2000); // at 0.2 Hz this would take 15 s
        QCOMPARE(monitor.sampleHz(), 20.0);
        QVERIFY_THROWS_EXCEPTION(Error, monitor.setSampleHz(0.1));
    }

    void stopIsPromptAtLowRates()
    {
        EnergyMonitor monitor(std::make_unique<ConstantSource>(10, 0), 0.2, 1.0); // one tick every 5 s
        monitor.start();
        QElapsedTimer clock;
        clock.start();
        monitor.stop();
        QVERIFY2(clock.elapsed() < 1000, "stop() waited for the next tick");
        QCOMPARE(monitor.takePending().size(), std::size_t(1));
    }

    void rejectsBadSettings()
    {
        QVERIFY_THROWS_EXCEPTION(Error, EnergyMonitor(std::make_unique<ConstantSource>(1, 1), 100, 1.0));
        QVERIFY_THROWS_EXCEPTION(Error, EnergyMonitor(std::make_unique<ConstantSource>(1, 1), 1, 0.9));
    }

    void cpuTimeModelChargesTheProcessShare()
    {
        CpuTimePowerModel model(100.0, 4, true);
        QElapsedTimer clock;
        clock.start();
        volatile double sink = 0;
        while (clock.elapsed() < 200) // keep one of four cores busy
            sink = sink + 1.0;
        const PowerReading reading = model.read();
        // One busy thread of four logical cores: about a quarter of the TDP, never more than all of it.
        QVERIFY2(reading.cpuPowerW > 10 && reading.cpuPowerW <= 100, qPrintable(QString::number(reading.cpuPowerW)));
        QVERIFY(reading.ramPowerW > 0);
        QCOMPARE(model.provenance(), QStringLiteral("estimated"));
    }
};

QTEST_GUILESS_MAIN(TestEnergyMonitor)
#include "tst_energymonitor.moc"
