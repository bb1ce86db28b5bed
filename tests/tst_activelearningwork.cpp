// The active-learning loop end to end through RunJob on a small learnable IDX dataset and a
// random-weights backbone: every strategy, every stopping rule, the noisy oracle, label import,
// and what is stored per round.
#include "ConstantPowerSource.h"
#include "ScriptedRun.h"
#include "TestData.h"
#include "activelearning/InteractiveOracle.h"
#include "activelearning/LabelTransfer.h"
#include "data/FashionMnist.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "store/Database.h"
#include "store/LabelRepository.h"
#include "store/RoundRepository.h"

#include <QFileInfo>
#include <QImage>
#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestActiveLearningWork : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString path(const QString &name) const { return dir_.filePath(name); }
    QString store() const { return path(QStringLiteral("store.sqlite")); }

    RunConfig config(const QString &strategy) const
    {
        RunConfig c = RunConfig::defaultsFor(QStringLiteral("active-learning"));
        c.name = QStringLiteral("al-") + strategy;
        c.dataset.path = path(QStringLiteral("bands"));
        c.model.source = QStringLiteral("scratch"); // random weights: no file needed, features still separate bands
        c.training.mode = QStringLiteral("linear-probe");
        c.training.threads = 1;
        c.energy.sampleHz = 20;
        c.activeLearning.enabled = true;
        c.activeLearning.strategy = strategy;
        c.activeLearning.initial = 10;
        c.activeLearning.batch = 10;
        c.activeLearning.budget = 40;
        c.activeLearning.mcPasses = 5;
        c.activeLearning.stop.kappa.reset();
        return c;
    }

    RunSummary run(const RunConfig &config) { return test::runScripted(config, store()); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        test::writeBandDataset(path(QStringLiteral("bands")), 300, 100);
    }

    void marginReachesItsBudgetAndStoresEveryRound()
    {
        const RunSummary s = run(config(QStringLiteral("margin")));
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.labelsUsed, 40);
        QVERIFY(s.accuracy > 0.3); // ten bands: chance is 0.1
        QCOMPARE(s.extra.value(QStringLiteral("strategy")).toString(), QStringLiteral("margin"));
        QCOMPARE(s.extra.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("label_budget"));
        QCOMPARE(s.extra.value(QStringLiteral("labels_given")).toInt(), 40);
        const QJsonObject json = s.toJson();
        for (const char *key : {"labels_used", "rounds", "accuracy", "emissions_g", "strategy"})
            QVERIFY2(json.contains(QLatin1String(key)), key);
        // Round 0 picks the first labels; rounds 1-3 train, score and query; round 4 trains on all 40 and stops.
        const QJsonArray roundsJson = json.value(QStringLiteral("rounds")).toArray();
        QCOMPARE(roundsJson.size(), 5);

        Database db(store());
        const std::vector<RoundRecord> rounds = RoundRepository(db).rounds(s.runId);
        QCOMPARE(rounds.size(), std::size_t(5));
        for (int r = 1; r < 5; ++r) {
            QCOMPARE(rounds[std::size_t(r)].round, r);
            QCOMPARE(rounds[std::size_t(r)].labels, qint64(10 * r));
            QVERIFY(rounds[std::size_t(r)].testAccuracy.has_value());
            QVERIFY(rounds[std::size_t(r)].valAccuracy.has_value()); // 5 folds of >= 2 labels
            QVERIFY(rounds[std::size_t(r)].trainEnergyJ > 0);
            QVERIFY(rounds[std::size_t(r)].emissionsG >= rounds[std::size_t(r - 1)].emissionsG);
        }
        QVERIFY(rounds[2].kappa.has_value());
        QVERIFY(rounds[1].queryEnergyJ > 0 && rounds[1].queryS > 0);
        const std::vector<LabelRecord> labels = LabelRepository(db).history(s.runId);
        QCOMPARE(labels.size(), std::size_t(40));
        QSet<qint64> distinct;
        for (const LabelRecord &l : labels) {
            distinct.insert(l.sampleIndex);
            QCOMPARE(l.annotator, QStringLiteral("simulated"));
            QVERIFY(l.sampleKey.startsWith(QStringLiteral("Fashion-MNIST train/")));
        }
        QCOMPARE(distinct.size(), 40); // nobody is asked twice
        // Margin queries carry the model's guess; round 0's have none.
        const std::vector<QueryRecord> queries = RoundRepository(db).queries(s.runId);
        QCOMPARE(queries.size(), std::size_t(40));
        QVERIFY(!queries.front().predicted.has_value());
        QVERIFY(queries.back().predicted.has_value());
    }

    void everyStrategyRunsTheLoop_data()
    {
        QTest::addColumn<QString>("strategy");
        for (const char *name : {"random", "least-confidence", "entropy", "bald", "core-set", "badge", "cold-start"})
            QTest::newRow(name) << QString::fromLatin1(name);
    }
    void everyStrategyRunsTheLoop()
    {
        QFETCH(QString, strategy);
        RunConfig c = config(strategy);
        c.activeLearning.budget = 30;
        c.activeLearning.classBalanced = strategy == QStringLiteral("entropy");
        const RunSummary s = run(c);
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.labelsUsed, 30);
    }

    void sameSeedPicksTheSameLabels()
    {
        const RunSummary a = run(config(QStringLiteral("entropy")));
        const RunSummary b = run(config(QStringLiteral("entropy")));
        Database db(store());
        const auto order = [&db](qint64 run) {
            QList<qint64> samples;
            for (const LabelRecord &l : LabelRepository(db).history(run))
                samples << l.sampleIndex;
            return samples;
        };
        QCOMPARE(order(a.runId), order(b.runId));
    }

    void stablePredictionsStop()
    {
        RunConfig c = config(QStringLiteral("margin"));
        c.activeLearning.stop.kappa = -1.0; // any agreement counts
        c.activeLearning.stop.kappaRounds = 1;
        const RunSummary s = run(c);
        QCOMPARE(s.extra.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("stable_predictions"));
        QCOMPARE(s.labelsUsed, 20); // round 2 is the first with a kappa
        QCOMPARE(s.status, QStringLiteral("completed"));
    }

    void targetAccuracyStops()
    {
        RunConfig c = config(QStringLiteral("margin"));
        c.activeLearning.stop.targetAccuracy = 0.0;
        const RunSummary s = run(c);
        QCOMPARE(s.extra.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("target_accuracy"));
        QCOMPARE(s.labelsUsed, 10);
    }

    void carbonBudgetStops()
    {
        RunConfig c = config(QStringLiteral("margin"));
        c.activeLearning.stop.emissionsG = 1e-12;
        const RunSummary s = run(c);
        QCOMPARE(s.extra.value(QStringLiteral("stop_reason")).toString(), QStringLiteral("carbon_budget"));
        QCOMPARE(s.status, QStringLiteral("budget_reached"));
        QCOMPARE(s.labelsUsed, 10);
    }

    void noisyOracleGivesWrongLabels()
    {
        RunConfig c = config(QStringLiteral("random"));
        c.activeLearning.noise = 1.0;
        c.activeLearning.budget = 20;
        const RunSummary s = run(c);
        QCOMPARE(s.status, QStringLiteral("completed"));
        const ImageDataset truth = FashionMnist::load(path(QStringLiteral("bands")), FashionMnist::Split::Train);
        Database db(store());
        const std::vector<LabelRecord> labels = LabelRepository(db).history(s.runId);
        QCOMPARE(labels.size(), std::size_t(20));
        for (const LabelRecord &l : labels) {
            QVERIFY(l.label != truth.labels[std::size_t(l.sampleIndex)]);
            QVERIFY(l.label >= 0 && l.label < 10);
            QVERIFY(l.annotator.contains(QStringLiteral("noise")));
        }
    }

    void importedLabelsAreNotAskedAgain()
    {
        const RunSummary first = run(config(QStringLiteral("margin")));
        Database db(store());
        const QMap<qint64, LabelRecord> given = LabelRepository(db).current(first.runId);
        const QString file = path(QStringLiteral("exported.csv"));
        test::writeBytes(file, LabelTransfer::write(std::vector<LabelRecord>(given.cbegin(), given.cend()), {}, QStringLiteral("csv")));

        RunConfig c = config(QStringLiteral("margin"));
        c.activeLearning.importLabels = file;
        c.activeLearning.budget = 60;
        const RunSummary second = run(c);
        QCOMPARE(second.status, QStringLiteral("completed"));
        QCOMPARE(second.extra.value(QStringLiteral("labels_imported")).toInt(), 40);
        QCOMPARE(second.labelsUsed, 60);
        QCOMPARE(second.extra.value(QStringLiteral("labels_given")).toInt(), 20); // only the new ones were asked
        int imported = 0;
        for (const LabelRecord &l : LabelRepository(db).history(second.runId)) {
            if (l.origin == QStringLiteral("imported")) {
                ++imported;
                QCOMPARE(l.label, given.value(l.sampleIndex).label);
            } else {
                QVERIFY2(!given.contains(l.sampleIndex), "a sample labelled in the first experiment was asked again");
            }
        }
        QCOMPARE(imported, 40);
    }

    void imageFolderWithAPersonAnswering()
    {
        QVERIFY(test::writeColourSquareFolder(path(QStringLiteral("squares")), 12, 5));
        RunConfig c = config(QStringLiteral("margin"));
        c.dataset.kind = QStringLiteral("image-folder");
        c.dataset.path = path(QStringLiteral("squares"));
        c.activeLearning.oracle = QStringLiteral("human");
        c.activeLearning.initial = 4;
        c.activeLearning.batch = 4;
        c.activeLearning.budget = 8;
        // A "person" on the loop's thread: checks what it is shown and answers by the folder name.
        InteractiveOracle person(QStringLiteral("reviewer"));
        const QStringList folders{QStringLiteral("blue"), QStringLiteral("green"), QStringLiteral("red")}; // ImageFolder sorts classes
        QStringList problems;
        int batches = 0;
        connect(&person, &InteractiveOracle::batchRequested, this, [&](const QVariantList &items, const QVariantMap &status) {
            ++batches;
            if (status.value(QStringLiteral("class_names")).toStringList() != folders)
                problems << QStringLiteral("class names %1").arg(status.value(QStringLiteral("class_names")).toStringList().join(QLatin1Char(',')));
            for (const QVariant &v : items) {
                const QVariantMap item = v.toMap();
                const QImage image = item.value(QStringLiteral("image")).value<QImage>();
                const QString key = item.value(QStringLiteral("sample_key")).toString();
                if (image.isNull() || image.isGrayscale())
                    problems << QStringLiteral("no colour image for %1").arg(key);
                person.assign(item.value(QStringLiteral("sample_index")).toLongLong(), int(folders.indexOf(key.section(QLatin1Char('/'), -2, -2))));
            }
            person.submit();
        }, Qt::DirectConnection);
        auto *job = new RunJob(c, store());
        job->setPowerSource(std::make_unique<test::ConstantPowerSource>(20.0, 2.0));
        job->attach(InteractiveOracle::attachmentName(), &person);
        JobRunner runner(job);
        QSignalSpy finished(job, &RunJob::finished);
        QSignalSpy waiting(job, &RunJob::waitingChanged);
        QSignalSpy progressed(job, &RunJob::progressed);
        runner.start();
        QVERIFY(finished.wait(120000));
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QStringLiteral("; "))));
        QCOMPARE(s.status, QStringLiteral("completed"));
        QCOMPARE(s.labelsUsed, 8);
        QCOMPARE(batches, 2);
        // Each wait for the person is said as such, at once.
        QCOMPARE(waiting.count(), 4); // two batches: begins and ends
        bool said = false;
        for (const QList<QVariant> &p : progressed)
            said = said || p.at(1).toString().startsWith(QStringLiteral("round 0: waiting for your labels (4 images to label"));
        QVERIFY(said);
        Database db(store());
        for (const LabelRecord &l : LabelRepository(db).history(s.runId)) {
            QVERIFY(QFileInfo(l.sampleKey).isAbsolute() && l.sampleKey.endsWith(QStringLiteral(".png")));
            QCOMPARE(l.annotator, QStringLiteral("reviewer"));
        }
    }

    void humanOracleWithNobodyThereFails()
    {
        RunConfig c = config(QStringLiteral("margin"));
        c.activeLearning.oracle = QStringLiteral("human");
        const RunSummary s = run(c);
        QCOMPARE(s.status, QStringLiteral("failed"));
        QVERIFY2(s.error.contains(QStringLiteral("nobody is there to answer")), qPrintable(s.error));
    }

    void importOfABrokenFileFailsNamingIt()
    {
        const QString file = path(QStringLiteral("broken.json"));
        test::writeBytes(file, "{\"format\": \"green-workbench-labels\", \"labels\": [");
        RunConfig c = config(QStringLiteral("margin"));
        c.activeLearning.importLabels = file;
        const RunSummary s = run(c);
        QCOMPARE(s.status, QStringLiteral("failed"));
        QVERIFY2(s.error.contains(file) && s.error.contains(QStringLiteral("malformed JSON")), qPrintable(s.error));
    }
};

QTEST_GUILESS_MAIN(TestActiveLearningWork)
#include "tst_activelearningwork.moc"
