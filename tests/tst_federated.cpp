// The federated simulation's engine parts: client partitions (sizes, label skew, seeds, the
// minimum-size rule), FedAvg's weighted mean, top-k with error feedback (mass conserved over rounds),
// 8-bit updates, and the bytes a known sparse update takes on the wire.
#include "ClientPartition.h"
#include "ClientSelection.h"
#include "DeviceProfiles.h"
#include "Error.h"
#include "FederatedKind.h"
#include "LocalTraining.h"
#include "RegionalIntensity.h"
#include "RoundClock.h"
#include "ScriptedRun.h"
#include "ServerOptimizer.h"
#include "TestData.h"
#include "UpdateCodec.h"
#include "config/RunConfig.h"
#include "energy/ReferenceTables.h"
#include "extension/RunKindRegistry.h"
#include "jobs/DatasetEmbedding.h"
#include "models/BackboneFactory.h"
#include "models/ModelExport.h"
#include "report/ResultAxes.h"
#include "store/ArtifactRepository.h"
#include "store/RunRepository.h"
#include "store/Database.h"

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

/// A candidate of the selection tests: explored, equal unless a test says otherwise.
Candidate candidate(int client, double intensity = 100, double seconds = 10, double energy = 100, double utility = 1)
{
    Candidate c;
    c.client = client;
    c.samples = 100;
    c.expectedS = seconds;
    c.expectedEnergyJ = energy;
    c.intensity = intensity;
    c.utility = utility;
    c.explored = true;
    c.lastSelectedRound = 1;
    return c;
}

/// How often each client is chosen over @p draws selections.
std::map<int, int> tally(const std::vector<Candidate> &candidates, const SelectionOptions &options, int draws, int round = 2)
{
    std::mt19937_64 rng(5);
    std::map<int, int> chosen;
    for (int d = 0; d < draws; ++d)
        for (int c : ClientSelection::select(candidates, round, options, rng))
            ++chosen[c];
    return chosen;
}

} // namespace

class TestFederated : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

    /// A federated config over the tiny band dataset: @p clients clients, 3 per round, 3 rounds.
    RunConfig tinyRun(int clients = 10) const
    {
        RunConfig c = RunConfig::defaultsFor(QStringLiteral("federated"));
        c.name = QStringLiteral("tiny-federation");
        c.dataset.path = dir_.filePath(QStringLiteral("bands"));
        c.training.threads = 1;
        c.energy.sampleHz = 20;
        const auto set = [&c](const char *key, const nlohmann::json &v) { RunParameters::find(QString::fromLatin1(key))->set(c, v); };
        set("federated.clients", clients);
        set("federated.per_round", 3);
        set("federated.rounds", 3);
        set("federated.partition", "dirichlet");
        set("federated.alpha", 0.5);
        set("federated.min_size", 5);
        set("federated.client_eval_every", 2);
        return c;
    }
    static void set(RunConfig &c, const char *key, const nlohmann::json &v) { RunParameters::find(QString::fromLatin1(key))->set(c, v); }

