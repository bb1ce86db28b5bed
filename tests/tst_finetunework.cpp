// Fine-tuning runs end to end through RunJob: backbones from safetensors and TorchScript (built
// here), Fashion-MNIST-shaped IDX data and image folders, the embedding cache, early and green stops.
#include "ConstantPowerSource.h"
#include "FileChecks.h"
#include "TestData.h"
#include "Error.h"
#include "activelearning/ProbeHead.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "models/GwMobileNet.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"
#include "store/ArtifactRepository.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QDir>
#include <QImage>
#include <QJsonArray>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/script.h>
#include <torch/torch.h>

using namespace gw;

class TestFineTuneWork : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString path(const QString &name) const { return dir_.filePath(name); }

    /// A job on a scripted power source, so energy figures do not depend on the machine.
    static RunJob *scriptedJob(const RunConfig &config, const QString &db)
    {
        auto *job = new RunJob(config, db);
        job->setPowerSource(std::make_unique<test::ConstantPowerSource>(20.0, 2.0));
        return job;
    }

    static RunSummary runToEnd(const RunConfig &config, const QString &db, QStringList *notices = nullptr)
    {
        RunJob *job = scriptedJob(config, db);
        JobRunner runner(job);
        QSignalSpy finished(job, &RunJob::finished);
        QSignalSpy noticed(job, &RunJob::noticed);
        runner.start();
        if (!finished.wait(120000))
            return {};
        if (notices)
            for (const QList<QVariant> &args : noticed)
                *notices << args.at(0).toString();
        return finished.at(0).at(0).value<RunSummary>();
    }

    /// A run of @p kind on the band images through the random-weights backbone, one thread.
    RunConfig onBandsWithTheRandomBackbone(const QString &kind, const QString &name) const
    {
        RunConfig c = RunConfig::defaultsFor(kind);
        c.name = name;
        c.dataset.path = path(QStringLiteral("bands"));
        c.model.source = QStringLiteral("safetensors");
        c.model.architecture = QStringLiteral("gw-mobilenet");
        c.model.path = path(QStringLiteral("random-gw.safetensors"));
        c.training.threads = 1;
        c.energy.sampleHz = 20;
        return c;
    }

    RunConfig probeConfig(const QString &name) const
    {
        RunConfig c = onBandsWithTheRandomBackbone(QStringLiteral("finetune"), name);
        c.labels.count = 200;
        c.training.mode = QStringLiteral("linear-probe");
        c.training.probeSolver = QStringLiteral("epochs"); // what the epoch-wise tests (stops, checkpoints) need
        c.training.epochs = 30;
        c.training.batchSize = 32;
        c.training.learningRate = 0.01;
        return c;
    }

