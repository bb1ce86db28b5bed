#include "ConstantPowerSource.h"
#include "TestData.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestRunJob : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString dataDir() const { return dir_.filePath(QStringLiteral("data")); }

    RunConfig config(int epochs) const
    {
        RunConfig c;
        c.name = QStringLiteral("tiny");
        c.dataset.path = dataDir();
        c.training.epochs = epochs;
        c.training.batchSize = 32;
        c.training.threads = 1;
        c.energy.sampleHz = 20;
        c.energy.country = QStringLiteral("FRA");
        return c;
    }

    static RunSummary runToEnd(RunJob *job, JobRunner &runner)
    {
        QSignalSpy finished(job, &RunJob::finished);
        runner.start();
        if (!finished.wait(60000))
            return {};
        return finished.at(0).at(0).value<RunSummary>();
    }

private Q_SLOTS:
    void initTestCase() { test::writeBandDataset(dataDir(), 400, 100, 16, 16); }

    void completedRunIsStoredWithEnergy()
    {
        const QString db = dir_.filePath(QStringLiteral("complete.sqlite"));
        auto *job = new RunJob(config(2), db);
        JobRunner runner(job);
        QSignalSpy epochs(job, &RunJob::stepFinished);
        const RunSummary s = runToEnd(job, runner);
        QCOMPARE(s.status, QStringLiteral("completed"));
        QVERIFY(s.runId > 0);
        QCOMPARE(s.labelsUsed, 400);
        QVERIFY(s.accuracy > 0.5);
        QVERIFY(s.energyKwh > 0);
        QCOMPARE(s.energySource, QStringLiteral("estimated"));
        QCOMPARE(s.emissionsG, s.energyKwh * s.intensityGPerKwh);
        QVERIFY(s.intensityOrigin.startsWith(QStringLiteral("FRA")));
        QCOMPARE(epochs.count(), 2);

        Database store(db);
        RunRepository repo(store);
        const RunRecord r = *repo.run(s.runId);
        QCOMPARE(r.status, QStringLiteral("completed"));
        QCOMPARE(*r.accuracy, s.accuracy);
        QCOMPARE(*r.energyKwh, s.energyKwh);
        QVERIFY(r.hardwareJson.contains(QStringLiteral("blas_library")));
        QVERIFY(r.paramsJson.contains(QStringLiteral("\"epochs\":2")));
        int testAccuracyPoints = 0;
        for (const MetricPoint &m : repo.metrics(s.runId))
            testAccuracyPoints += m.name == QStringLiteral("test_accuracy");
        QCOMPARE(testAccuracyPoints, 2);
        const std::vector<PowerSample> samples = repo.powerSamples(s.runId);
        QVERIFY(!samples.empty());
        QCOMPARE(samples.back().energyJ / 3.6e6, s.energyKwh);
    }

    void cancelStopsWithinASecondAndIsStored()
    {
        const QString db = dir_.filePath(QStringLiteral("cancel.sqlite"));
        auto *job = new RunJob(config(1000), db);
        JobRunner runner(job);
        QSignalSpy progressed(job, &RunJob::progressed);
        QSignalSpy finished(job, &RunJob::finished);
        runner.start();
        QTRY_VERIFY_WITH_TIMEOUT(progressed.count() >= 3, 30000); // training is under way
        QElapsedTimer clock;
        clock.start();
        runner.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 1000);
        QVERIFY2(clock.elapsed() < 1000, qPrintable(QString::number(clock.elapsed())));
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QCOMPARE(s.status, QStringLiteral("cancelled"));
        QVERIFY(runner.wait(1000));

        Database store(db);
        const RunRecord r = *RunRepository(store).run(s.runId);
        QCOMPARE(r.status, QStringLiteral("cancelled"));
        QVERIFY(r.energyKwh.has_value()); // the energy spent so far is kept
    }

    void energyBudgetStopsTheRunCleanly()
    {
        const QString db = dir_.filePath(QStringLiteral("budget.sqlite"));
        // At a scripted 100 W the tally crosses 0.01 Wh after 0.36 s, long before 1000 epochs end.
        RunConfig c = config(1000);
        c.energy.budgetWh = 0.01;
        auto *job = new RunJob(c, db);
        job->setPowerSource(std::make_unique<test::ConstantPowerSource>(100, 0));
        JobRunner runner(job);
        QSignalSpy notices(job, &RunJob::noticed);
        const RunSummary s = runToEnd(job, runner);
        QCOMPARE(s.status, QStringLiteral("budget_reached"));
        QVERIFY(s.energyKwh * 1000 > 0.01);
        QVERIFY(s.energyKwh * 1000 < 0.1); // stopped within a batch or two of crossing
        bool said = false;
        for (const QList<QVariant> &n : notices)
            said = said || n.at(0).toString().contains(QStringLiteral("budget"));
        QVERIFY(said);
        Database store(db);
        const RunRecord r = *RunRepository(store).run(s.runId);
        QCOMPARE(r.status, QStringLiteral("budget_reached"));
        QCOMPARE(*r.budgetWh, 0.01);
    }

    void phasesAndComponentsAreStored()
    {
        const QString db = dir_.filePath(QStringLiteral("phases.sqlite"));
        auto *job = new RunJob(config(1), db);
        JobRunner runner(job);
        const RunSummary s = runToEnd(job, runner);
        QCOMPARE(s.status, QStringLiteral("completed"));
        Database store(db);
        RunRepository repo(store);
        double sumJ = 0;
        QStringList phases;
        for (const PhaseEnergy &p : repo.phaseSplit(s.runId)) {
            sumJ += p.energyJ;
            phases << p.phase;
        }
        for (const char *phase : {"data", "train", "eval"})
            QVERIFY2(phases.contains(QLatin1String(phase)), qPrintable(phases.join(QLatin1Char(','))));
        QVERIFY(qAbs(sumJ / 3.6e6 - s.energyKwh) < 1e-12);
        const RunRecord r = *repo.run(s.runId);
        QVERIFY(!r.cpuSource.isEmpty());
        QVERIFY(qAbs(*r.cpuEnergyKwh + *r.gpuEnergyKwh + *r.ramEnergyKwh - s.energyKwh) < 1e-12);
        QVERIFY(!repo.energyWindows(s.runId).empty());
        const std::vector<PowerSample> samples = repo.powerSamples(s.runId);
        QVERIFY(std::any_of(samples.begin(), samples.end(), [](const PowerSample &p) { return p.phase == QStringLiteral("train"); }));
        QCOMPARE(samples.back().emissionsG, s.emissionsG);
    }

    void missingDatasetFailsWithTheFileNamed()
    {
        const QString db = dir_.filePath(QStringLiteral("fail.sqlite"));
        RunConfig c = config(1);
        c.dataset.path = dir_.filePath(QStringLiteral("no-such-folder"));
        auto *job = new RunJob(c, db);
        JobRunner runner(job);
        const RunSummary s = runToEnd(job, runner);
        QCOMPARE(s.status, QStringLiteral("failed"));
        QVERIFY2(s.error.contains(QStringLiteral("no-such-folder")), qPrintable(s.error));
        Database store(db);
        const RunRecord r = *RunRepository(store).run(s.runId);
        QCOMPARE(r.status, QStringLiteral("failed"));
        QCOMPARE(r.error, s.error);
    }

    void unusableStoreFailsCleanly()
    {
        const QString db = dir_.filePath(QStringLiteral("garbage.sqlite"));
        QFile f(db);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(4096, 'x'));
        f.close();
        auto *job = new RunJob(config(1), db);
        JobRunner runner(job);
        const RunSummary s = runToEnd(job, runner);
        QCOMPARE(s.status, QStringLiteral("failed"));
        QCOMPARE(s.runId, 0);
        QVERIFY2(s.error.contains(db), qPrintable(s.error));
    }
};

QTEST_GUILESS_MAIN(TestRunJob)
#include "tst_runjob.moc"
