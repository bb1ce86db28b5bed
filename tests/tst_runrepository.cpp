#include "Error.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QTemporaryDir>
#include <QtTest>

#include <cmath>
#include <limits>

using namespace gw;

class TestRunRepository : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void storesARunFromStartToFinish()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("runs.sqlite")));
        RunRepository repo(db);
        const qint64 project = repo.ensureProject(QStringLiteral("default"));
        QCOMPARE(repo.ensureProject(QStringLiteral("default")), project);
        const qint64 id = repo.createRun(project, QStringLiteral("r1"), QStringLiteral("{\"seed\":1}"), QStringLiteral("{\"cpu_model\":\"x\"}"));

        RunRecord running = *repo.run(id);
        QCOMPARE(running.status, QStringLiteral("running"));
        QVERIFY(!running.accuracy);
        QVERIFY(running.startedAt.isValid());

        repo.addMetric(id, 1, QStringLiteral("test_accuracy"), 0.5);
        repo.addMetric(id, 2, QStringLiteral("test_accuracy"), 0.7);
        repo.addPowerSamples(id, {PowerSample{1, 1, 40, 2, 42, 42, QStringLiteral("estimated")},
                                  PowerSample{2, 1, 50, 2, 52, 94, QStringLiteral("estimated")}});
        EnergyTotals totals{94.0 / 3.6e6, 94.0 / 3.6e6 * 56.0, QStringLiteral("estimated"), 56.0, QStringLiteral("FRA"), 1.0, 1.0, QStringLiteral("model")};
        repo.finishRun(id, QStringLiteral("completed"), 0.7, 1000, 2.0, QString(), totals);

        const RunRecord done = *repo.run(id);
        QCOMPARE(done.status, QStringLiteral("completed"));
        QCOMPARE(*done.accuracy, 0.7);
        QCOMPARE(done.labelsUsed, 1000);
        QCOMPARE(*done.durationS, 2.0);
        QVERIFY(done.endedAt.isValid());
        QCOMPARE(*done.energyKwh, totals.energyKwh);
        QCOMPARE(*done.emissionsG, totals.emissionsG);
        QCOMPARE(done.energySource, QStringLiteral("estimated"));
        QCOMPARE(*done.intensityGPerKwh, 56.0);
        QVERIFY(done.error.isEmpty());

        const std::vector<MetricPoint> metrics = repo.metrics(id);
        QCOMPARE(metrics.size(), std::size_t(2));
        QCOMPARE(metrics[1].value, 0.7);
        const std::vector<PowerSample> samples = repo.powerSamples(id);
        QCOMPARE(samples.size(), std::size_t(2));
        QCOMPARE(samples[1].energyJ, 94.0);
        QCOMPARE(samples[1].source, QStringLiteral("estimated"));
    }

    // A model that outputs NaN makes its loss NaN: the error says so, not "NOT NULL constraint failed".
    void aMetricThatIsNotANumberIsExplained()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("runs.sqlite")));
        RunRepository repo(db);
        const qint64 id = repo.createRun(repo.ensureProject(QStringLiteral("p")), QStringLiteral("nan"), QStringLiteral("{}"), QStringLiteral("{}"));
        for (double value : {std::nan(""), std::numeric_limits<double>::infinity()}) {
            try {
                repo.addMetric(id, 3, QStringLiteral("train_loss"), value);
                QFAIL("a metric that is not a number was stored");
            } catch (const Error &e) {
                QVERIFY2(e.message().contains(QStringLiteral("train_loss")) && e.message().contains(QStringLiteral("not a finite number")),
                         qPrintable(e.message()));
            }
        }
        QVERIFY(repo.metrics(id).empty());
    }

    void failedRunKeepsItsError()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("runs.sqlite")));
        RunRepository repo(db);
        const qint64 id = repo.createRun(repo.ensureProject(QStringLiteral("p")), QStringLiteral("bad"), QStringLiteral("{}"), QStringLiteral("{}"));
        repo.finishRun(id, QStringLiteral("failed"), std::nullopt, 0, 0.1, QStringLiteral("x.idx: truncated"), std::nullopt);
        const RunRecord r = *repo.run(id);
        QCOMPARE(r.status, QStringLiteral("failed"));
        QCOMPARE(r.error, QStringLiteral("x.idx: truncated"));
        QVERIFY(!r.accuracy && !r.energyKwh);
        QVERIFY(!repo.run(id + 1));
    }

    // A person's words on a run, and deleting it with everything the store keeps of it.
    void runsAreDescribedAndDeleted()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("describe.sqlite")));
        RunRepository repo(db);
        const qint64 id = repo.createRun(repo.ensureProject(QStringLiteral("p")), QStringLiteral("first"), QStringLiteral("{}"), QStringLiteral("{}"));
        repo.addMetric(id, 1, QStringLiteral("test_accuracy"), 0.5);
        repo.describe(id, QStringLiteral("  baseline run "), {QStringLiteral(" paper"), QStringLiteral("a,b"), QStringLiteral("paper"), QString()},
                      QStringLiteral("lr too high?"));
        const RunRecord r = *repo.run(id);
        QCOMPARE(r.name, QStringLiteral("baseline run"));
        QCOMPARE(r.tags, (QStringList{QStringLiteral("paper"), QStringLiteral("ab")}));
        QCOMPARE(r.notes, QStringLiteral("lr too high?"));
        QVERIFY_THROWS_EXCEPTION(Error, repo.describe(id, QStringLiteral(" "), {}, {})); // a run keeps a name
        QVERIFY_THROWS_EXCEPTION(Error, repo.describe(id + 1, QStringLiteral("x"), {}, {}));
        QVERIFY_THROWS_EXCEPTION(Error, repo.deleteRun(id)); // still running
        repo.finishRun(id, QStringLiteral("completed"), 0.5, 10, 1.0, QString(), std::nullopt);
        const QStringList files = repo.deleteRun(id);
        QVERIFY(files.first().endsWith(QStringLiteral("checkpoints/run-%1.pt").arg(id)));
        QVERIFY(!repo.run(id).has_value());
        QVERIFY(repo.metrics(id).empty()); // its figures went with it
    }

    void rejectsUnknownProvenance()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("runs.sqlite")));
        RunRepository repo(db);
        const qint64 id = repo.createRun(repo.ensureProject(QStringLiteral("p")), QStringLiteral("r"), QStringLiteral("{}"), QStringLiteral("{}"));
        QVERIFY_THROWS_EXCEPTION(std::exception, repo.addPowerSamples(id, {PowerSample{1, 1, 1, 1, 2, 2, QStringLiteral("guessed")}}));
        QCOMPARE(repo.powerSamples(id).size(), std::size_t(0)); // the failed batch left nothing half-written
    }
};

QTEST_GUILESS_MAIN(TestRunRepository)
#include "tst_runrepository.moc"
