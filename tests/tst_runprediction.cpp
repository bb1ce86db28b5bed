#include "jobs/RunPrediction.h"

#include <QtTest>

using namespace gw;

class TestRunPrediction : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void extrapolatesTheWorkDone()
    {
        RunPrediction p(100.0, 2.0); // 100 J and 2 s spent before training (data loading)
        const auto e = p.update(0.25, 100.0 + 900.0, 2.0 + 30.0, 0.1, 360.0);
        QVERIFY(e);
        QCOMPARE(e->energyJ, 100.0 + 3600.0);   // 900 J per quarter
        QCOMPARE(e->durationS, 2.0 + 120.0);
        QCOMPARE(e->emissionsG, 0.1 + 2700.0 / 3.6e6 * 360.0);
        QVERIFY(p.hasEstimate());
    }

    // Work that may end early: the extrapolation is the upper bound, and the least total it can
    // come to gives the lower one.
    void workThatMayEndEarlyGetsARange()
    {
        RunPrediction p(100.0, 2.0);
        const auto e = p.update(0.25, 1000.0, 42.0, 0.1, 360.0, 0.5); // done is half of the least total
        QVERIFY(e && e->upperBound);
        QCOMPARE(e->energyJ, 100.0 + 3600.0);
        QCOMPARE(e->leastEnergyJ, 1000.0 + 900.0);
        QCOMPARE(e->leastDurationS, 42.0 + 40.0);
        QVERIFY(!p.update(0.25, 1000.0, 42.0, 0.1, 360.0)->upperBound);
        const auto now = p.update(0.25, 1000.0, 42.0, 0.1, 360.0, 1.0); // it may end right now
        QCOMPARE(now->leastEnergyJ, 1000.0);
        QVERIFY(RunPrediction::describe({{QStringLiteral("upper_bound"), true}, {QStringLiteral("energy_kwh"), 0.001}}).contains(QStringLiteral("at most 1.000 Wh")));
    }

    void waitsForEnoughWork_data()
    {
        QTest::addColumn<double>("fraction");
        QTest::addColumn<double>("elapsedS");
        QTest::newRow("too little done") << 0.01 << 50.0;
        QTest::newRow("too short") << 0.5 << 0.5;
        QTest::newRow("nonsense fraction") << 1.5 << 50.0;
    }

    void waitsForEnoughWork()
    {
        QFETCH(double, fraction);
        QFETCH(double, elapsedS);
        RunPrediction p(0, 0);
        QVERIFY(!p.update(fraction, 10, elapsedS, 0, 100));
        QVERIFY(!p.hasEstimate());
    }

    void finishedWorkPredictsWhatWasSpent()
    {
        RunPrediction p(0, 0);
        const auto e = p.update(1.0, 500, 20, 0.05, 475);
        QCOMPARE(e->energyJ, 500.0);
        QCOMPARE(e->durationS, 20.0);
        QCOMPARE(e->emissionsG, 0.05);
    }
};

QTEST_GUILESS_MAIN(TestRunPrediction)
#include "tst_runprediction.moc"
