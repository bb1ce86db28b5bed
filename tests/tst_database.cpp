#include "Error.h"
#include "TestData.h"
#include "store/Database.h"
#include "store/RunRepository.h"
#include "config/RunConfig.h"
#include "report/CodeCarbonCsv.h"
#include "report/ModelCard.h"
#include "report/RunComparison.h"
#include "report/RunJson.h"
#include "report/RunReportBuilder.h"
#include "store/ArtifactRepository.h"

#include <QSqlQuery>
#include <QSqlRecord>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

#include <atomic>
#include <thread>
#include <unistd.h>

using namespace gw;

class TestDatabase : public QObject {
    Q_OBJECT
private:
    static QStringList tables(const Database &db)
    {
        QSqlQuery q(db.connection());
        q.exec(QStringLiteral("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name"));
        QStringList names;
        while (q.next())
            names << q.value(0).toString();
        return names;
    }

private Q_SLOTS:
    void createsLatestSchemaInWalMode()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("new.sqlite")));
        QCOMPARE(db.schemaVersion(), Database::kLatestVersion);
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("PRAGMA journal_mode")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("wal"));
        const QStringList names = tables(db);
        for (const char *table : {"projects", "runs", "metrics", "power_samples", "energy_totals", "energy_windows", "energy_phases"})
            QVERIFY2(names.contains(QLatin1String(table)), table);
    }

    // A store written by an earlier release opens, upgrades and keeps its rows.
    void upgradesPreviousVersionKeepingData_data()
    {
        QTest::addColumn<int>("version");
        for (int v = 1; v < Database::kLatestVersion; ++v)
            QTest::newRow(qPrintable(QStringLiteral("schema %1").arg(v))) << v;
    }

    void upgradesPreviousVersionKeepingData()
    {
        QFETCH(int, version);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("old.sqlite"));
        {
            Database v1(path, version);
            QCOMPARE(v1.schemaVersion(), version);
            QCOMPARE(tables(v1).contains(QStringLiteral("power_samples")), version >= 2);
            QSqlQuery q(v1.connection());
            QVERIFY(q.exec(QStringLiteral("INSERT INTO projects(name, created_at) VALUES ('legacy', '2026-01-01T00:00:00Z')")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO runs(project_id, name, status, params_json, started_at, ended_at, accuracy)"
                                          " VALUES (1, 'old-run', 'completed', '{}', '2026-01-01T00:00:00.000Z', '2026-01-01T00:10:00.000Z', 0.81)")));
            QVERIFY(q.exec(QStringLiteral("INSERT INTO metrics(run_id, step, name, value) VALUES (1, 1, 'test_accuracy', 0.81)")));
        }
        Database db(path);
        QCOMPARE(db.schemaVersion(), Database::kLatestVersion);
        QVERIFY(tables(db).contains(QStringLiteral("power_samples")));
        RunRepository repo(db);
        const QList<RunRecord> runs = repo.listRuns();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs[0].name, QStringLiteral("old-run"));
        QCOMPARE(runs[0].project, QStringLiteral("legacy"));
        QCOMPARE(*runs[0].accuracy, 0.81);
        QCOMPARE(runs[0].hardwareJson, QStringLiteral("{}"));
        QVERIFY(!runs[0].energyKwh.has_value());
        QCOMPARE(repo.metrics(1).size(), std::size_t(1));
        // And the upgraded store takes new-style data.
        repo.addPowerSamples(1, {PowerSample{1.0, 1.0, 10, 1, 11, 11, QStringLiteral("estimated")}});
        QCOMPARE(repo.powerSamples(1).size(), std::size_t(1));
    }

    void refusesNewerSchema()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("future.sqlite"));
        {
            Database db(path);
            db.exec(QStringLiteral("PRAGMA user_version=99"), "fake a future version");
        }
        try {
            Database db(path);
            QFAIL("opened a store from the future");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(path) && e.message().contains(QStringLiteral("newer")), qPrintable(e.message()));
        }
    }

    void refusesForeignDatabaseAndGarbage_data()
    {
        QTest::addColumn<bool>("sqlite");
        QTest::addColumn<QString>("problem");
        QTest::newRow("someone else's SQLite database") << true << "not a workbench store";
        QTest::newRow("not a database at all") << false << "not a database";
    }

    void refusesForeignDatabaseAndGarbage()
    {
        QFETCH(bool, sqlite);
        QFETCH(QString, problem);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("other.sqlite"));
        if (sqlite) {
            QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("foreign"));
            other.setDatabaseName(path);
            QVERIFY(other.open());
            QVERIFY(QSqlQuery(other).exec(QStringLiteral("CREATE TABLE notes(text TEXT)")));
            other.close();
            other = QSqlDatabase();
            QSqlDatabase::removeDatabase(QStringLiteral("foreign"));
        } else {
            test::writeBytes(path, QByteArray(4096, 'x'));
        }
        const QByteArray before = [&] { QFile f(path); f.open(QIODevice::ReadOnly); return f.readAll(); }();
        try {
            Database db(path);
            QFAIL("opened a file that is not a workbench store");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(path) && e.message().contains(problem), qPrintable(e.message()));
        }
        QFile after(path);
        QVERIFY(after.open(QIODevice::ReadOnly));
        QCOMPARE(after.readAll(), before); // nothing stored is touched
    }

    void transactionRollsBackUnlessCommitted()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("tx.sqlite")));
        RunRepository repo(db);
        {
            Database::Transaction tx(db);
            repo.ensureProject(QStringLiteral("discarded"));
        }
        {
            Database::Transaction tx(db);
            repo.ensureProject(QStringLiteral("kept"));
            tx.commit();
        }
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT group_concat(name) FROM projects")) && q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("kept"));
    }

    // Several processes starting on a new store at once: exactly one migrates, none fails.
    void manyOpenANewStoreAtOnce()
    {
        QTemporaryDir dir;
        for (int attempt = 0; attempt < 15; ++attempt) {
            const QString path = dir.filePath(QStringLiteral("race-%1.sqlite").arg(attempt));
            std::atomic_int ready{0};
            std::vector<QString> errors(4);
            std::vector<std::thread> openers;
            for (int i = 0; i < 4; ++i)
                openers.emplace_back([&, i] {
                    ++ready;
                    while (ready.load() < 4) {
                    }
                    try {
                        const Database db(path);
                        RunRepository(db).ensureProject(QStringLiteral("default"));
                    } catch (const Error &e) {
                        errors[std::size_t(i)] = e.message();
                    }
                });
            for (std::thread &t : openers)
                t.join();
            for (const QString &error : errors)
                QVERIFY2(error.isEmpty(), qPrintable(error));
            QCOMPARE(Database(path).schemaVersion(), Database::kLatestVersion);
        }
    }

    // Another writer holding the store for a while is waited out, not a failure.
    void waitsOutAnotherWriter()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("busy.sqlite"));
        Database db(path);
        RunRepository repo(db);
        const qint64 run = repo.createRun(repo.ensureProject(QStringLiteral("p")), QStringLiteral("r"), QStringLiteral("{}"), QStringLiteral("{}"));
        std::atomic_bool locked{false};
        std::thread other([&] {
            const Database writer(path);
            writer.exec(QStringLiteral("BEGIN IMMEDIATE"), "lock");
            locked.store(true);
            QThread::msleep(1500);
            writer.exec(QStringLiteral("COMMIT"), "unlock");
        });
        while (!locked.load())
            QThread::msleep(5);
        QElapsedTimer clock;
        clock.start();
        repo.addMetric(run, 1, QStringLiteral("train_loss"), 0.5);
        other.join();
        QVERIFY2(clock.elapsed() >= 1000, qPrintable(QString::number(clock.elapsed())));
        QCOMPARE(repo.metrics(run).size(), std::size_t(1));
    }

    void opensReadOnlyForReading()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("ro.sqlite"));
        {
            Database db(path);
            RunRepository repo(db);
            repo.createRun(repo.ensureProject(QStringLiteral("p")), QStringLiteral("listed"), QStringLiteral("{}"), QStringLiteral("{}"));
        }
        Database db(path, Database::kLatestVersion, Database::Access::ReadOnly);
        QVERIFY(db.isReadOnly());
        QCOMPARE(RunRepository(db).listRuns().size(), 1);
        try {
            RunRepository(db).ensureProject(QStringLiteral("new"));
            QFAIL("a read-only store took a write");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("read-only")), qPrintable(e.message()));
        }
        // Without write permission the store opens read-only by itself (root may write anywhere).
        if (::geteuid() != 0) {
            QVERIFY(QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::ExeOwner));
            const Database automatic(path);
            QVERIFY(automatic.isReadOnly());
            QCOMPARE(RunRepository(automatic).listRuns().size(), 1);
            QFile::setPermissions(dir.path(), QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        }
    }

    void aStoreFromBeforeRunKindsOpensAndItsRunsListCompareAndExport()
    {
        // A version-5 store (the last before run kinds and artifacts) with the configs it held then.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("before-kinds.sqlite"));
        const QStringList configs{
            QStringLiteral(R"({"name": "probe", "model": {"source": "bundled"}, "training": {"mode": "linear-probe", "epochs": 3}, "active_learning": null})"),
            QStringLiteral(R"({"name": "asking", "model": {"source": "bundled"}, "training": {"mode": "linear-probe"}, "active_learning": {"batch": 10}})"),
            QStringLiteral(R"({"name": "pretrain-gw-mobilenet", "model": {"source": "scratch"}, "training": {"mode": "pretrain", "epochs": 2}, "active_learning": null})"),
            QStringLiteral(R"({"name": "cnn", "training": {"mode": "scratch", "epochs": 2}})")};
        {
            Database old(path, 5);
            QCOMPARE(old.schemaVersion(), 5);
            RunRepository repo(old);
            const qint64 project = repo.ensureProject(QStringLiteral("default"));
            double accuracy = 0.7;
            for (const QString &config : configs) {
                const qint64 id = repo.createRun(project, QStringLiteral("r"), config, QStringLiteral("{}"));
                QSqlQuery metric(old.connection()); // as version 5 wrote them: no scope
                QVERIFY(metric.exec(QStringLiteral("INSERT INTO metrics(run_id, step, name, value) VALUES (%1, 1, 'test_accuracy', %2)").arg(id).arg(accuracy)));
                EnergyTotals totals;
                totals.energyKwh = 0.001 * accuracy;
                totals.emissionsG = 0.5 * accuracy;
                totals.energySource = QStringLiteral("estimated");
                totals.intensityGPerKwh = 56;
                totals.intensityOrigin = QStringLiteral("FRA");
                totals.powerModel = QStringLiteral("CPU time x TDP");
                repo.finishRun(id, QStringLiteral("completed"), accuracy, 100, 12.5, QString(), totals);
                accuracy += 0.05;
            }
        }
        const Database db(path);
        QCOMPARE(db.schemaVersion(), Database::kLatestVersion);
        const RunRepository repo(db);
        const QList<RunRecord> runs = repo.listRuns();
        QCOMPARE(runs.size(), 4);
        QStringList kinds;
        for (const RunRecord &run : runs)
            kinds << RunConfig::fromJsonText(run.paramsJson.toStdString(), QStringLiteral("run %1").arg(run.id)).kind;
        kinds.sort();
        QCOMPARE(kinds, (QStringList{QStringLiteral("active-learning"), QStringLiteral("finetune"), QStringLiteral("pretrain"), QStringLiteral("train")}));
        const RunComparison comparison(runs);
        QVERIFY(comparison.differingParameters().contains(QStringLiteral("training.mode")));
        QCOMPARE(int(comparison.paretoFrontier().size()), 4);
        for (const RunRecord &run : runs) {
            const RunReport report = RunReportBuilder::fromStore(repo, run.id, path);
            QVERIFY(!RunJson::toJson(report).isEmpty());
            QVERIFY(ModelCard::render(report).contains(QStringLiteral("co2_eq_emissions")));
            QVERIFY(CodeCarbonCsv::withRowAppended(QByteArray(), report, QStringLiteral("t")).count('\n') == 2);
            QCOMPARE(repo.metrics(run.id).size(), std::size_t(1));
        }
        QVERIFY(ArtifactRepository(db).list().isEmpty());
        QSqlQuery scope(db.connection());
        QVERIFY(scope.exec(QStringLiteral("SELECT scope FROM metrics")));
        QVERIFY(scope.next());
        QCOMPARE(scope.value(0).toString(), QString()); // older figures are of the whole run
    }
};

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
