#include "ConstantPowerSource.h"
#include "Error.h"
#include "jobs/RunJob.h"
#include "jobs/RunQueue.h"
#include "jobs/RunWork.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QThread>
#include <QtTest>

using namespace gw;

namespace {

/// Work that takes @p steps of 20 ms, cancellable between them, and records the order runs started in.
class PacedWork : public RunWork {
public:
    PacedWork(int steps, QStringList &startOrder) : steps_(steps), startOrder_(startOrder) {}
    WorkOutcome execute(RunContext &context) override
    {
        startOrder_ << context.config().name; // the queue runs one at a time, so no lock is needed
        WorkOutcome outcome;
        for (int i = 1; i <= steps_; ++i) {
            if (context.cancelFlag().load()) {
                outcome.cancelled = true;
                return outcome;
            }
            QThread::msleep(20);
            context.progress(WorkProgress{double(i), double(steps_), QStringLiteral("step %1").arg(i)});
        }
        return outcome;
    }

private:
    int steps_;
    QStringList &startOrder_;
};

} // namespace

class TestRunQueue : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QStringList startOrder_;

    QString store() const { return dir_.filePath(QStringLiteral("queue.sqlite")); }
    static RunConfig named(const QString &name)
    {
        RunConfig c;
        c.name = name;
        c.energy.sampleHz = 20;
        return c;
    }
    /// A plan whose best start is @p ms from now, saving 12.5 % over starting now.
    static StartPlan startingIn(qint64 ms)
    {
        StartPlan plan;
        plan.nowUtc = QDateTime::currentDateTimeUtc();
        plan.bestStartUtc = plan.nowUtc.addMSecs(ms);
        plan.durationS = 1;
        plan.savingPercent = 12.5;
        return plan;
    }
    RunQueue::JobSetup paced(int steps)
    {
        return [this, steps](RunJob &job) {
            job.setPowerSource(std::make_unique<test::ConstantPowerSource>(20.0, 2.0));
            job.setWork(std::make_unique<PacedWork>(steps, startOrder_));
        };
    }

private Q_SLOTS:
    void init() { startOrder_.clear(); }

    void runsOneAtATimeInTheOrderGiven()
    {
        RunQueue queue;
        QSignalSpy queued(&queue, &RunQueue::queued);
        QSignalSpy finished(&queue, &RunQueue::finished);
        const int first = queue.submit(named(QStringLiteral("first")), store(), paced(10));
        QVERIFY(queue.isRunning());
        QCOMPARE(queue.activeId(), first);
        const int second = queue.submit(named(QStringLiteral("second")), store(), paced(2));
        const int third = queue.submit(named(QStringLiteral("third")), store(), paced(2));
        QCOMPARE(queued.count(), 2);
        QCOMPARE(queue.queuedCount(), 2);
        QCOMPARE(queue.configOf(third)->name, QStringLiteral("third"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 3, 30000);
        QCOMPARE(finished.at(0).at(0).toInt(), first);
        QCOMPARE(finished.at(1).at(0).toInt(), second);
        QCOMPARE(finished.at(2).at(0).toInt(), third);
        QCOMPARE(startOrder_, (QStringList{QStringLiteral("first"), QStringLiteral("second"), QStringLiteral("third")}));
        for (const QList<QVariant> &f : finished)
            QCOMPARE(f.at(1).value<RunSummary>().status, QStringLiteral("completed"));
        QVERIFY(!queue.isBusy());
        const Database db(store());
        QCOMPARE(RunRepository(db).listRuns().size(), qsizetype(3));
    }

    void cancelStopsTheActiveRunOrDropsAQueuedOne()
    {
        RunQueue queue;
        QSignalSpy finished(&queue, &RunQueue::finished);
        QSignalSpy dropped(&queue, &RunQueue::dropped);
        const int long1 = queue.submit(named(QStringLiteral("long")), store(), paced(1000));
        const int waiting = queue.submit(named(QStringLiteral("never")), store(), paced(2));
        const int after = queue.submit(named(QStringLiteral("after")), store(), paced(2));
        QVERIFY(queue.cancel(waiting));
        QCOMPARE(dropped.count(), 1);
        QCOMPARE(dropped.at(0).at(0).toInt(), waiting);
        QVERIFY(!queue.cancel(waiting)); // gone
        QVERIFY(queue.cancel(long1));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 30000);
        QCOMPARE(finished.at(0).at(1).value<RunSummary>().status, QStringLiteral("cancelled"));
        QCOMPARE(finished.at(1).at(0).toInt(), after);
        QVERIFY(!startOrder_.contains(QStringLiteral("never")));
    }

    void waitsForTheGreenestStartThenRunsWithItsPlan()
    {
        RunQueue queue;
        QSignalSpy waiting(&queue, &RunQueue::waiting);
        QSignalSpy finished(&queue, &RunQueue::finished);
        const StartPlan plan = startingIn(1500);
        const int id = queue.submitAt(named(QStringLiteral("greenest")), store(), plan, paced(2));
        QVERIFY(queue.isWaiting());
        QVERIFY(!queue.isRunning());
        QCOMPARE(queue.activeId(), id);
        QVERIFY(waiting.count() >= 1);
        QVERIFY(waiting.first().at(1).toDouble() > 1.0);
        // A plan is for a start from now: another one is refused while this one waits.
        QVERIFY_THROWS_EXCEPTION(Error, queue.submitAt(named(QStringLiteral("refused")), store(), plan));
        // A plain run queues behind the wait.
        queue.submit(named(QStringLiteral("behind")), store(), paced(1));
        QCOMPARE(queue.queuedCount(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 2, 30000);
        QCOMPARE(startOrder_, (QStringList{QStringLiteral("greenest"), QStringLiteral("behind")}));
        const RunSummary s = finished.at(0).at(1).value<RunSummary>();
        const Database db(store());
        QCOMPARE(RunRepository(db).finalMetrics(s.runId).value(QStringLiteral("schedule_saving_percent")), 12.5);
    }

    void aCancelledWaitStartsNothingAndLetsTheQueueGoOn()
    {
        RunQueue queue;
        QSignalSpy dropped(&queue, &RunQueue::dropped);
        QSignalSpy finished(&queue, &RunQueue::finished);
        const StartPlan plan = startingIn(3600 * 1000);
        const int id = queue.submitAt(named(QStringLiteral("later")), store(), plan, paced(1));
        queue.submit(named(QStringLiteral("next")), store(), paced(1));
        QVERIFY(queue.cancel(id));
        QCOMPARE(dropped.count(), 1);
        QVERIFY(dropped.at(0).at(1).toString().contains(QStringLiteral("greenest start")));
        QVERIFY(!queue.isWaiting());
        QVERIFY(queue.isRunning()); // the queued run went on at once
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 30000);
        QCOMPARE(startOrder_, QStringList{QStringLiteral("next")});
    }
};

QTEST_GUILESS_MAIN(TestRunQueue)
#include "tst_runqueue.moc"
