// What the Compare view draws of a run, read from a store: accuracy against labels and energy for an
// epoch-based run (energy at each epoch's eval end) and for an active-learning run (per round).
#include "report/RunSeries.h"
#include "store/Database.h"
#include "store/RoundRepository.h"
#include "store/RunRepository.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestRunSeries : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void energyIsInterpolatedBetweenSamples()
    {
        std::vector<PowerSample> samples(2);
        samples[0].elapsedS = 1;
        samples[0].energyJ = 10;
        samples[1].elapsedS = 3;
        samples[1].energyJ = 50;
        QCOMPARE(RunSeries::energyAt(samples, 2), 30.0);
        QCOMPARE(RunSeries::energyAt(samples, 0.5), 5.0);
        QCOMPARE(RunSeries::energyAt(samples, 9), 50.0);
        QCOMPARE(RunSeries::energyAt({}, 1), 0.0);
    }

    void epochRunCurve()
    {
        Database db(dir_.filePath(QStringLiteral("e.sqlite")));
        RunRepository runs(db);
        const qint64 id = runs.createRun(runs.ensureProject(QStringLiteral("p")), QStringLiteral("scratch"), QStringLiteral("{}"), QStringLiteral("{}"));
        std::vector<PowerSample> samples;
        for (int t = 1; t <= 10; ++t) {
            PowerSample s;
            s.elapsedS = t;
            s.intervalS = 1;
            s.energyJ = 36.0 * t; // 0.01 Wh per second
            s.source = QStringLiteral("estimated");
            samples.push_back(s);
        }
        runs.addPowerSamples(id, samples);
        runs.addEnergyWindows(id, {{QStringLiteral("train"), {}, 0, 0, 4, 144, 144}, {QStringLiteral("eval"), {}, 0, 4, 5, 36, 36},
                                   {QStringLiteral("train"), {}, 0, 5, 9, 144, 144}, {QStringLiteral("eval"), {}, 0, 9, 10, 36, 36}});
        runs.addMetric(id, 2, QStringLiteral("test_accuracy"), 0.8);
        runs.addMetric(id, 1, QStringLiteral("test_accuracy"), 0.7);
        runs.setPhaseSplit(id, {{QStringLiteral("train"), 288}, {QStringLiteral("eval"), 72}}, {{QStringLiteral("train"), 8}, {QStringLiteral("eval"), 2}});
        runs.finishRun(id, QStringLiteral("completed"), 0.8, 600, 10, {}, std::nullopt);
        const RunSeries series = RunSeries::load(db, *runs.run(id));
        QCOMPARE(series.curve.size(), std::size_t(2));
        QCOMPARE(series.curve[0].accuracy, 0.7);
        QCOMPARE(series.curve[0].labels, 600.0);
        QVERIFY(qAbs(series.curve[0].energyWh - 0.05) < 1e-9);
        QVERIFY(qAbs(series.curve[1].energyWh - 0.10) < 1e-9);
        QCOMPARE(series.phases.size(), std::size_t(2));
    }

    void activeLearningRunCurve()
    {
        Database db(dir_.filePath(QStringLiteral("a.sqlite")));
        RunRepository runs(db);
        const qint64 id = runs.createRun(runs.ensureProject(QStringLiteral("p")), QStringLiteral("al"), QStringLiteral("{}"), QStringLiteral("{}"));
        runs.setPhaseSplit(id, {{QStringLiteral("data"), 360}, {QStringLiteral("embed"), 3240}}, {{QStringLiteral("data"), 1}, {QStringLiteral("embed"), 9}});
        RoundRepository rounds(db);
        RoundRecord zero;
        zero.queryEnergyJ = 36;
        rounds.saveRound(id, zero);
        RoundRecord one;
        one.round = 1;
        one.labels = 20;
        one.testAccuracy = 0.5;
        one.trainEnergyJ = 36;
        one.evalEnergyJ = 36;
        one.queryEnergyJ = 72;
        rounds.saveRound(id, one);
        RoundRecord two = one;
        two.round = 2;
        two.labels = 40;
        two.testAccuracy = 0.6;
        rounds.saveRound(id, two);
        const RunSeries series = RunSeries::load(db, *runs.run(id));
        QCOMPARE(series.curve.size(), std::size_t(2));
        QCOMPARE(series.curve[1].labels, 40.0);
        // 1 Wh (data + embed) + 0.01 (round 0) + 0.02 (round 1 train + eval) = 1.03; round 2 adds 0.02 query + 0.02.
        QVERIFY(qAbs(series.curve[0].energyWh - 1.03) < 1e-9);
        QVERIFY(qAbs(series.curve[1].energyWh - 1.07) < 1e-9);
    }
};

QTEST_GUILESS_MAIN(TestRunSeries)
#include "tst_runseries.moc"
