// Labels survive SIGKILL: a labeling session drives `green-workbench run --label-stdin` (the human
// oracle on a terminal), the process is killed in the middle of a round, and the store has every
// label that was acknowledged; `run --resume` continues that round with what is still open, asks
// nobody twice, and finishes the budget.
#include "TestData.h"
#include "store/Database.h"
#include "store/LabelRepository.h"
#include "store/RoundRepository.h"
#include "store/RunRepository.h"

#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

namespace {

/// Reads the process's stdout line by line until @p pattern matches one (returning its match), or
/// the time is up (an invalid match).
QRegularExpressionMatch waitFor(QProcess &process, const QRegularExpression &pattern, QStringList *seen = nullptr, int timeoutMs = 60000)
{
    QElapsedTimer clock;
    clock.start();
    while (clock.elapsed() < timeoutMs) {
        while (process.canReadLine()) {
            const QString line = QString::fromUtf8(process.readLine()).trimmed();
            if (seen)
                *seen << line;
            const QRegularExpressionMatch m = pattern.match(line);
            if (m.hasMatch())
                return m;
        }
        if (process.state() == QProcess::NotRunning && !process.canReadLine())
            break;
        process.waitForReadyRead(200);
    }
    return {};
}

/// The queried samples of a batch announced by "batch ROUND COUNT ...".
QList<qint64> readBatch(QProcess &process, int round, int count)
{
    const QRegularExpressionMatch batch = waitFor(process, QRegularExpression(QStringLiteral("^batch (\\d+) (\\d+) ")));
    if (!batch.hasMatch() || batch.captured(1).toInt() != round || batch.captured(2).toInt() != count)
        return {};
    QList<qint64> samples;
    for (int i = 0; i < count; ++i) {
        const QRegularExpressionMatch q = waitFor(process, QRegularExpression(QStringLiteral("^query (\\d+) (\\d+) ")));
        if (!q.hasMatch())
            return {};
        samples << q.captured(2).toLongLong();
    }
    return samples;
}

bool labelAndWaitForAck(QProcess &process, qint64 sample, int label)
{
    process.write(QStringLiteral("%1 %2\n").arg(sample).arg(label).toUtf8());
    return waitFor(process, QRegularExpression(QStringLiteral("^ack label %1 %2$").arg(sample).arg(label))).hasMatch();
}

/// `run --resume RUN` on @p store, answered on stdin, with the JSON summary at the end.
bool startResumed(QProcess &process, qint64 run, const QString &store)
{
    process.start(QStringLiteral(GW_WORKBENCH_PATH), {QStringLiteral("run"), QStringLiteral("--resume"), QString::number(run), QStringLiteral("--db"), store,
                                                      QStringLiteral("--label-stdin"), QStringLiteral("--json")});
    return process.waitForStarted();
}

} // namespace

