// Resumable pretraining: a pretraining stopped after an epoch and resumed from its checkpoint
// takes exactly the steps the uninterrupted one takes (weights, optimizer moments, the schedule's
// step and the augmentations' generator all come back); a checkpoint that is not one, or is of
// another recipe, is refused by name.
#include "Error.h"
#include "TestData.h"
#include "data/FashionMnist.h"
#include "models/GwMobileNet.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"
#include "models/TorchRuntime.h"
#include "training/ContrastivePretrainer.h"

#include <QTemporaryDir>
#include <QtTest>
#include <torch/torch.h>

using namespace gw;

class TestPretrainCheckpoint : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    ImageDataset images_;

    QString path(const char *name) const { return dir_.filePath(QLatin1String(name)); }

    static PretrainParams recipe()
    {
        PretrainParams p;
        p.epochs = 3;
        p.batchSize = 16;
        p.projectionDim = 16;
        p.seed = 4;
        return p;
    }

private Q_SLOTS:
    void initTestCase()
    {
        TorchRuntime::prepareForWork(1); // the same sums in the same order: equal weights, not merely close
        gw::test::writeBandDataset(path("bands"), 48, 8);
        images_ = FashionMnist::load(path("bands"), FashionMnist::Split::Train);
    }

    void aResumedPretrainingEqualsAnUninterruptedOne()
    {
        std::atomic_bool never{false};
        ContrastivePretrainer whole(recipe());
        whole.setCheckpoints(path("whole.pt"), QString());
        const PretrainOutcome all = whole.train(images_, never);
        whole.save(path("whole.safetensors"), {});

        // Stopped after its first epoch (as a kill between epochs would), then resumed.
        std::atomic_bool stop{false};
        ContrastivePretrainer first(recipe());
        first.setCheckpoints(path("part.pt"), QString());
        const PretrainOutcome part = first.train(images_, stop, {}, [&stop](int epoch, double) { stop = epoch == 1; });
        QVERIFY(part.cancelled);
        ContrastivePretrainer rest(recipe());
        rest.setCheckpoints(path("rest.pt"), path("part.pt"));
        const PretrainOutcome resumed = rest.train(images_, never);
        QCOMPARE(rest.resumedAfterEpoch(), 1);
        QVERIFY(!resumed.cancelled);
        rest.save(path("rest.safetensors"), {});

        QCOMPARE(resumed.epochLoss, all.epochLoss);
        const auto a = Safetensors::read(path("whole.safetensors")).tensors, b = Safetensors::read(path("rest.safetensors")).tensors;
        QCOMPARE(a.size(), b.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            QCOMPARE(a[i].first, b[i].first);
            QVERIFY2(torch::equal(a[i].second, b[i].second), a[i].first.c_str());
        }
    }

    void aContinuedPretrainingStartsFromTheGivenWeights()
    {
        std::atomic_bool never{false};
        torch::manual_seed(9);
        GwMobileNet start(1);
        const NamedTensors weights = stateDictOf(*start);
        // A learning rate too small to move anything: the result is the start, not a random network.
        PretrainParams still = recipe();
        still.epochs = 1;
        still.learningRate = 1e-12;
        ContrastivePretrainer continued(still);
        continued.setInitialWeights(weights, QStringLiteral("start.safetensors"));
        continued.train(images_, never);
        continued.save(path("continued.safetensors"), {});
        const NamedTensors after = Safetensors::read(path("continued.safetensors")).tensors;
        QCOMPARE(after.size(), weights.size());
        for (std::size_t i = 0; i < after.size(); ++i)
            if (after[i].first.find("running_") == std::string::npos && after[i].first.find("num_batches") == std::string::npos) // batch norm's statistics do move
                QVERIFY2(torch::allclose(after[i].second, weights[i].second, 0, 1e-6), after[i].first.c_str());

        // Weights that do not fit the backbone are refused by the name given, before any step.
        ContrastivePretrainer wrong(still);
        wrong.setInitialWeights({{"conv1.weight", torch::zeros({4, 1, 3, 3})}}, QStringLiteral("resnet.safetensors"));
        try {
            wrong.train(images_, never);
            QFAIL("weights of another network were taken");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("resnet.safetensors")), qPrintable(e.message()));
        }
    }

    void badCheckpointsAreNamed()
    {
        std::atomic_bool never{false};
        gw::test::writeBytes(path("garbage.pt"), "not a checkpoint at all");
        ContrastivePretrainer garbage(recipe());
        garbage.setCheckpoints(QString(), path("garbage.pt"));
        try {
            garbage.train(images_, never);
            QFAIL("a garbage checkpoint was taken");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(path("garbage.pt")) && e.message().contains(QStringLiteral("not a pretraining checkpoint")), qPrintable(e.message()));
        }
        PretrainParams other = recipe();
        other.batchSize = 8;
        ContrastivePretrainer another(other);
        another.setCheckpoints(QString(), path("part.pt"));
        try {
            another.train(images_, never);
            QFAIL("a checkpoint of another recipe was taken");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("another recipe")), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestPretrainCheckpoint)
#include "tst_pretraincheckpoint.moc"
