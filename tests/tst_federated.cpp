// The federated simulation's engine parts: client partitions (sizes, label skew, seeds, the
// minimum-size rule), FedAvg's weighted mean, top-k with error feedback (mass conserved over rounds),
// 8-bit updates, and the bytes a known sparse update takes on the wire.
#include "ClientPartition.h"
#include "Error.h"
#include "UpdateCodec.h"

#include <QtTest>
#include <random>
#include <set>
#include <torch/torch.h>

using namespace gw;
using namespace gw::federated;

namespace {

/// Ten classes, @p perClass samples each, in class order.
std::vector<std::int64_t> labels(int perClass)
{
    std::vector<std::int64_t> out;
    for (int c = 0; c < 10; ++c)
        out.insert(out.end(), std::size_t(perClass), c);
    return out;
}

/// Every index in exactly one part.
bool coversOnce(const Partition &parts, std::size_t samples)
{
    std::vector<int> seen(samples, 0);
    for (const auto &p : parts)
        for (std::int64_t i : p)
            ++seen[std::size_t(i)];
    return std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; });
}

/// The mean number of classes a client holds at least a twentieth of its samples of.
double classesPerClient(const Partition &parts, const std::vector<std::int64_t> &y)
{
    double total = 0;
    for (const auto &p : parts) {
        std::map<std::int64_t, int> count;
        for (std::int64_t i : p)
            ++count[y[std::size_t(i)]];
        for (const auto &[c, n] : count)
            total += n * 20 >= int(p.size());
    }
    return total / double(parts.size());
}

} // namespace