private Q_SLOTS:
    void initTestCase()
    {
        RunKindRegistry::instance().add(std::make_shared<FederatedKind>(), QStringLiteral("tst_federated"));
        test::writeBandDataset(dir_.filePath(QStringLiteral("bands")), 300, 60);
    }

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
        QCOMPARE(refused(good + "tablet,0.01,-3,0.5,10,40,2e-7,0,24,FRA\n", QStringLiteral("busy_w must not be negative (got -3)")), QString());
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

    void overCommitKeepsTheFirstToFinish()
    {
        DeviceProfile d{QStringLiteral("d"), 0.01, 10, 1, 8, 8, 0, 0, 24, QStringLiteral("FRA")};
        RoundPlan plan;
        plan.downlinkBytes = 1'000'000; // 1 s down
        plan.keepFirst = 2;
        // 1 s down + 1, 2 and 3 s of training + no upload.
        const RoundTiming t = simulateRound({{1, d, 300, 0}, {2, d, 100, 0}, {3, d, 200, 0}}, plan);
        QVERIFY(t.clients[1].kept && t.clients[2].kept);
        QVERIFY(!t.clients[0].kept);
        QCOMPARE(t.clients[0].dropped, QStringLiteral("over-committed: finished after the first 2"));
        QCOMPARE(t.clients[0].durationS, 3.0); // stopped when the second finished
        QCOMPARE(t.clients[0].energyJ, 30.0);
        QCOMPARE(t.durationS, 3.0);
    }

    void selectionPoliciesPickTheExpectedClients()
    {
        SelectionOptions o;
        o.count = 2;
        o.totalClients = 20;
        o.fairnessFloor = 0;
        // Carbon: two clients on a clean grid win nearly every draw against eighteen on a dirty one.
        std::vector<Candidate> grid;
        for (int i = 0; i < 20; ++i)
            grid.push_back(candidate(i, i == 4 || i == 11 ? 20 : 700));
        o.policy = QStringLiteral("carbon");
        std::map<int, int> chosen = tally(grid, o, 100);
        QVERIFY2(chosen[4] >= 95 && chosen[11] >= 95, qPrintable(QStringLiteral("%1 %2").arg(chosen[4]).arg(chosen[11])));
        // ... and with the preference off it is a uniform draw.
        o.carbonExponent = 0;
        chosen = tally(grid, o, 1000);
        QVERIFY(chosen[4] < 200 && chosen[11] < 200);
        // Random is uniform (each about 100 of 1,000 draws of 2 in 20), and the same seed repeats it.
        o.policy = QStringLiteral("random");
        chosen = tally(grid, o, 1000);
        for (const auto &[client, n] : chosen)
            QVERIFY2(n > 60 && n < 140, qPrintable(QStringLiteral("client %1: %2").arg(client).arg(n)));
        QCOMPARE(tally(grid, o, 10), tally(grid, o, 10));
        // Oort: of equal utility, the slow client is penalised; of equal speed, the useful one wins.
        o.policy = QStringLiteral("oort");
        o.exploration = 0;
        o.count = 1;
        chosen = tally({candidate(0, 100, 10), candidate(1, 100, 100), candidate(2, 100, 10, 100, 0.05), candidate(3, 100, 12, 100, 0.05)}, o, 50, 20);
        QCOMPARE(chosen[0], 50);
        // Energy-aware: the same, with a client that needs ten times the energy left out.
        o.policy = QStringLiteral("energy");
        chosen = tally({candidate(0, 100, 10, 1000), candidate(1, 100, 10, 100), candidate(2, 100, 10, 100, 0.1), candidate(3, 100, 10, 120, 0.1)}, o, 50, 20);
        QCOMPARE(chosen[1], 50);
        // Oort explores: a client never tried takes the exploration share.
        o.policy = QStringLiteral("oort");
        o.exploration = 1;
        std::vector<Candidate> mixed{candidate(0), candidate(1)};
        mixed[1].explored = false;
        QCOMPARE(tally(mixed, o, 10)[1], 10);
        // Over-commit asks more: ceil(3 x 1.5) = 5.
        o.policy = QStringLiteral("random");
        o.count = 3;
        o.overcommit = 1.5;
        std::mt19937_64 rng(1);
        QCOMPARE(ClientSelection::select(grid, 1, o, rng).size(), std::size_t(5));
    }

    void theFairnessFloorStarvesNoClient()
    {
        SelectionOptions o;
        o.policy = QStringLiteral("carbon");
        o.count = 2;
        o.totalClients = 20;
        o.fairnessFloor = 0.5; // every client within ceil(20 / (2 x 0.5)) = 20 rounds
        QCOMPARE(ClientSelection::maxWaitRounds(o), 20);
        std::vector<Candidate> grid;
        for (int i = 0; i < 20; ++i)
            grid.push_back(candidate(i, i < 2 ? 20 : 700));
        std::mt19937_64 rng(3);
        std::vector<int> last(20, 0);
        for (int round = 1; round <= 100; ++round) {
            for (Candidate &c : grid)
                c.lastSelectedRound = last[std::size_t(c.client)];
            for (int c : ClientSelection::select(grid, round, o, rng))
                last[std::size_t(c)] = round;
            for (int c = 0; c < 20; ++c)
                QVERIFY2(round - last[std::size_t(c)] <= 20, qPrintable(QStringLiteral("client %1 waited since round %2").arg(c).arg(last[std::size_t(c)])));
        }
    }

    void serverOptimizersStepAsPublished()
    {
        const torch::Tensor delta = torch::tensor({1.0f, -2.0f});
        torch::Tensor w = torch::zeros({2});
        ServerOptimizer(QStringLiteral("fedavg"), 1.0).step(w, delta);
        QVERIFY(torch::allclose(w, delta));
        ServerOptimizer momentum(QStringLiteral("fedavgm"), 1.0, 0.9);
        w = torch::zeros({2});
        momentum.step(w, delta);
        momentum.step(w, delta); // v = 0.9 delta + delta
        QVERIFY(torch::allclose(w, delta * 2.9));
        ServerOptimizer adam(QStringLiteral("fedadam"), 0.1, 0.9, 0.99, 1e-3);
        w = torch::zeros({2});
        adam.step(w, delta);
        const torch::Tensor m = delta * 0.1, v = torch::full({2}, 1e-6) * 0.99 + delta.square() * 0.01;
        QVERIFY(torch::allclose(w, 0.1 * m / (v.sqrt() + 1e-3)));
        QCOMPARE(ServerOptimizer::defaultLearningRate(QStringLiteral("fedadam")), std::pow(10.0, -1.5));
        QVERIFY_THROWS_EXCEPTION(Error, ServerOptimizer(QStringLiteral("fedsgd"), 1.0));
    }

    void fedProxKeepsClientsNearTheGlobalModel()
    {
        FederatedModel model = FederatedModel::smallCnn(8, 8, 3, 1);
        torch::manual_seed(2);
        const torch::Tensor x = torch::randn({64, 1, 8, 8}), y = torch::randint(0, 3, {64}, torch::kInt64);
        const torch::Tensor global = model.weights(), before = global.clone();
        std::atomic_bool cancel{false};
        LocalTraining t;
        t.epochs = 3;
        t.batchSize = 8;
        t.learningRate = 0.1;
        const LocalResult free = trainLocally(model, global, x, y, t, cancel);
        t.proximalMu = 5;
        const LocalResult held = trainLocally(model, global, x, y, t, cancel);
        QVERIFY2(held.update.norm().item<double>() < 0.8 * free.update.norm().item<double>(),
                 qPrintable(QStringLiteral("%1 vs %2").arg(held.update.norm().item<double>()).arg(free.update.norm().item<double>())));
        QVERIFY(free.statisticalUtility > 0);
        QVERIFY(torch::equal(global, before)); // clients train copies: the global weights stay as sent
        // The same seed trains the same update; a cancel stops before the first batch.
        t.proximalMu = 0;
        QVERIFY(torch::equal(trainLocally(model, global, x, y, t, cancel).update, free.update));
        cancel = true;
        QVERIFY(trainLocally(model, global, x, y, t, cancel).cancelled);
    }

    void regionalForecastsFollowTheDay()
    {
        const RegionalIntensity grid = RegionalIntensity::fromForecastCsv("region,hour,intensity_g_per_kwh\nFRA,6,30\nFRA,18,90\nDEU,0,400\n",
                                                                          QStringLiteral("day.csv"));
        QCOMPARE(grid.at(QStringLiteral("FRA"), 7), 30.0);
        QCOMPARE(grid.at(QStringLiteral("FRA"), 19), 90.0);
        QCOMPARE(grid.at(QStringLiteral("FRA"), 2), 90.0);      // before 6:00: the day's last value, wrapped
        QCOMPARE(grid.at(QStringLiteral("FRA"), 24 + 7), 30.0); // the next day repeats it
        QCOMPARE(grid.at(QStringLiteral("POL"), 7), CarbonIntensityTable::bundled().resolve(QStringLiteral("POL")).intensityGPerKwh);
        QVERIFY(grid.sourceOf(QStringLiteral("FRA")).contains(QStringLiteral("day.csv")));
        const auto refused = [](const QByteArray &csv, const QString &expected) {
            try {
                RegionalIntensity::fromForecastCsv(csv, QStringLiteral("day.csv"));
            } catch (const Error &e) {
                return e.message().contains(expected) ? QString() : e.message();
            }
            return QStringLiteral("accepted");
        };
        QCOMPARE(refused("region,hour\nFRA,6\n", QStringLiteral("intensity_g_per_kwh")), QString());
        QCOMPARE(refused("region,hour,intensity_g_per_kwh\nFRA,6,-1\n", QStringLiteral("day.csv:2")), QString());
        QCOMPARE(refused("region,hour,intensity_g_per_kwh\nFRA,25,10\n", QStringLiteral("hour must be between 0 and 24")), QString());
        QCOMPARE(refused("region,hour,intensity_g_per_kwh\nFRA,6,10\nFRA,6,20\n", QStringLiteral("two values for hour 6")), QString());
    }

    void badConfigsAreNamed()
    {
        const auto refused = [](const std::string &federated, const QString &expected, const std::string &extra = std::string()) {
            const std::string text = R"({"kind": "federated", "federated": )" + federated + extra + "}";
            try {
                RunConfig::fromJsonText(text, QStringLiteral("fl.json"));
            } catch (const Error &e) {
                return e.message().contains(expected) && e.message().contains(QStringLiteral("fl.json")) ? QString() : e.message();
            }
            return QStringLiteral("accepted");
        };
        QCOMPARE(refused(R"({"partition": "dirichlet", "alpha": 0})", QStringLiteral("'federated.alpha' must be above 0")), QString());
        QCOMPARE(refused(R"({"fraction": 0})", QStringLiteral("'federated.fraction' is 0")), QString());
        QCOMPARE(refused(R"({"clients": 10, "per_round": 11})", QStringLiteral("more than the 10 clients")), QString());
        QCOMPARE(refused(R"({"clients": 500})", QStringLiteral("500 clients but only 100 training samples"), R"(, "dataset": {"train_subset": 100})"),
                 QString());
        QCOMPARE(refused(R"({})", QStringLiteral("not a 'torchscript' model"), R"(, "model": {"source": "torchscript", "path": "m.pt"})"), QString());
        QCOMPARE(refused(R"({"top_k": 0})", QStringLiteral("federated.top_k")), QString());
    }

    // The acceptance run: the same config and seed give the same numbers twice; every client's
    // totals add up to the run's; the final model is kept; bad inputs fail the run with their names.
    void aRunIsSeededAndAccountsForEveryClient()
    {
        const RunConfig config = tinyRun();
        const RunSummary first = test::runScripted(config, dir_.filePath(QStringLiteral("a.db")));
        const RunSummary second = test::runScripted(config, dir_.filePath(QStringLiteral("b.db")));
        QCOMPARE(first.status, QStringLiteral("completed"));
        QCOMPARE(second.status, QStringLiteral("completed"));
        const QJsonObject a = first.extra.value(QStringLiteral("federated")).toObject(), b = second.extra.value(QStringLiteral("federated")).toObject();
        QCOMPARE(a.value(QStringLiteral("rounds")).toInt(), 3);
        for (const char *key : {"accuracy", "modelled_co2e_g", "modelled_energy_j", "uplink_bytes", "downlink_bytes", "updates_kept"})
            QCOMPARE(a.value(QLatin1String(key)).toDouble(), b.value(QLatin1String(key)).toDouble());
        double co2e = 0;
        int selected = 0;
        const QJsonArray clients = a.value(QStringLiteral("per_client")).toArray();
        QCOMPARE(clients.size(), 10);
        for (int i = 0; i < clients.size(); ++i) {
            const QJsonObject c = clients[i].toObject();
            QCOMPARE(c.value(QStringLiteral("selected")).toInt(), b.value(QStringLiteral("per_client")).toArray()[i].toObject().value(QStringLiteral("selected")).toInt());
            co2e += c.value(QStringLiteral("modelled_co2e_g")).toDouble();
            selected += c.value(QStringLiteral("selected")).toInt();
            if (c.value(QStringLiteral("kept")).toInt() > 0)
                QVERIFY(c.value(QStringLiteral("machine_energy_j")).toDouble() > 0); // measured (here: scripted) apart from the model
        }
        QCOMPARE(selected, 9);
        QVERIFY(qAbs(co2e - a.value(QStringLiteral("modelled_co2e_g")).toDouble()) < 1e-9);
        QVERIFY(a.value(QStringLiteral("machine_energy_j")).toDouble() > 0);
        QCOMPARE(a.value(QStringLiteral("uplink_bytes")).toDouble(), 9 * a.value(QStringLiteral("update_bytes")).toDouble());
        const Database db(dir_.filePath(QStringLiteral("a.db")));
        QVERIFY(ArtifactRepository(db).find(first.runId, QStringLiteral("model"), QStringLiteral("safetensors")).has_value());
        // Every client's figures are stored under its scope (the Clients tab), with its last totals.
        const RunRepository runs(db);
        QCOMPARE(runs.metricScopes(first.runId).size(), 10);
        const QJsonObject client0 = clients[0].toObject();
        const QMap<QString, double> stored = runs.finalMetrics(first.runId, QStringLiteral("client 0"));
        QCOMPARE(stored.value(QStringLiteral("selected")), client0.value(QStringLiteral("selected")).toDouble());
        QCOMPARE(stored.value(QStringLiteral("modelled_co2e_g")), client0.value(QStringLiteral("modelled_co2e_g")).toDouble());
        // Federated runs compare by accuracy against their clients' modelled CO2e.
        const QList<RunRecord> records = runs.listRuns();
        const std::vector<ResultMetric> axes = ResultAxes::of(records);
        QCOMPARE(ResultAxes::defaults(axes, records), (std::pair<QString, QString>(QStringLiteral("accuracy"), QStringLiteral("modelled_co2e_g"))));
        QVERIFY(ResultAxes::find(axes, QStringLiteral("rounds_to_target")));

        // A client that goes offline mid-round is dropped; the rounds complete with the others.
        QFile profiles(dir_.filePath(QStringLiteral("profiles.csv")));
        QVERIFY(profiles.open(QIODevice::WriteOnly));
        profiles.write("device_class,seconds_per_sample,busy_w,idle_w,uplink_mbps,downlink_mbps,network_j_per_byte,available_from_h,available_to_h,region,share\n"
                       "steady,0.01,5,1,10,10,1e-6,0,24,FRA,1\n"
                       "leaving,0.01,5,1,10,10,1e-6,0,0.0002,SWE,1\n"); // off 0.72 s into the simulated day
        profiles.close();
        RunConfig leaving = tinyRun();
        set(leaving, "federated.profiles", profiles.fileName().toStdString());
        set(leaving, "federated.partition", "iid");
        set(leaving, "federated.round_interval_min", 0);
        const RunSummary dropped = test::runScripted(leaving, dir_.filePath(QStringLiteral("c.db")));
        QCOMPARE(dropped.status, QStringLiteral("completed"));
        const QJsonObject d = dropped.extra.value(QStringLiteral("federated")).toObject();
        QCOMPARE(d.value(QStringLiteral("rounds")).toInt(), 3);
        QVERIFY(d.value(QStringLiteral("updates_dropped")).toInt() > 0);
        bool named = false;
        for (const QJsonValue &c : d.value(QStringLiteral("per_client")).toArray())
            named |= c.toObject().value(QStringLiteral("last_drop")).toString().contains(QStringLiteral("went offline"));
        QVERIFY(named);

        // Bad inputs fail the run, named.
        QFile bad(dir_.filePath(QStringLiteral("bad.csv")));
        QVERIFY(bad.open(QIODevice::WriteOnly));
        bad.write("device_class,seconds_per_sample,busy_w\nphone,0.01,4\n");
        bad.close();
        RunConfig badProfiles = tinyRun();
        set(badProfiles, "federated.profiles", bad.fileName().toStdString());
        RunSummary failed = test::runScripted(badProfiles, dir_.filePath(QStringLiteral("d.db")));
        QCOMPARE(failed.status, QStringLiteral("failed"));
        QVERIFY2(failed.error.contains(QStringLiteral("bad.csv")) && failed.error.contains(QStringLiteral("idle_w")), qPrintable(failed.error));
        // An image folder of colour images: the small CNN gets them grey, at their own 12x12 size.
        const QString folder = dir_.filePath(QStringLiteral("squares"));
        QVERIFY(test::writeColourSquareFolder(folder, 20, 3));
        RunConfig squares = tinyRun(6);
        squares.dataset.kind = QStringLiteral("image-folder");
        squares.dataset.path = folder;
        set(squares, "federated.partition", "iid");
        const RunSummary colour = test::runScripted(squares, dir_.filePath(QStringLiteral("f.db")));
        QVERIFY2(colour.status == QStringLiteral("completed"), qPrintable(colour.error));
        QCOMPARE(colour.extra.value(QStringLiteral("federated")).toObject().value(QStringLiteral("rounds")).toInt(), 3);

        RunConfig crowded = tinyRun(400); // 300 training images
        set(crowded, "federated.partition", "iid");
        failed = test::runScripted(crowded, dir_.filePath(QStringLiteral("e.db")));
        QCOMPARE(failed.status, QStringLiteral("failed"));
        QVERIFY2(failed.error.contains(QStringLiteral("400 clients but only 300 training samples")), qPrintable(failed.error));
    }

    // From the bundled backbone: the clients train a linear head over its frozen features, each
    // downloading the backbone and computing its features once, in its first completed round only.
    void aFederationStartsFromTheBundledBackbone()
    {
        RunConfig config = tinyRun();
        config.model.source = QStringLiteral("bundled");
        set(config, "federated.partition", "iid");
        set(config, "federated.selection", "oort"); // the fairness floor brings new clients in
        set(config, "federated.rounds", 4);
        const RunSummary run = test::runScripted(config, dir_.filePath(QStringLiteral("bundled.db")));
        QVERIFY2(run.status == QStringLiteral("completed"), qPrintable(run.error));
        const QJsonObject f = run.extra.value(QStringLiteral("federated")).toObject();
        QCOMPARE(f.value(QStringLiteral("rounds")).toInt(), 4);
        QVERIFY(f.value(QStringLiteral("accuracy")).toDouble() > 0.5); // ten bands: the features separate them
        QCOMPARE(f.value(QStringLiteral("update_bytes")).toDouble(), 4.0 * (256 * 10 + 10)); // the head, not the backbone
        QVERIFY(run.extra.value(QStringLiteral("model_origin")).toString().contains(QStringLiteral("bundled")));
        QVERIFY(run.extra.contains(QStringLiteral("embedding_cache")));
        // Downlink: the head every time, the backbone once per client that completed a round before.
        std::int64_t backboneBytes = 0;
        for (const auto &entry : BackboneFactory::create(backboneSpec(config))->stateDict())
            backboneBytes += entry.second.numel() * std::int64_t(entry.second.element_size());
        int selected = 0, firstTimers = 0;
        for (const QJsonValue &v : f.value(QStringLiteral("per_client")).toArray()) {
            const QJsonObject c = v.toObject();
            selected += c.value(QStringLiteral("selected")).toInt();
            firstTimers += c.value(QStringLiteral("kept")).toInt() > 0 ? 1 : 0;
        }
        QCOMPARE(f.value(QStringLiteral("updates_dropped")).toInt(), 0);
        QCOMPARE(f.value(QStringLiteral("downlink_bytes")).toDouble(), double(selected) * 4.0 * (256 * 10 + 10) + double(firstTimers) * double(backboneBytes));
        QVERIFY(firstTimers < selected); // some client came back and did not pay for its features again
        // The kept model is a classifier over the bundled backbone, which predicts as the run measured.
        const Database db(dir_.filePath(QStringLiteral("bundled.db")));
        const std::optional<ArtifactRecord> artifact = ArtifactRepository(db).find(run.runId, QStringLiteral("model"), QStringLiteral("safetensors"));
        QVERIFY(artifact.has_value());
        const TrainedModel kept = ModelExport::readSafetensors(ArtifactRepository::verifiedPath(*artifact, Database::cacheDirectoryOf(db.path())));
        QCOMPARE(kept.architecture, QStringLiteral("gw-mobilenet"));
        QCOMPARE(kept.headWeight.sizes().vec(), (std::vector<std::int64_t>{10, 256}));
        torch::NoGradGuard noGrad;
        QCOMPARE(ModelExport::predict(kept, torch::rand({2, 1, 28, 28})).sizes().vec(), (std::vector<std::int64_t>{2, 10}));
    }
};

QTEST_GUILESS_MAIN(TestFederated)
#include "tst_federated.moc"
