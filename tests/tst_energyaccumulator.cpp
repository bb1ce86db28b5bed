#include "energy/EnergyAccumulator.h"

#include <QtTest>

using namespace gw;

class TestEnergyAccumulator : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // 100 W for 36 s is exactly 1 Wh whatever the sampling rate; times intensity gives the grams.
    void scriptedTrace_data()
    {
        QTest::addColumn<double>("sampleHz");
        QTest::newRow("1 Hz") << 1.0;
        QTest::newRow("10 Hz") << 10.0;
        QTest::newRow("0.25 Hz") << 0.25;
        QTest::newRow("20 Hz") << 20.0;
    }

    void scriptedTrace()
    {
        QFETCH(double, sampleHz);
        EnergyAccumulator acc;
        const int samples = int(36 * sampleHz);
        for (int i = 0; i < samples; ++i)
            acc.add(1.0 / sampleHz, 100.0);
        QCOMPARE(acc.durationS(), 36.0);
        QCOMPARE(acc.energyJ(), 3600.0);
        QCOMPARE(acc.energyWh(), 1.0);
        QCOMPARE(acc.energyKwh(), 0.001);
        QCOMPARE(EnergyAccumulator::emissionsG(acc.energyKwh(), 475.0), 0.475);
    }

    void varyingPowerIsPowerTimesTime()
    {
        EnergyAccumulator acc;
        acc.add(10, 50);   // 500 J
        acc.add(5, 200);   // 1000 J
        acc.add(0.5, 0);   // idle
        QCOMPARE(acc.energyJ(), 1500.0);
        QCOMPARE(acc.durationS(), 15.5);
    }

    void ignoresNonsense()
    {
        EnergyAccumulator acc;
        acc.add(-1, 100);
        acc.add(1, -5);
        acc.add(0, 100);
        QCOMPARE(acc.energyJ(), 0.0);
        acc.add(2, 10);
        acc.reset();
        QCOMPARE(acc.energyJ(), 0.0);
        QCOMPARE(acc.durationS(), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestEnergyAccumulator)
#include "tst_energyaccumulator.moc"