class TestLabelDurability : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void acknowledgedLabelsSurviveSigkillAndTheRoundContinues()
    {
        test::writeBandDataset(dir_.filePath(QStringLiteral("bands")), 200, 50);
        const QString config = dir_.filePath(QStringLiteral("human.json"));
        test::writeBytes(config, QStringLiteral(R"({"name": "durable", "dataset": {"path": "%1"}, "model": {"source": "scratch"},
            "training": {"mode": "linear-probe", "threads": 1},
            "active_learning": {"strategy": "margin", "initial": 6, "batch": 4, "budget": 14, "oracle": "human",
                                "stop": {"kappa": null}}})")
                                          .arg(dir_.filePath(QStringLiteral("bands")))
                                          .toUtf8());
        const QString store = dir_.filePath(QStringLiteral("store.sqlite"));
        QList<qint64> asked;
        QMap<qint64, int> acknowledged;

        QProcess first;
        first.start(QStringLiteral(GW_WORKBENCH_PATH), {QStringLiteral("run"), config, QStringLiteral("--db"), store, QStringLiteral("--label-stdin")});
        QVERIFY(first.waitForStarted());
        const QList<qint64> round0 = readBatch(first, 0, 6);
        QCOMPARE(round0.size(), 6);
        asked += round0;
        for (qint64 s : round0) {
            QVERIFY(labelAndWaitForAck(first, s, int(s % 10)));
            acknowledged.insert(s, int(s % 10));
        }
        first.write("submit\n");
        QVERIFY(waitFor(first, QRegularExpression(QStringLiteral("^done 0$"))).hasMatch());
        const QList<qint64> round1 = readBatch(first, 1, 4);
        QCOMPARE(round1.size(), 4);
        asked += round1;
        for (int i = 0; i < 2; ++i) {
            QVERIFY(labelAndWaitForAck(first, round1[i], 3));
            acknowledged.insert(round1[i], 3);
        }
        first.kill(); // SIGKILL, in the middle of round 1
        QVERIFY(first.waitForFinished(10000));
        QCOMPARE(first.exitStatus(), QProcess::CrashExit);

        qint64 firstRun = 0;
        {
            Database db(store);
            const QList<RunRecord> runs = RunRepository(db).listRuns();
            QCOMPARE(runs.size(), 1);
            firstRun = runs.first().id;
            // Its process is gone: opening the store marked it (it would otherwise stay "running" for ever).
            QCOMPARE(runs.first().status, QStringLiteral("interrupted"));
            const QMap<qint64, LabelRecord> labels = LabelRepository(db).current(firstRun);
            QCOMPARE(labels.size(), acknowledged.size());
            for (auto it = acknowledged.constBegin(); it != acknowledged.constEnd(); ++it)
                QCOMPARE(labels.value(it.key()).label, it.value());
        }

        QProcess second;
        QVERIFY(startResumed(second, firstRun, store));
        // The same round, with only what was still open.
        const QList<qint64> rest = readBatch(second, 1, 2);
        QCOMPARE(rest, round1.mid(2));
        for (qint64 s : rest)
            QVERIFY(labelAndWaitForAck(second, s, 4));
        second.write("submit\n");
        QVERIFY(waitFor(second, QRegularExpression(QStringLiteral("^done 1$"))).hasMatch());
        const QList<qint64> round2 = readBatch(second, 2, 4);
        QCOMPARE(round2.size(), 4);
        asked += round2;
        for (int i = 0; i < 2; ++i) {
            QVERIFY(labelAndWaitForAck(second, round2[i], 5));
            acknowledged.insert(round2[i], 5);
        }
        for (qint64 s : rest)
            acknowledged.insert(s, 4);
        second.kill(); // and the continuation is killed too, in the middle of round 2
        QVERIFY(second.waitForFinished(10000));

        // Resuming the first run again goes on from where its continuation stopped, not from the start.
        QProcess third;
        QVERIFY(startResumed(third, firstRun, store));
        const QList<qint64> lastOpen = readBatch(third, 2, 2);
        QCOMPARE(lastOpen, round2.mid(2));
        for (qint64 s : lastOpen)
            QVERIFY(labelAndWaitForAck(third, s, 5));
        third.write("submit\n");
        QStringList tail;
        QVERIFY(waitFor(third, QRegularExpression(QStringLiteral("^\\{.*\"labels_used\":14")), &tail).hasMatch());
        QVERIFY(third.waitForFinished(30000));
        QCOMPARE(third.exitCode(), 0);
        QVERIFY(QString::fromUtf8(third.readAllStandardError()).contains(QStringLiteral("continuing run")));

        QCOMPARE(QSet<qint64>(asked.cbegin(), asked.cend()).size(), asked.size()); // nobody asked twice
        Database db(store);
        const QList<RunRecord> runs = RunRepository(db).listRuns();
        QCOMPARE(runs.size(), 3);
        QCOMPARE(runs[0].status, QStringLiteral("interrupted"));
        QCOMPARE(runs[1].status, QStringLiteral("interrupted"));
        const qint64 lastRun = runs[2].id;
        const QMap<qint64, LabelRecord> labels = LabelRepository(db).current(lastRun);
        QCOMPARE(labels.size(), 14);
        int resumed = 0;
        for (const LabelRecord &l : labels)
            resumed += l.origin == QStringLiteral("resumed");
        QCOMPARE(resumed, acknowledged.size());
        for (auto it = acknowledged.constBegin(); it != acknowledged.constEnd(); ++it)
            QCOMPARE(labels.value(it.key()).label, it.value());
        const std::vector<RoundRecord> rounds = RoundRepository(db).rounds(lastRun);
        QCOMPARE(rounds.back().round, 3);
        QCOMPARE(rounds.back().labels, qint64(14));
    }

    // Nobody can answer after the end of input: the run stops (cancelled, resumable) instead of
    // waiting for ever, and what was acknowledged is stored.
    void theEndOfInputStopsTheRun()
    {
        const QString data = dir_.filePath(QStringLiteral("bands-eof"));
        test::writeBandDataset(data, 200, 50);
        const QString config = dir_.filePath(QStringLiteral("eof.json"));
        test::writeBytes(config, QStringLiteral(R"({"name": "eof", "dataset": {"path": "%1"}, "model": {"source": "scratch"},
            "training": {"mode": "linear-probe", "threads": 1},
            "active_learning": {"strategy": "margin", "initial": 6, "batch": 4, "budget": 14, "oracle": "human"}})")
                                     .arg(data)
                                     .toUtf8());
        const QString store = dir_.filePath(QStringLiteral("eof.sqlite"));
        QProcess process;
        process.start(QStringLiteral(GW_WORKBENCH_PATH), {QStringLiteral("run"), config, QStringLiteral("--db"), store, QStringLiteral("--label-stdin")});
        QVERIFY(process.waitForStarted());
        const QList<qint64> batch = readBatch(process, 0, 6);
        QCOMPARE(batch.size(), 6);
        QVERIFY(labelAndWaitForAck(process, batch[0], 1));
        process.write(QStringLiteral("%1 2").arg(batch[1]).toUtf8()); // the last line, without its line end
        process.closeWriteChannel();
        QVERIFY(process.waitForFinished(30000));
        QCOMPARE(process.exitCode(), 130);
        QVERIFY(QString::fromUtf8(process.readAllStandardError()).contains(QStringLiteral("standard input ended")));
        Database db(store);
        const RunRecord run = RunRepository(db).listRuns().constFirst();
        QCOMPARE(run.status, QStringLiteral("cancelled"));
        const QMap<qint64, LabelRecord> labels = LabelRepository(db).current(run.id);
        QCOMPARE(labels.size(), 2);
        QCOMPARE(labels.value(batch[1]).label, 2);
    }
};

QTEST_GUILESS_MAIN(TestLabelDurability)
#include "tst_labeldurability.moc"