private Q_SLOTS:
    void initTestCase()
    {
        test::writeBandDataset(path(QStringLiteral("bands")), 600, 200, 28, 28);
        torch::manual_seed(3);
        GwMobileNet net(1);
        Safetensors::write(path(QStringLiteral("random-gw.safetensors")), stateDictOf(*net),
                           {{"input_size", "1,28,28"}, {"input_mean", "0.2"}, {"input_std", "0.3"}});
    }

    void linearProbeComputesThenReusesTheEmbeddings()
    {
        const QString db = path(QStringLiteral("probe.sqlite"));
        const RunSummary first = runToEnd(probeConfig(QStringLiteral("cold")), db);
        QCOMPARE(first.status, QStringLiteral("completed"));
        QCOMPARE(first.labelsUsed, 200);
        QCOMPARE(first.extra.value(QStringLiteral("embedding_cache")).toString(), QStringLiteral("miss"));
        QCOMPARE(first.extra.value(QStringLiteral("model_source")).toString(), QStringLiteral("safetensors"));
        QVERIFY2(first.accuracy > 0.5, qPrintable(QString::number(first.accuracy))); // ten classes: chance is 0.1
        QVERIFY(first.energyByPhaseKwh.value(QStringLiteral("embed")) > 0);

        const RunSummary second = runToEnd(probeConfig(QStringLiteral("warm")), db);
        QCOMPARE(second.status, QStringLiteral("completed"));
        QCOMPARE(second.extra.value(QStringLiteral("embedding_cache")).toString(), QStringLiteral("hit"));
        QCOMPARE(second.accuracy, first.accuracy); // same features, same seed, same head
        QCOMPARE(second.energyByPhaseKwh.value(QStringLiteral("embed")), 0.0);
        QVERIFY(second.energyKwh < first.energyKwh);
        // The reused embeddings' cost is reported, as spent by the first run.
        QCOMPARE(second.extra.value(QStringLiteral("embedding_computed_by_run")).toDouble(), double(first.runId));
        QVERIFY(second.extra.value(QStringLiteral("embedding_energy_reused_kwh")).toDouble() > 0);
        QVERIFY(std::abs(second.extra.value(QStringLiteral("embedding_energy_reused_kwh")).toDouble() -
                         first.energyByPhaseKwh.value(QStringLiteral("embed"))) < 1e-9);
    }

    void changedWeightsMissTheCache()
    {
        const QString db = path(QStringLiteral("probe.sqlite"));
        torch::manual_seed(4);
        GwMobileNet other(1);
        Safetensors::write(path(QStringLiteral("other-gw.safetensors")), stateDictOf(*other), {});
        RunConfig c = probeConfig(QStringLiteral("other weights"));
        c.model.path = path(QStringLiteral("other-gw.safetensors"));
        const RunSummary s = runToEnd(c, db);
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.extra.value(QStringLiteral("embedding_cache")).toString(), QStringLiteral("miss"));
    }

    void aDamagedCacheFileIsRecomputedAndSaidSo()
    {
        const QString db = path(QStringLiteral("damaged.sqlite"));
        QVERIFY(runToEnd(probeConfig(QStringLiteral("fill")), db).status == QStringLiteral("completed"));
        const QDir cache(path(QStringLiteral("damaged.cache/embeddings")));
        const QStringList files = cache.entryList({QStringLiteral("*.emb")});
        QCOMPARE(files.size(), 2); // train and test
        for (const QString &f : files) {
            QFile file(cache.filePath(f));
            QVERIFY(file.open(QIODevice::ReadWrite));
            file.resize(file.size() / 2); // truncated
        }
        QStringList notices;
        const RunSummary s = runToEnd(probeConfig(QStringLiteral("after damage")), db, &notices);
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.extra.value(QStringLiteral("embedding_cache")).toString(), QStringLiteral("miss"));
        QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral(".emb: damaged embedding cache")), qPrintable(notices.join(QLatin1Char('\n'))));
    }

    void torchScriptModelIsFineTunedOnAnImageFolder()
    {
        QVERIFY(test::writeColourSquareFolder(path(QStringLiteral("squares")), 20, 11));
        // A small scripted network, as torch.jit.script would save it: a conv "backbone" and a head.
        torch::jit::Module backbone("Backbone");
        backbone.register_parameter("weight", torch::randn({8, 3, 3, 3}) * 0.3, false);
        backbone.register_parameter("bias", torch::zeros({8}), false);
        backbone.define(R"JIT(
def forward(self, x):
    return torch.relu(torch.conv2d(x, self.weight, self.bias, [1, 1], [1, 1]))
)JIT");
        torch::jit::Module model("Model");
        model.register_module("backbone", backbone);
        model.register_parameter("head", torch::randn({8, 5}), false);
        model.define(R"JIT(
def forward(self, x):
    return torch.matmul(self.backbone.forward(x).mean([2, 3]), self.head)
)JIT");
        const QString file = path(QStringLiteral("model.pt"));
        model.save(file.toStdString());

        RunConfig c = RunConfig::defaultsFor(QStringLiteral("finetune"));
        c.name = QStringLiteral("torchscript");
        c.dataset.kind = QStringLiteral("image-folder");
        c.dataset.path = path(QStringLiteral("squares"));
        c.model.source = QStringLiteral("torchscript");
        c.model.path = file;
        c.model.featureModule = QStringLiteral("backbone");
        c.model.inputSize = std::array<int, 3>{3, 12, 12};
        c.training.mode = QStringLiteral("finetune-full");
        c.training.epochs = 15;
        c.training.batchSize = 8;
        c.training.learningRate = 0.01;
        c.training.validationFraction = 0;
        c.training.threads = 1;
        c.energy.sampleHz = 20;
        const RunSummary s = runToEnd(c, path(QStringLiteral("ts.sqlite")));
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.extra.value(QStringLiteral("embedding_cache")).toString(), QStringLiteral("none"));
        QCOMPARE(s.labelsUsed, 48); // 60 images, a stratified fifth held out for the test
        QVERIFY2(s.accuracy > 0.8, qPrintable(QString::number(s.accuracy)));

        // The run keeps its model, the imported module included, as TorchScript that stock LibTorch runs.
        {
            const Database store(path(QStringLiteral("ts.sqlite")));
            const std::optional<ArtifactRecord> script = ArtifactRepository(store).find(s.runId, QStringLiteral("model"), QStringLiteral("torchscript"));
            QVERIFY(script.has_value());
            QVERIFY(ArtifactRepository(store).find(s.runId, QStringLiteral("model"), QStringLiteral("safetensors")).has_value());
            torch::jit::Module kept = torch::jit::load(ArtifactRepository::verifiedPath(*script, Database::cacheDirectoryOf(store.path())).toStdString());
            const torch::Tensor logits = kept.forward({torch::rand({4, 3, 12, 12})}).toTensor();
            QCOMPARE(logits.sizes().vec(), (std::vector<std::int64_t>{4, 3}));
        }
        // And a later run starts from it: the fine-tuned module is its backbone.
        RunConfig next = c;
        next.name = QStringLiteral("from the kept model");
        next.model.source = QStringLiteral("run");
        next.model.runId = s.runId;
        next.model.path.clear();
        next.model.featureModule.clear();
        next.training.mode = QStringLiteral("linear-probe");
        next.training.epochs = 30;
        next.training.learningRate = 0.05;
        const RunSummary again = runToEnd(next, path(QStringLiteral("ts.sqlite")));
        QVERIFY2(again.status == QStringLiteral("completed"), qPrintable(again.error));
        QVERIFY2(again.extra.value(QStringLiteral("model_origin")).toString().contains(QStringLiteral("feature module backbone")),
                 qPrintable(again.extra.value(QStringLiteral("model_origin")).toString()));
        QVERIFY2(again.accuracy > 0.8, qPrintable(QString::number(again.accuracy)));
    }

    void theFittedProbeChoosesItsPenaltyByCrossValidation()
    {
        RunConfig c = probeConfig(QStringLiteral("fitted probe"));
        c.training.probeSolver = QStringLiteral("lbfgs");
        QStringList notices;
        const RunSummary s = runToEnd(c, path(QStringLiteral("probe.sqlite")), &notices);
        QVERIFY2(s.status == QStringLiteral("completed"), qPrintable(s.error));
        QCOMPARE(s.extra.value(QStringLiteral("probe_solver")).toString(), QStringLiteral("lbfgs"));
        QVERIFY2(s.accuracy > 0.8, qPrintable(QString::number(s.accuracy)));
        // Every penalty of the grid was tried, and the chosen one is the best in cross-validation (the strongest of the best).
        const QJsonArray tried = s.extra.value(QStringLiteral("probe_penalties")).toArray();
        QCOMPARE(tried.size(), int(ProbeHead::penaltyGrid().size()));
        double best = -1, bestPenalty = 0;
        for (const QJsonValue &t : tried) {
            const double accuracy = t.toObject().value(QStringLiteral("val_accuracy")).toDouble();
            if (accuracy >= best) {
                best = accuracy;
                bestPenalty = t.toObject().value(QStringLiteral("weight_decay")).toDouble();
            }
        }
        QCOMPARE(s.extra.value(QStringLiteral("probe_weight_decay")).toDouble(), bestPenalty);
        QCOMPARE(s.extra.value(QStringLiteral("best_val_accuracy")).toDouble(), best);
        QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral("chosen (")), qPrintable(notices.join(QLatin1Char('\n'))));
        QCOMPARE(s.labelsUsed, 200);

        // Without a validation split the same: the folds are made from every label either way.
        c.training.validationFraction = 0;
        notices.clear();
        const RunSummary folds = runToEnd(c, path(QStringLiteral("probe.sqlite")), &notices);
        QVERIFY2(folds.status == QStringLiteral("completed"), qPrintable(folds.error));
        QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral("3-fold cross-validation")), qPrintable(notices.join(QLatin1Char('\n'))));
        QVERIFY2(folds.accuracy > 0.8, qPrintable(QString::number(folds.accuracy)));
    }

    RunConfig semiSupervisedConfig(const QString &name) const
    {
        RunConfig c = probeConfig(name);
        // A pretrained backbone (the bundled one): FixMatch's pseudo-labels are only as good as
        // the features they come from, and a random backbone's hardly tell these textures apart.
        c.model.source = QStringLiteral("bundled");
        c.model.path.clear();
        c.dataset.path = path(QStringLiteral("textures"));
        c.labels.count = 12; // three per class
        c.training.validationFraction = 0;
        c.training.epochs = 25;
        c.training.batchSize = 12;
        c.training.learningRate = 0.01;
        return c;
    }



    void semiSupervisedTrainingBeatsTheLabelsAlone()
    {
        test::writeTextureDataset(path(QStringLiteral("textures")), 500, 400);
        const QString db = path(QStringLiteral("semi.sqlite"));
        const RunSummary alone = runToEnd(semiSupervisedConfig(QStringLiteral("labels only")), db);
        QVERIFY2(alone.status == QStringLiteral("completed"), qPrintable(alone.error));

        RunConfig c = semiSupervisedConfig(QStringLiteral("fixmatch"));
        c.training.semiRatio = 7;
        c.training.semiThreshold = 0.95;
        const RunSummary semi = runToEnd(c, db);
        QVERIFY2(semi.status == QStringLiteral("completed"), qPrintable(semi.error));
        QCOMPARE(semi.labelsUsed, 12);
        const QJsonObject figures = semi.extra.value(QStringLiteral("semi_supervised")).toObject();
        QVERIFY(figures.value(QStringLiteral("unlabelled_seen")).toDouble() >= 25.0 * 12 * 7);
        QVERIFY(figures.value(QStringLiteral("confident")).toDouble() > 0);
        QVERIFY2(semi.accuracy > alone.accuracy + 0.05,
                 qPrintable(QStringLiteral("labels only %1, semi-supervised %2 (%3 confident, pseudo-labels %4 right)")
                                .arg(alone.accuracy)
                                .arg(semi.accuracy)
                                .arg(figures.value(QStringLiteral("confident")).toDouble())
                                .arg(figures.value(QStringLiteral("pseudo_label_accuracy")).toDouble())));

        // A budget of nothing: the run trains on the labels alone, the same steps as without the option.
        c.training.semiBudgetWh = 0.0;
        QStringList notices;
        const RunSummary spent = runToEnd(c, db, &notices);
        QVERIFY2(spent.status == QStringLiteral("completed"), qPrintable(spent.error));
        QCOMPARE(spent.extra.value(QStringLiteral("semi_supervised_budget_reached_epoch")).toInt(), 1);
        QCOMPARE(spent.extra.value(QStringLiteral("semi_supervised")).toObject().value(QStringLiteral("unlabelled_seen")).toDouble(), 0.0);
        QCOMPARE(spent.accuracy, alone.accuracy);
        QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral("energy budget")), qPrintable(notices.join(QLatin1Char('\n'))));
    }

    RunConfig activeLearningConfig(const QString &name, double noise) const
    {
        RunConfig c = onBandsWithTheRandomBackbone(QStringLiteral("active-learning"), name);
        c.activeLearning.initial = 40;
        c.activeLearning.batch = 40;
        c.activeLearning.budget = 120;
        c.activeLearning.noise = noise;
        c.activeLearning.stop.kappa.reset();
        return c;
    }

    void aFineTuningRunTrainsOnTheLabelsAnActiveLearningRunGathered()
    {
        const QString db = path(QStringLiteral("gathered.sqlite"));
        const RunSummary right = runToEnd(activeLearningConfig(QStringLiteral("al"), 0), db);
        QVERIFY2(right.status == QStringLiteral("completed"), qPrintable(right.error));
        // Every label wrong (another class than the image's): a run that took the dataset's own
        // labels instead would not notice.
        const RunSummary wrong = runToEnd(activeLearningConfig(QStringLiteral("al, every label wrong"), 1.0), db);
        QVERIFY2(wrong.status == QStringLiteral("completed"), qPrintable(wrong.error));

        // What the window's "Fine-tune on its labels…" starts from: the same data and backbone, the fitted probe.
        RunConfig c = RunConfig::fineTuningOnLabelsOf(activeLearningConfig(QStringLiteral("al"), 0), right.runId);
        QCOMPARE(c.kind, QStringLiteral("finetune"));
        QCOMPARE(c.model.path, path(QStringLiteral("random-gw.safetensors")));
        QCOMPARE(c.training.probeSolver, QStringLiteral("lbfgs"));
        QStringList notices;
        const RunSummary onRight = runToEnd(c, db, &notices);
        QVERIFY2(onRight.status == QStringLiteral("completed"), qPrintable(onRight.error));
        QCOMPARE(onRight.labelsUsed, 120);
        QCOMPARE(onRight.extra.value(QStringLiteral("labels_of_run")).toDouble(), double(right.runId));
        QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral("the 120 labels run %1 gathered").arg(right.runId)), qPrintable(notices.join(QLatin1Char('\n'))));
        QVERIFY2(onRight.accuracy > 0.8, qPrintable(QString::number(onRight.accuracy)));

        c.labels.runId = wrong.runId;
        const RunSummary onWrong = runToEnd(c, db);
        QVERIFY2(onWrong.status == QStringLiteral("completed"), qPrintable(onWrong.error));
        QCOMPARE(onWrong.labelsUsed, 120);
        QVERIFY2(onWrong.accuracy < 0.3, qPrintable(QString::number(onWrong.accuracy)));

        // A run with no labels (this one is a fine-tuning run) is named; labels.count cannot choose among them.
        c.labels.runId = onRight.runId;
        const RunSummary none = runToEnd(c, db);
        QCOMPARE(none.status, QStringLiteral("failed"));
        QVERIFY2(none.error.contains(QStringLiteral("run %1 has no labels").arg(onRight.runId)), qPrintable(none.error));
        c.labels.runId = right.runId;
        c.labels.count = 50;
        try {
            RunConfig::fromJsonText(c.toJsonText(), QStringLiteral("counted.json"));
            QFAIL("labels.count beside labels.run_id was accepted");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("labels.count")) && e.message().contains(QStringLiteral("counted.json")), qPrintable(e.message()));
        }
    }

    // The test set is evaluated once, on the weights the run keeps, unless a curve of it is asked
    // for: the same result, the test set's passes saved in every other epoch.
    void theTestSetIsEvaluatedOnceOnTheWeightsKeptUnlessEachEpochIsAsked()
    {
        const QString db = path(QStringLiteral("tested.sqlite"));
        const auto testedEpochs = [&db](qint64 runId) {
            Database store(db);
            int tested = 0, validated = 0;
            for (const MetricPoint &m : RunRepository(store).metrics(runId)) {
                tested += m.name == QStringLiteral("test_accuracy");
                validated += m.name == QStringLiteral("val_accuracy");
            }
            return std::make_pair(tested, validated);
        };
        RunConfig c = probeConfig(QStringLiteral("tested once"));
        c.training.epochs = 8;
        const RunSummary once = runToEnd(c, db);
        QVERIFY2(once.status == QStringLiteral("completed"), qPrintable(once.error));
        QCOMPARE(testedEpochs(once.runId), std::make_pair(0, 8));
        QVERIFY2(once.accuracy > 0.5, qPrintable(QString::number(once.accuracy)));

        c.name = QStringLiteral("tested each epoch");
        c.training.testEachEpoch = true;
        const RunSummary each = runToEnd(c, db);
        QVERIFY2(each.status == QStringLiteral("completed"), qPrintable(each.error));
        QCOMPARE(testedEpochs(each.runId), std::make_pair(8, 8));
        QCOMPARE(each.accuracy, once.accuracy); // the best validation epoch's weights either way
    }

    // Fine-tuning everything moves the batch norms' running statistics too: the model kept is the
    // best validation epoch's weights with that epoch's statistics, so its test accuracy is the
    // one that epoch measured.
    void fineTuningEverythingKeepsTheBestEpochsStatisticsWithItsWeights()
    {
        const QString db = path(QStringLiteral("full.sqlite"));
        if (!QFileInfo::exists(path(QStringLiteral("textures"))))
            test::writeTextureDataset(path(QStringLiteral("textures")), 500, 400);
        RunConfig c = probeConfig(QStringLiteral("full"));
        c.dataset.path = path(QStringLiteral("textures")); // hard enough that the test accuracy moves from epoch to epoch
        c.labels.count = 100;
        c.training.mode = QStringLiteral("finetune-full");
        c.training.epochs = 16;
        c.training.learningRate = 0.02; // large steps: the validation accuracy peaks and falls back
        c.training.testEachEpoch = true;
        const RunSummary s = runToEnd(c, db);
        QVERIFY2(s.status == QStringLiteral("completed"), qPrintable(s.error));
        Database store(db);
        std::map<int, double> validation, test;
        for (const MetricPoint &m : RunRepository(store).metrics(s.runId)) {
            if (m.name == QStringLiteral("val_accuracy"))
                validation[int(m.step)] = m.value;
            if (m.name == QStringLiteral("test_accuracy"))
                test[int(m.step)] = m.value;
        }
        QCOMPARE(int(validation.size()), 16);
        int best = 0;
        for (const auto &[epoch, accuracy] : validation)
            if (best == 0 || accuracy > validation[best])
                best = epoch;
        QVERIFY2(best < 16, qPrintable(QStringLiteral("the best epoch is the last: nothing to restore (%1)").arg(validation[best])));
        QVERIFY2(test.at(best) != test.at(16), "the kept epoch and the last test alike: the statistics would not show");
        QCOMPARE(s.accuracy, test.at(best));
    }

    void greenStopEndsARunThatNoLongerPaysForItsEnergy()
    {
        RunConfig c = probeConfig(QStringLiteral("green stop"));
        c.training.epochs = 50;
        c.training.greenStopMinGainPerWh = 1e9; // no gain is worth a watt-hour here
        c.training.greenStopEpochs = 2;
        const RunSummary s = runToEnd(c, path(QStringLiteral("probe.sqlite")));
        QCOMPARE(s.status, QStringLiteral("converged_green"));
        Database store(path(QStringLiteral("probe.sqlite")));
        int epochs = 0;
        for (const MetricPoint &m : RunRepository(store).metrics(s.runId))
            epochs += m.name == QStringLiteral("val_accuracy");
        QCOMPARE(epochs, 3); // stopped after k + 1 epochs
    }

    void aStoppedRunResumesFromItsCheckpoint()
    {
        const QString db = path(QStringLiteral("resume.sqlite"));
        RunConfig c = probeConfig(QStringLiteral("resumable"));
        c.training.epochs = 6;
        c.training.patience = 0;
        qint64 firstId = 0;
        {
            // Stopped after its second epoch, as a kill would stop it (the checkpoint is what matters).
            RunJob *job = scriptedJob(c, db);
            JobRunner runner(job);
            QObject::connect(job, &RunJob::stepFinished, job, [job](const QVariantMap &e) {
                if (e.value(QStringLiteral("step")).toInt() == 2)
                    job->cancel();
            }, Qt::DirectConnection);
            QSignalSpy finished(job, &RunJob::finished);
            runner.start();
            QVERIFY(finished.wait(60000));
            const RunSummary s = finished.at(0).at(0).value<RunSummary>();
            QCOMPARE(s.status, QStringLiteral("cancelled"));
            firstId = s.runId;
        }
        QVERIFY(QFile::exists(path(QStringLiteral("resume.cache/checkpoints/run-%1.pt").arg(firstId))));

        RunJob *job = scriptedJob(c, db);
        job->setResumeFrom(firstId);
        JobRunner runner(job);
        QSignalSpy finished(job, &RunJob::finished);
        QSignalSpy epochs(job, &RunJob::stepFinished);
        runner.start();
        QVERIFY(finished.wait(60000));
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QVERIFY2(s.status == QStringLiteral("completed"), qPrintable(s.error));
        QCOMPARE(s.extra.value(QStringLiteral("resumed_from_run")).toDouble(), double(firstId));
        QCOMPARE(epochs.count(), 4); // epochs 3 to 6
        QCOMPARE(epochs.first().at(0).toMap().value(QStringLiteral("step")).toInt(), 3);
        QVERIFY(s.accuracy > 0.5);
    }

    // A run killed before its first epoch ended left no checkpoint: resumed, it starts over and says so.
    void resumingWithoutACheckpointStartsOver()
    {
        RunConfig c = probeConfig(QStringLiteral("no checkpoint"));
        c.training.epochs = 2;
        RunJob *job = scriptedJob(c, path(QStringLiteral("resume.sqlite")));
        job->setResumeFrom(9999);
        JobRunner runner(job);
        QSignalSpy finished(job, &RunJob::finished);
        QSignalSpy noticed(job, &RunJob::noticed);
        QSignalSpy epochs(job, &RunJob::stepFinished);
        runner.start();
        QVERIFY(finished.wait(60000));
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QVERIFY2(s.status == QStringLiteral("completed"), qPrintable(s.error));
        QCOMPARE(epochs.count(), 2);
        bool said = false;
        for (const QList<QVariant> &args : noticed)
            said = said || args.at(0).toString().contains(QStringLiteral("run-9999.pt: no checkpoint"));
        QVERIFY(said);
    }

    // A checkpoint that cannot be written fails the run with the file's name and the system's
    // reason; LibTorch's own writer would have thrown from a destructor and ended the process.
    void aCheckpointThatCannotBeWrittenFailsTheRunCleanly_data()
    {
        QTest::addColumn<QString>("obstacle");
        QTest::newRow("a folder in its place") << QStringLiteral("folder");
        QTest::newRow("a full disk") << QStringLiteral("full");
    }

    void aCheckpointThatCannotBeWrittenFailsTheRunCleanly()
    {
        QFETCH(QString, obstacle);
        const QString db = path(QStringLiteral("ckpt-%1.sqlite").arg(obstacle));
        const QString checkpoints = path(QStringLiteral("ckpt-%1.cache/checkpoints").arg(obstacle));
        RunConfig c = probeConfig(QStringLiteral("checkpoint"));
        c.training.mode = QStringLiteral("finetune-full");
        c.training.epochs = 2;
        RunSummary s;
        if (obstacle == QStringLiteral("folder")) {
            QVERIFY(QDir().mkpath(checkpoints + QStringLiteral("/run-1.pt")));
            s = runToEnd(c, db);
        } else {
            // Files may not grow past 1 MiB while the run writes: the store (created first) fits, the checkpoint does not.
            { Database store(db); }
            const test::FileSizeLimit limit(1024 * 1024);
            s = runToEnd(c, db);
        }
        QCOMPARE(s.status, QStringLiteral("failed"));
        QVERIFY2(s.error.contains(QStringLiteral("run-1.pt")) && s.error.contains(QStringLiteral("checkpoint")), qPrintable(s.error));
        const QStringList left = QDir(checkpoints).entryList(QDir::Files | QDir::Hidden);
        QVERIFY2(left.isEmpty(), qPrintable(left.join(QLatin1Char(','))));
    }

    void classesTooSmallForATestSetAreNamed()
    {
        const QString folder = path(QStringLiteral("singletons"));
        QVERIFY(test::writeColourSquareFolder(folder, 1, 3));
        RunConfig c = probeConfig(QStringLiteral("singletons"));
        c.dataset.kind = QStringLiteral("image-folder");
        c.dataset.path = folder;
        c.labels.count = 0;
        const RunSummary s = runToEnd(c, path(QStringLiteral("singletons.sqlite")));
        QCOMPARE(s.status, QStringLiteral("failed"));
        QVERIFY2(s.error.contains(folder) && s.error.contains(QStringLiteral("too few images to hold out a test set")), qPrintable(s.error));
    }

    void badModelFilesFailTheRunNamingTheFile_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::addColumn<QString>("expected");
        QTest::newRow("truncated") << QByteArray("\x40\x00\x00\x00\x00\x00\x00\x00{\"a\":", 13) << QStringLiteral("bad.safetensors");
        QTest::newRow("not safetensors") << QByteArray("PK\x03\x04 a zip perhaps") << QStringLiteral("bad.safetensors");
    }

    void badModelFilesFailTheRunNamingTheFile()
    {
        QFETCH(QByteArray, bytes);
        QFETCH(QString, expected);
        test::writeBytes(path(QStringLiteral("bad.safetensors")), bytes);
        RunConfig c = probeConfig(QStringLiteral("bad"));
        c.model.path = path(QStringLiteral("bad.safetensors"));
        const RunSummary s = runToEnd(c, path(QStringLiteral("bad.sqlite")));
        QCOMPARE(s.status, QStringLiteral("failed"));
        QVERIFY2(s.error.contains(expected), qPrintable(s.error));
    }

    void aMissingTensorIsNamed()
    {
        torch::manual_seed(5);
        GwMobileNet net(1);
        NamedTensors tensors = stateDictOf(*net);
        tensors.erase(std::remove_if(tensors.begin(), tensors.end(), [](const auto &t) { return t.first == "blocks.4.pw.weight"; }), tensors.end());
        Safetensors::write(path(QStringLiteral("partial.safetensors")), tensors, {});
        RunConfig c = probeConfig(QStringLiteral("partial"));
        c.model.path = path(QStringLiteral("partial.safetensors"));
        const RunSummary s = runToEnd(c, path(QStringLiteral("bad.sqlite")));
        QCOMPARE(s.status, QStringLiteral("failed"));
        QVERIFY2(s.error.contains(QStringLiteral("partial.safetensors")) && s.error.contains(QStringLiteral("blocks.4.pw.weight")), qPrintable(s.error));
    }
};

QTEST_MAIN(TestFineTuneWork)
#include "tst_finetunework.moc"
