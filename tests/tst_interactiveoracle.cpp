#include "activelearning/InteractiveOracle.h"

#include <QMap>
#include <QMutex>
#include <QtTest>

#include <atomic>
#include <thread>

using namespace gw;

namespace {

/// Labels in memory: what the store sink of the loop would commit.
class MemorySink : public LabelSink {
public:
    void give(qint64 sampleIndex, int label, const QString &) override { labels[sampleIndex] = label; }
    bool undo(qint64 sampleIndex) override { return labels.remove(sampleIndex) > 0; }
    void skip(qint64) override {}
    void renameClass(int, const QString &) override {}
    bool hasLabel(qint64 sampleIndex) const override { return labels.contains(sampleIndex); }
    QMap<qint64, int> labels;
};

/// What the oracle answered, in order, as a terminal would print it.
class Transcript : public QObject {
public:
    explicit Transcript(InteractiveOracle &oracle)
    {
        connect(&oracle, &InteractiveOracle::labelStored, this, [this](qint64 s, int l) { add(QStringLiteral("ack label %1 %2").arg(s).arg(l)); },
                Qt::DirectConnection);
        connect(&oracle, &InteractiveOracle::labelUndone, this, [this](qint64 s) { add(QStringLiteral("ack undo %1").arg(s)); }, Qt::DirectConnection);
        connect(&oracle, &InteractiveOracle::refused, this, [this](const QString &why) { add(QStringLiteral("refused ") + why); }, Qt::DirectConnection);
    }
    QStringList lines() const
    {
        const QMutexLocker lock(&mutex_);
        return lines_;
    }

private:
    void add(const QString &line)
    {
        const QMutexLocker lock(&mutex_);
        lines_ << line;
    }
    mutable QMutex mutex_;
    QStringList lines_;
};

std::vector<LabelQuery> batchOf(std::initializer_list<qint64> samples)
{
    std::vector<LabelQuery> batch;
    for (qint64 s : samples)
        batch.push_back({s, QStringLiteral("sample/%1").arg(s), 2, std::nullopt, 0.5, {}});
    return batch;
}

} // namespace

class TestInteractiveOracle : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // Every decision gets an answer: a label outside the batch that corrects nothing and an undo of
    // a sample without a label are refused, not passed over in silence.
    void everyDecisionIsAnsweredOrRefused()
    {
        InteractiveOracle oracle(QStringLiteral("tester"));
        Transcript transcript(oracle);
        MemorySink sink;
        sink.labels.insert(3, 1); // labelled in an earlier round: may be corrected
        std::atomic_bool cancel{false};
        std::thread loop([&] { oracle.answer(batchOf({5, 6}), LabelingContext{}, sink, cancel); });
        while (!oracle.waiting())
            QThread::msleep(1);
        oracle.assign(5, 2);
        oracle.assign(99, 1);
        oracle.undo(6);
        oracle.assign(3, 0);
        oracle.undo(5);
        oracle.submit();
        loop.join();
        const QStringList lines = transcript.lines();
        QCOMPARE(lines.size(), 5);
        QCOMPARE(lines[0], QStringLiteral("ack label 5 2"));
        QVERIFY2(lines[1].startsWith(QStringLiteral("refused sample 99 is not in this round's batch")), qPrintable(lines[1]));
        QCOMPARE(lines[2], QStringLiteral("refused sample 6 has no label to undo"));
        QCOMPARE(lines[3], QStringLiteral("ack label 3 0"));
        QCOMPARE(lines[4], QStringLiteral("ack undo 5"));
        QCOMPARE(sink.labels.value(3), 0);
        QVERIFY(!sink.labels.contains(99));
    }

    // A cancel (the person closed the input, or pressed Cancel) still applies what was typed before it.
    void decisionsBeforeACancelAreKept()
    {
        InteractiveOracle oracle(QStringLiteral("tester"));
        MemorySink sink;
        std::atomic_bool cancel{false};
        oracle.assign(7, 1); // cleared: decisions from before the batch belong to no batch
        std::thread loop([&] {
            oracle.answer(batchOf({7, 8}), LabelingContext{}, sink, cancel);
        });
        while (!oracle.waiting())
            QThread::msleep(1);
        oracle.assign(8, 1);
        cancel.store(true);
        loop.join();
        QCOMPARE(sink.labels.value(8, -1), 1);
        QVERIFY(!sink.labels.contains(7));
    }
};

QTEST_GUILESS_MAIN(TestInteractiveOracle)
#include "tst_interactiveoracle.moc"