class TestFederated : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void iidDealsEvenlyAndIsSeeded()
    {
        const Partition a = ClientPartition::iid(1003, 10, 7);
        QVERIFY(coversOnce(a, 1003));
        for (const auto &p : a)
            QVERIFY(p.size() == 100 || p.size() == 101);
        QCOMPARE(ClientPartition::iid(1003, 10, 7), a);
        QVERIFY(ClientPartition::iid(1003, 10, 8) != a);
    }

    void dirichletSkewsLabelsAsAlphaSaysAndKeepsItsMinimum()
    {
        const std::vector<std::int64_t> y = labels(200);
        const Partition skewed = ClientPartition::dirichlet(y, 20, 0.1, 3);
        const Partition mild = ClientPartition::dirichlet(y, 20, 100.0, 3);
        QVERIFY(coversOnce(skewed, y.size()));
        QVERIFY(coversOnce(mild, y.size()));
        for (const auto &p : skewed)
            QVERIFY(p.size() >= 10); // the minimum-size rule
        // Small alpha: a client holds few classes; large alpha: nearly all ten.
        QVERIFY2(classesPerClient(skewed, y) < 4, qPrintable(QString::number(classesPerClient(skewed, y))));
        QVERIFY2(classesPerClient(mild, y) > 8, qPrintable(QString::number(classesPerClient(mild, y))));
        // Self-balancing keeps sizes near the fair share (100) even when labels are skewed.
        for (const auto &p : mild)
            QVERIFY(p.size() < 200);
        QCOMPARE(ClientPartition::dirichlet(y, 20, 0.1, 3), skewed); // seeded
    }

    void shardsGiveEachClientFewLabels()
    {
        const std::vector<std::int64_t> y = labels(100);
        const Partition parts = ClientPartition::shards(y, 50, 5); // 100 shards of 10 sorted samples
        QVERIFY(coversOnce(parts, y.size()));
        for (const auto &p : parts) {
            QCOMPARE(p.size(), std::size_t(20));
            std::set<std::int64_t> classes;
            for (std::int64_t i : p)
                classes.insert(y[std::size_t(i)]);
            QVERIFY(classes.size() <= 2);
        }
    }

    void badPartitionsAreNamed()
    {
        const std::vector<std::int64_t> y = labels(5);
        const auto refuses = [](const std::function<void()> &f, const QString &expected) {
            try {
                f();
                return QStringLiteral("accepted");
            } catch (const Error &e) {
                return e.message().contains(expected) ? QString() : e.message();
            }
        };
        QCOMPARE(refuses([&] { ClientPartition::iid(50, 51, 1); }, QStringLiteral("51 clients for 50 training samples")), QString());
        QCOMPARE(refuses([&] { ClientPartition::dirichlet(y, 5, 0, 1); }, QStringLiteral("alpha must be above 0")), QString());
        QCOMPARE(refuses([&] { ClientPartition::dirichlet(y, 5, -1, 1); }, QStringLiteral("(got -1)")), QString());
        QCOMPARE(refuses([&] { ClientPartition::dirichlet(y, 10, 0.05, 1, 40); }, QStringLiteral("40 samples or more")), QString());
        QCOMPARE(refuses([&] { ClientPartition::iid(10, 0, 1); }, QStringLiteral("at least one client")), QString());
    }

    void fedAvgIsTheSampleWeightedMean()
    {
        const torch::Tensor mean = weightedMean({torch::tensor({1.0F, 0.0F}), torch::tensor({4.0F, 3.0F})}, {100, 200});
        QVERIFY(torch::allclose(mean, torch::tensor({3.0F, 2.0F})));
        QVERIFY_THROWS_EXCEPTION(Error, weightedMean({torch::ones({2})}, {0}));
        QVERIFY_THROWS_EXCEPTION(Error, weightedMean({}, {}));
    }

    // Bytes on the wire of a known update: 1,000 values, 1 % kept: 10 int32 indices and 10 values.
    void wireBytesAreCountedExactly()
    {
        torch::manual_seed(1);
        const torch::Tensor update = torch::randn({1000});
        QCOMPARE(UpdateCodec(1.0, false, false).encode(0, update).wireBytes(), std::int64_t(4000));
        QCOMPARE(UpdateCodec(1.0, false, true).encode(0, update).wireBytes(), std::int64_t(1004));
        const EncodedUpdate sparse = UpdateCodec(0.01, false, false).encode(0, update);
        QCOMPARE(sparse.indices.numel(), std::int64_t(10));
        QCOMPARE(sparse.wireBytes(), std::int64_t(80));
        QCOMPARE(UpdateCodec(0.01, false, true).encode(0, update).wireBytes(), std::int64_t(54));
        // The kept entries are the largest in magnitude, decoded in place.
        const torch::Tensor decoded = sparse.decode();
        QCOMPARE(decoded.ne(0).sum().item<std::int64_t>(), std::int64_t(10));
        QVERIFY(decoded.abs().max().item<double>() == update.abs().max().item<double>());
        const torch::Tensor eight = UpdateCodec(1.0, false, true).encode(0, update).decode();
        QVERIFY((eight - update).abs().max().item<double>() <= update.abs().max().item<double>() / 127.0);
    }

    // Error feedback loses nothing: what was sent over the rounds plus what is still held back is
    // what the client's updates added up to.
    void errorFeedbackConservesTheUpdateMass()
    {
        torch::manual_seed(2);
        UpdateCodec codec(0.05, true, true);
        torch::Tensor produced = torch::zeros({500}), sent = torch::zeros({500});
        for (int round = 0; round < 12; ++round) {
            const torch::Tensor update = torch::randn({500});
            produced += update;
            sent += codec.encode(3, update).decode();
        }
        QVERIFY((sent + codec.residual(3, 500) - produced).abs().max().item<double>() < 1e-4);
        QVERIFY(codec.residual(7, 500).abs().sum().item<double>() == 0); // another client holds nothing back
        // Without feedback the remainder is simply lost.
        UpdateCodec lossy(0.05, false, false);
        QCOMPARE(lossy.residual(3, 500).abs().sum().item<double>(), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestFederated)
#include "tst_federated.moc"
