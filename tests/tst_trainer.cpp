#include "Error.h"
#include "TestData.h"
#include "data/FashionMnist.h"
#include "training/Trainer.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestTrainer : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    ImageDataset train_, test_;

    static TrainingParams params(int epochs)
    {
        TrainingParams p;
        p.epochs = epochs;
        p.batchSize = 32;
        p.learningRate = 3e-3;
        p.threads = 1;
        p.seed = 3;
        return p;
    }

private Q_SLOTS:
    void initTestCase()
    {
        // 12x12 images keep this fast; the bright band says the class.
        test::writeBandDataset(dir_.path(), 600, 200, 12, 12);
        train_ = FashionMnist::load(dir_.path(), FashionMnist::Split::Train);
        test_ = FashionMnist::load(dir_.path(), FashionMnist::Split::Test);
    }

    void learnsATinySyntheticTask()
    {
        std::atomic_bool cancel{false};
        std::vector<EpochResult> seen;
        std::int64_t lastDone = 0;
        int progressCalls = 0;
        std::vector<double> epochEndFractions;
        const TrainingOutcome outcome = Trainer(params(3)).train(
            train_, test_, cancel,
            [&](const TrainingProgress &p) {
                QVERIFY(p.samplesDone > lastDone);
                lastDone = p.samplesDone;
                ++progressCalls;
                if (p.samplesDone % 600 == 0)
                    epochEndFractions.push_back(p.fraction());
            },
            [&](const EpochResult &e) { seen.push_back(e); });
        QVERIFY(!outcome.cancelled);
        QCOMPARE(outcome.epochs.size(), std::size_t(3));
        QCOMPARE(seen.size(), std::size_t(3));
        QCOMPARE(outcome.samplesSeen, std::int64_t(3 * 600));
        QCOMPARE(progressCalls, 3 * 19); // ceil(600 / 32) batches per epoch
        // The fraction done counts each epoch's evaluation (200 test samples at a third of a
        // training sample each): the last batch of training is not yet the end of the run.
        const double epochWork = 600 + 200 / 3.0;
        QCOMPARE(epochEndFractions.size(), std::size_t(3));
        QCOMPARE(epochEndFractions[0], 600 / (3 * epochWork));
        QCOMPARE(epochEndFractions[2], (2 * epochWork + 600) / (3 * epochWork));
        QVERIFY2(outcome.testAccuracy > 0.9, qPrintable(QString::number(outcome.testAccuracy)));
        QVERIFY(seen.back().trainLoss < seen.front().trainLoss);
    }

    void sameSeedSameNumbers()
    {
        std::atomic_bool cancel{false};
        const TrainingOutcome a = Trainer(params(1)).train(train_, test_, cancel);
        const TrainingOutcome b = Trainer(params(1)).train(train_, test_, cancel);
        QCOMPARE(a.epochs[0].trainLoss, b.epochs[0].trainLoss);
        QCOMPARE(a.testAccuracy, b.testAccuracy);
    }

    void cancelStopsWithinOneBatch()
    {
        std::atomic_bool cancel{false};
        int batches = 0;
        const TrainingOutcome outcome = Trainer(params(50)).train(train_, test_, cancel, [&](const TrainingProgress &) {
            if (++batches == 3)
                cancel.store(true);
        });
        QVERIFY(outcome.cancelled);
        QCOMPARE(batches, 3);
        QCOMPARE(outcome.samplesSeen, std::int64_t(3 * 32));
        QVERIFY(outcome.epochs.empty());
    }

    void rejectsUnusableInput()
    {
        std::atomic_bool cancel{false};
        ImageDataset odd = train_;
        odd.rows = 6; // not a multiple of 4
        odd.cols = 24;
        QVERIFY_THROWS_EXCEPTION(Error, Trainer(params(1)).train(odd, test_, cancel));
        QVERIFY_THROWS_EXCEPTION(Error, Trainer(params(1)).train(ImageDataset(), test_, cancel));
        TrainingParams bad = params(1);
        bad.batchSize = 0;
        QVERIFY_THROWS_EXCEPTION(Error, Trainer{bad});
    }
};

QTEST_GUILESS_MAIN(TestTrainer)
#include "tst_trainer.moc"
