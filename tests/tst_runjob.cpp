#include "ConstantPowerSource.h"
#include "TestData.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "jobs/RunPrediction.h"
#include "jobs/RunWork.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

using namespace gw;

namespace {

/// 20 ms steps of a total of 200 units, of which it does 60 and ends (as early stopping would end a
/// training), saying whether it may end early.
class EndsEarlyWork : public RunWork {
public:
    explicit EndsEarlyWork(bool saysSo) : saysSo_(saysSo) {}
    WorkOutcome execute(RunContext &context) override
    {
        context.workStarts();
        WorkOutcome outcome;
        for (int i = 1; i <= 60; ++i) {
            if (context.cancelFlag().load()) {
                outcome.cancelled = true;
                return outcome;
            }
            QThread::msleep(20);
            WorkProgress progress{double(i), 200, QStringLiteral("step %1").arg(i)};
            progress.mayEndEarly = saysSo_;
            progress.leastTotal = saysSo_ ? double(i + 5) : 0;
            context.progress(progress);
        }
        return outcome;
    }

private:
    bool saysSo_;
};

} // namespace

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

    // A budget acts on a predicted total only when the work's length is certain: a run that may
    // stop early is not stopped on what it would cost if it did not.
    void aBudgetActsOnAPredictionOnlyForWorkOfCertainLength()
    {
        const QString db = dir_.filePath(QStringLiteral("predicted.sqlite"));
        RunConfig c = config(1);
        c.energy.budgetWh = 0.35; // at 500 W: about 0.17 Wh spent by the end, a prediction of about 0.55 Wh
        c.energy.sampleHz = 20;
        for (const bool mayEndEarly : {true, false}) {
            auto *job = new RunJob(c, db);
            job->setPowerSource(std::make_unique<test::ConstantPowerSource>(500, 0));
            job->setWork(std::make_unique<EndsEarlyWork>(mayEndEarly));
            JobRunner runner(job);
            QSignalSpy notices(job, &RunJob::noticed);
            QSignalSpy predictions(job, &RunJob::predicted);
            const RunSummary s = runToEnd(job, runner);
            QVERIFY(!predictions.isEmpty());
            const QVariantMap last = predictions.last().at(0).toMap();
            QCOMPARE(last.value(QStringLiteral("upper_bound")).toBool(), mayEndEarly);
            if (mayEndEarly) {
                QCOMPARE(s.status, QStringLiteral("completed"));
                QVERIFY(s.energyKwh * 1000 < 0.35);
                QVERIFY(last.value(QStringLiteral("energy_kwh")).toDouble() * 1000 > 0.35); // the bound that did not stop it
                QVERIFY(last.value(QStringLiteral("least_energy_kwh")).toDouble() < last.value(QStringLiteral("energy_kwh")).toDouble());
                QVERIFY(RunPrediction::describe(last).contains(QStringLiteral("at most")));
            } else {
                QCOMPARE(s.status, QStringLiteral("budget_reached"));
                QString said;
                for (const QList<QVariant> &n : notices)
                    said += n.at(0).toString();
                QVERIFY2(said.contains(QStringLiteral("predicted total")) && said.contains(QStringLiteral("spent so far")), qPrintable(said));
            }
        }
    }

    // A subset larger than the dataset takes it whole, and says so.
    void aSubsetLargerThanTheDatasetIsSaid()
    {
        RunConfig c = config(1);
        c.dataset.trainSubset = 100000;
        auto *job = new RunJob(c, dir_.filePath(QStringLiteral("subset.sqlite")));
        JobRunner runner(job);
        QSignalSpy notices(job, &RunJob::noticed);
        const RunSummary s = runToEnd(job, runner);
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.labelsUsed, 400);
        QString said;
        for (const QList<QVariant> &n : notices)
            said += n.at(0).toString();
        QVERIFY2(said.contains(QStringLiteral("dataset.train_subset 100000 is more than the 400 training images")), qPrintable(said));
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
