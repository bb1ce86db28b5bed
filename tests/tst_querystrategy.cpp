// Query strategies on small crafted pools where the right pick is known.
#include "Error.h"
#include "activelearning/QueryStrategy.h"

#include <QtTest>
#include <set>
#include <torch/torch.h>

using namespace gw;

class TestQueryStrategy : public QObject {
    Q_OBJECT
private:
    static torch::Tensor probabilities(const std::vector<std::vector<double>> &rows)
    {
        std::vector<double> flat;
        for (const auto &r : rows)
            flat.insert(flat.end(), r.begin(), r.end());
        return torch::tensor(flat, torch::kFloat64).view({std::int64_t(rows.size()), std::int64_t(rows.front().size())});
    }

    static std::vector<std::int64_t> pick(const QString &strategy, const QueryPool &pool, std::int64_t batch, bool balanced = false)
    {
        QueryOptions options;
        options.batch = batch;
        options.classBalanced = balanced;
        return QueryStrategy::create(strategy)->select(pool, options);
    }

private Q_SLOTS:
    void uncertaintyStrategiesPickTheKnownSample_data()
    {
        QTest::addColumn<QString>("strategy");
        QTest::addColumn<qint64>("expected");
        // 0: sure; 1: two classes tied (smallest margin); 2: flat over three (most entropy, least confidence).
        QTest::newRow("margin") << "margin" << qint64(1);
        QTest::newRow("entropy") << "entropy" << qint64(2);
        QTest::newRow("least-confidence") << "least-confidence" << qint64(2);
    }

    void uncertaintyStrategiesPickTheKnownSample()
    {
        QFETCH(QString, strategy);
        QFETCH(qint64, expected);
        QueryPool pool;
        pool.probabilities = probabilities({{0.98, 0.01, 0.01}, {0.49, 0.49, 0.02}, {0.34, 0.33, 0.33}, {0.90, 0.05, 0.05}});
        const std::vector<std::int64_t> picked = pick(strategy, pool, 1);
        QCOMPARE(picked.size(), std::size_t(1));
        QCOMPARE(picked.front(), std::int64_t(expected));
        // The most certain sample comes last.
        QCOMPARE(pick(strategy, pool, 4).back(), std::int64_t(0));
    }

    void randomIsSeededAndWithoutRepeats()
    {
        QueryPool pool;
        pool.probabilities = torch::full({50, 2}, 0.5, torch::kFloat64);
        QueryOptions options;
        options.batch = 20;
        options.seed = 3;
        const auto strategy = QueryStrategy::create(QStringLiteral("random"));
        const std::vector<std::int64_t> a = strategy->select(pool, options);
        QCOMPARE(a, strategy->select(pool, options));
        QCOMPARE(std::set<std::int64_t>(a.begin(), a.end()).size(), std::size_t(20));
        options.seed = 4;
        QVERIFY(a != strategy->select(pool, options));
        options.batch = 80;
        QCOMPARE(strategy->select(pool, options).size(), std::size_t(50)); // never more than the pool
    }

    void classBalancedSpreadsOverPredictedClasses()
    {
        // The three most uncertain samples are all predicted class 0; balanced picks one of each class first.
        QueryPool pool;
        pool.probabilities = probabilities({{0.51, 0.49}, {0.52, 0.48}, {0.53, 0.47}, {0.10, 0.90}, {0.45, 0.55}});
        QCOMPARE(pick(QStringLiteral("margin"), pool, 2), (std::vector<std::int64_t>{0, 1}));
        QCOMPARE(pick(QStringLiteral("margin"), pool, 2, true), (std::vector<std::int64_t>{0, 4}));
    }

    void coreSetCoversTheFarthestRegions()
    {
        // Labelled samples near the origin; the pool has two far clusters and one sample near the labels.
        QueryPool pool;
        pool.embeddings = torch::tensor({0.1f, 0.0f, 10.0f, 0.0f, 10.1f, 0.0f, 0.0f, -20.0f}).view({4, 2});
        pool.labeledEmbeddings = torch::tensor({0.0f, 0.0f}).view({1, 2});
        const std::vector<std::int64_t> picked = pick(QStringLiteral("core-set"), pool, 2);
        QCOMPARE(picked, (std::vector<std::int64_t>{3, 2})); // farthest first, then the other cluster's farther member
    }

    void baldPrefersDisagreementOverFlatUncertainty()
    {
        // Sample 0: every dropout mask says 50/50 (unsure, but the masks agree: nothing to learn
        // about the weights). Sample 1: the masks disagree completely. Sample 2: sure.
        QueryPool pool;
        pool.mcProbabilities = torch::tensor({0.5, 0.5, 1.0, 0.0, 0.99, 0.01, 0.5, 0.5, 0.0, 1.0, 0.99, 0.01}, torch::kFloat64).view({2, 3, 2});
        QCOMPARE(pick(QStringLiteral("bald"), pool, 1), (std::vector<std::int64_t>{1}));
    }

    void badgeStartsWithTheLargestGradientAndSkipsDuplicates()
    {
        // Samples 0 and 1 are the same uncertain point, 2 an uncertain point elsewhere, 3 a sure one.
        QueryPool pool;
        pool.probabilities = probabilities({{0.5, 0.5}, {0.5, 0.5}, {0.6, 0.4}, {0.99, 0.01}});
        pool.embeddings = torch::tensor({3.0f, 0.0f, 3.0f, 0.0f, 0.0f, 2.0f, 1.0f, 1.0f}).view({4, 2});
        const std::vector<std::int64_t> picked = pick(QStringLiteral("badge"), pool, 2);
        QCOMPARE(picked.size(), std::size_t(2));
        QCOMPARE(picked.front(), std::int64_t(0)); // the largest gradient embedding (ties to the lower index)
        QVERIFY(picked.back() != 1);               // its duplicate is at distance 0: never drawn
    }

    void coldStartTakesATypicalSampleOfEachCluster()
    {
        // Two clusters; the typical member of each is the one at its centre.
        QueryPool pool;
        pool.embeddings = torch::tensor({0.0f, 0.0f, 1.0f, 0.0f, 0.5f, 0.0f, 10.0f, 10.0f, 11.0f, 10.0f, 10.5f, 10.0f}).view({6, 2});
        std::vector<std::int64_t> picked = pick(QStringLiteral("cold-start"), pool, 2);
        std::sort(picked.begin(), picked.end());
        QCOMPARE(picked, (std::vector<std::int64_t>{2, 5}));
    }

    void missingInputsAndUnknownNamesAreErrors()
    {
        QueryPool empty;
        QVERIFY_THROWS_EXCEPTION(Error, pick(QStringLiteral("margin"), empty, 1));
        QVERIFY_THROWS_EXCEPTION(Error, pick(QStringLiteral("core-set"), empty, 1));
        QVERIFY_THROWS_EXCEPTION(Error, pick(QStringLiteral("bald"), empty, 1));
        QVERIFY_THROWS_EXCEPTION(Error, pick(QStringLiteral("badge"), empty, 1));
        QVERIFY_THROWS_EXCEPTION(Error, pick(QStringLiteral("cold-start"), empty, 1));
        QVERIFY_THROWS_EXCEPTION(Error, QueryStrategy::create(QStringLiteral("oracle")));
    }
};

QTEST_GUILESS_MAIN(TestQueryStrategy)
#include "tst_querystrategy.moc"
