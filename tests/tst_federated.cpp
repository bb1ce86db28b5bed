// The federated simulation's engine parts: client partitions (sizes, label skew, seeds, the
// minimum-size rule), FedAvg's weighted mean, top-k with error feedback (mass conserved over rounds),
// 8-bit updates, and the bytes a known sparse update takes on the wire.
#include "ClientPartition.h"
#include "DeviceProfiles.h"
#include "RoundClock.h"
#include "Error.h"
#include "UpdateCodec.h"

#include <QtTest>
#include <cmath>
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

    void deviceProfilesReadAndBadOnesAreNamed()
    {
        const QByteArray good = "# a comment\n"
                                "device_class,seconds_per_sample,busy_w,idle_w,uplink_mbps,downlink_mbps,network_j_per_byte,available_from_h,available_to_h,region\n"
                                "phone,0.01,4,0.5,10,40,2e-7,22,6,FRA\n"
                                "laptop,0.002,30,8,50,100,5e-8,0,24,DEU\n";
        const std::vector<DeviceProfile> profiles = readDeviceProfiles(good, QStringLiteral("devices.csv"));
        QCOMPARE(profiles.size(), std::size_t(2));
        QCOMPARE(profiles[0].busyW, 4.0);
        QVERIFY(profiles[0].availableAt(23) && profiles[0].availableAt(3) && !profiles[0].availableAt(12)); // overnight
        QCOMPARE(profiles[0].hoursLeftAt(23), 7.0);
        QVERIFY(std::isinf(profiles[1].hoursLeftAt(12)));
        const auto refused = [](const QByteArray &csv, const QString &expected) {
            try {
                readDeviceProfiles(csv, QStringLiteral("devices.csv"));
                return QStringLiteral("accepted");
            } catch (const Error &e) {
                return e.message().contains(expected) && e.message().contains(QStringLiteral("devices.csv")) ? QString() : e.message();
            }
        };
        QCOMPARE(refused("device_class,seconds_per_sample,busy_w,idle_w,uplink_mbps,downlink_mbps,network_j_per_byte,available_from_h,region\n",
                         QStringLiteral("available_to_h")), QString()); // a missing column is named
        QCOMPARE(refused(good + "tablet,0.01,-3,0.5,10,40,2e-7,0,24,FRA\n", QStringLiteral("busy_w must be between 0")), QString());
        QCOMPARE(refused(good + "tablet,0.01,3,0.5,10,40,2e-7,0,25,FRA\n", QStringLiteral("available_to_h must be between 0 and 24")), QString());
        QCOMPARE(refused(good + "tablet,0.01,3,0.5,10,40,2e-7,0,24,XXX\n", QStringLiteral("region 'XXX'")), QString());
        QCOMPARE(refused(good + "tablet,fast,3,0.5,10,40,2e-7,0,24,FRA\n", QStringLiteral("devices.csv:5")), QString()); // the line
    }

    // Crafted devices: one on time, one past the deadline, one that goes off mid-round, one off at the
    // start. The round completes with the first and waits for the deadline; energy as modelled.
    void aRoundKeepsWhoFinishesAndDropsTheRest()
    {
        DeviceProfile fast{QStringLiteral("fast"), 0.01, 10, 1, 8, 8, 1e-6, 0, 24, QStringLiteral("FRA")};
        DeviceProfile slow = fast;
        slow.secondsPerSample = 1;
        DeviceProfile leaving = fast;
        leaving.secondsPerSample = 0.5;
        leaving.availableFromH = 0;
        leaving.availableToH = 10.0 + 20.0 / 3600.0; // goes off 20 s into a round starting at 10:00
        DeviceProfile asleep = fast;
        asleep.availableFromH = 22;
        asleep.availableToH = 6;
        RoundPlan plan;
        plan.startHour = 10;
        plan.deadlineS = 60;
        plan.downlinkBytes = 1'000'000; // 1 s at 8 Mbit/s
        plan.intensity = [](const QString &region, double) { return region == QStringLiteral("FRA") ? 50.0 : 400.0; };
        const RoundTiming t = simulateRound({{1, fast, 100, 1'000'000}, {2, slow, 100, 1'000'000}, {3, leaving, 100, 1'000'000}, {4, asleep, 100, 1'000'000}}, plan);
        QCOMPARE(t.clients.size(), std::size_t(4));
        QVERIFY(t.clients[0].kept);
        QCOMPARE(t.clients[0].durationS, 3.0); // 1 s down, 1 s training, 1 s up
        QCOMPARE(t.clients[0].energyJ, 10 * 3.0 + 1e-6 * 2'000'000);
        QVERIFY(qAbs(t.clients[0].co2eG - t.clients[0].energyJ / 3.6e6 * 50) < 1e-12);
        QVERIFY(!t.clients[1].kept && t.clients[1].dropped.startsWith(QStringLiteral("past the deadline")));
        QCOMPARE(t.clients[1].durationS, 60.0); // it worked until the deadline
        QVERIFY(!t.clients[2].kept && t.clients[2].dropped.startsWith(QStringLiteral("went offline after 20 s")));
        QVERIFY(!t.clients[3].kept && t.clients[3].dropped == QStringLiteral("offline at the round's start"));
        QCOMPARE(t.clients[3].energyJ, 0.0);
        QCOMPARE(t.durationS, 60.0); // the server waited for the straggler until the deadline
        // Without the straggler the round lasts as long as its slowest kept client.
        QCOMPARE(simulateRound({{1, fast, 100, 1'000'000}, {3, leaving, 100, 1'000'000}}, plan).durationS, 3.0);
    }
};

QTEST_GUILESS_MAIN(TestFederated)
#include "tst_federated.moc"
