#include "Error.h"
#include "energy/EnergyMonitor.h"

#include <QSignalSpy>
#include <QtTest>

using namespace gw;

namespace {
// Scripted power: a constant CPU and RAM draw.
class ConstantSource : public PowerSource {
public:
    ConstantSource(double cpuW, double ramW) : cpuW_(cpuW), ramW_(ramW) {}
    QString name() const override { return QStringLiteral("scripted"); }
    QString provenance() const override { return QStringLiteral("estimated"); }
    QString description() const override { return QStringLiteral("scripted"); }
    PowerCoverage coverage() const override { return {true, false, true}; }
    PowerReading read() override { return {cpuW_, 0, ramW_}; }

private:
    double cpuW_, ramW_;
};
} // namespace

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
