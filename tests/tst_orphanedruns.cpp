#include "platform/ProcessIdentity.h"
#include "store/Database.h"
#include "store/OrphanedRuns.h"
#include "store/RunRepository.h"

#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

namespace {

/// A run as a process that died would have left it: running, with samples in two phases.
qint64 addRunWithSamples(const Database &db, const QString &name)
{
    RunRepository repo(db);
    const qint64 run = repo.createRun(repo.ensureProject(QStringLiteral("p")), name, QStringLiteral(R"({"energy":{"pue":1.5}})"),
                                      QStringLiteral("{}"));
    std::vector<PowerSample> samples;
    for (int i = 1; i <= 4; ++i) {
        PowerSample s;
        s.elapsedS = i;
        s.intervalS = 1;
        s.cpuPowerW = 10;
        s.ramPowerW = 2;
        s.totalPowerW = 12 * 1.5;
        s.energyJ = 18.0 * i;
        s.emissionsG = 0.001 * i;
        s.intensityGPerKwh = 50;
        s.source = QStringLiteral("estimated");
        s.phase = i <= 2 ? QStringLiteral("embed") : QStringLiteral("train");
        samples.push_back(s);
    }
    repo.addPowerSamples(run, samples);
    return run;
}

void setProcess(const Database &db, qint64 run, const QVariant &host, const QVariant &pid, const QVariant &start)
{
    QSqlQuery q(db.connection());
    q.prepare(QStringLiteral("UPDATE runs SET process_host = ?, process_id = ?, process_start = ? WHERE id = ?"));
    q.addBindValue(host);
    q.addBindValue(pid);
    q.addBindValue(start);
    q.addBindValue(run);
    QVERIFY(q.exec());
}

} // namespace

class TestOrphanedRuns : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aRunOfThisLiveProcessStaysRunning()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("s.sqlite")));
        const qint64 run = addRunWithSamples(db, QStringLiteral("alive"));
        QCOMPARE(OrphanedRuns::markInterrupted(db), 0);
        QCOMPARE(RunRepository(db).run(run)->status, QStringLiteral("running"));
    }

    // The same pid with another start time is another process (pids are reused): the run's is gone.
    void aRunWhoseProcessIsGoneIsInterruptedWithItsEnergy()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("s.sqlite"));
        qint64 run = 0;
        {
            Database db(path);
            run = addRunWithSamples(db, QStringLiteral("killed"));
            ProcessIdentity reused = ProcessIdentity::current();
            reused.startTicks += 1;
            setProcess(db, run, reused.host, reused.pid, reused.startToken());
        }
        // Opening the store is enough: every command and the window do.
        Database db(path);
        const RunRecord record = *RunRepository(db).run(run);
        QCOMPARE(record.status, QStringLiteral("interrupted"));
        QVERIFY2(record.error.contains(QStringLiteral("pid")), qPrintable(record.error));
        QCOMPARE(*record.durationS, 4.0);
        QVERIFY(qAbs(*record.energyKwh - 72.0 / 3.6e6) < 1e-12);
        QVERIFY(qAbs(*record.emissionsG - 0.004) < 1e-12);
        QCOMPARE(record.energySource, QStringLiteral("estimated"));
        QVERIFY(qAbs(*record.cpuEnergyKwh - 40.0 * 1.5 / 3.6e6) < 1e-12);
        QVERIFY(record.endedAt.isValid());
        const std::vector<PhaseEnergy> phases = RunRepository(db).phaseSplit(run);
        QCOMPARE(phases.size(), std::size_t(2));
        for (const PhaseEnergy &p : phases) {
            QCOMPARE(p.energyJ, 36.0);
            QCOMPARE(p.durationS, 2.0);
        }
    }

    void aRunFromAnEarlierBootIsInterrupted()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("s.sqlite")));
        const qint64 run = addRunWithSamples(db, QStringLiteral("before reboot"));
        const ProcessIdentity me = ProcessIdentity::current();
        setProcess(db, run, me.host, me.pid, QStringLiteral("another-boot/%1").arg(me.startTicks));
        QCOMPARE(OrphanedRuns::markInterrupted(db), 1);
        QCOMPARE(RunRepository(db).run(run)->status, QStringLiteral("interrupted"));
    }

    // A store in a shared folder: another machine's run cannot be judged from here.
    void aRunOnAnotherHostIsLeftAlone()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("s.sqlite")));
        const qint64 run = addRunWithSamples(db, QStringLiteral("elsewhere"));
        setProcess(db, run, QStringLiteral("another-host.example"), 12345, QStringLiteral("x/1"));
        QCOMPARE(OrphanedRuns::markInterrupted(db), 0);
        QCOMPARE(RunRepository(db).run(run)->status, QStringLiteral("running"));
    }

    // Stores written before processes were recorded: such a run has no process left to finish it.
    void aRunWithoutAProcessRecordIsInterrupted()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("s.sqlite")));
        RunRepository repo(db);
        const qint64 run = repo.createRun(repo.ensureProject(QStringLiteral("p")), QStringLiteral("old"), QStringLiteral("{}"), QStringLiteral("{}"));
        setProcess(db, run, QVariant(QMetaType::fromType<QString>()), QVariant(QMetaType::fromType<qint64>()), QVariant(QMetaType::fromType<QString>()));
        QCOMPARE(OrphanedRuns::markInterrupted(db), 1);
        const RunRecord record = *repo.run(run);
        QCOMPARE(record.status, QStringLiteral("interrupted"));
        QVERIFY(!record.energyKwh); // nothing was sampled: no totals made up
    }

    void finishedRunsAreNotTouched()
    {
        QTemporaryDir dir;
        Database db(dir.filePath(QStringLiteral("s.sqlite")));
        RunRepository repo(db);
        const qint64 run = addRunWithSamples(db, QStringLiteral("done"));
        repo.finishRun(run, QStringLiteral("completed"), 0.9, 0, 4.0, QString(), std::nullopt);
        setProcess(db, run, QStringLiteral("h"), 1, QStringLiteral("gone/1"));
        QCOMPARE(OrphanedRuns::markInterrupted(db), 0);
        QCOMPARE(repo.run(run)->status, QStringLiteral("completed"));
    }
};

QTEST_GUILESS_MAIN(TestOrphanedRuns)
#include "tst_orphanedruns.moc"
