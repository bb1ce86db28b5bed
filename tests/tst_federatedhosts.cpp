// Federated learning across hosts with real processes: a coordinator (`run` of a federated config
// with backend "hosts") and workers (`green-workbench worker`) over 127.0.0.1, and over a
// non-loopback address inside a network namespace the test makes when it may. Also the rendezvous
// store on its own: its operations, its admission by HMAC, its bad peers, a Gloo group over it.
#include "ClientPartition.h"
#include "Error.h"
#include "FederatedKind.h"
#include "ScriptedRun.h"
#include "TestData.h"
#include "UpdateCodec.h"
#include "config/RunConfig.h"
#include "data/FashionMnist.h"
#include "distributed/AuthenticatedStore.h"
#include "distributed/GlooGroup.h"
#include "distributed/StoreServer.h"
#include "extension/RunKindRegistry.h"
#include "models/ModelExport.h"
#include "store/ArtifactRepository.h"
#include "store/Database.h"
#include "store/RunRepository.h"
#include "HostRounds.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>
#include <set>
#include <sys/socket.h>
#include <nlohmann/json.hpp>
#include <thread>
#include <torch/torch.h>

using namespace gw;
using namespace gw::federated;
using distributed::AuthenticatedStore;
using distributed::StoreServer;

namespace {

const QByteArray kToken = "a-shared-token-of-some-length-0123456789";

/// The listening TCP sockets of process @p pid, as "address:port" in /proc's hex notation decoded
/// to "127.0.0.1:port" (IPv4, or IPv4-mapped IPv6) or the IPv6 hex as it stands.
QStringList listeningSockets(qint64 pid)
{
    std::set<QString> inodes;
    const QDir fds(QStringLiteral("/proc/%1/fd").arg(pid));
    for (const QString &fd : fds.entryList(QDir::NoDotAndDotDot | QDir::System | QDir::Files)) {
        const QString target = QFile::symLinkTarget(fds.filePath(fd));
        if (target.contains(QLatin1String("socket:[")))
            inodes.insert(target.section(QLatin1Char('['), 1).section(QLatin1Char(']'), 0, 0));
    }
    QStringList out;
    for (const char *table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
        QFile f(QString::fromLatin1(table));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        for (const QByteArray &line : f.readAll().split('\n').mid(1)) {
            const QList<QByteArray> cols = line.simplified().split(' ');
            if (cols.size() < 10 || cols[3] != "0A" || !inodes.count(QString::fromLatin1(cols[9])))
                continue;
            const QList<QByteArray> ends = cols[1].split(':');
            const QByteArray address = ends.value(0), port = ends.value(1);
            const QByteArray v4 = address.right(8); // IPv4, or the last 32 bits of an IPv4-mapped IPv6 address
            const bool mapped = address.size() == 8 || address.startsWith("0000000000000000FFFF0000");
            QString host = QString::fromLatin1(address);
            if (mapped) {
                bool ok = false;
                const quint32 raw = v4.toUInt(&ok, 16);
                host = QStringLiteral("%1.%2.%3.%4").arg(raw & 0xff).arg((raw >> 8) & 0xff).arg((raw >> 16) & 0xff).arg(raw >> 24);
            }
            out.append(QStringLiteral("%1:%2").arg(host).arg(port.toUInt(nullptr, 16)));
        }
    }
    return out;
}

} // namespace

class TestFederatedHosts : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    std::vector<std::unique_ptr<QProcess>> processes_;

    QProcess *start(const QStringList &arguments)
    {
        auto process = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), dir_.path());
        env.insert(QStringLiteral("XDG_DATA_HOME"), dir_.filePath(QStringLiteral("xdg")));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir_.filePath(QStringLiteral("xdg-config")));
        process->setProcessEnvironment(env);
        process->start(QStringLiteral(GW_WORKBENCH_BINARY), arguments);
        processes_.push_back(std::move(process));
        return processes_.back().get();
    }

    /// The coordinator of @p config, and the port it says it listens on (0 when it never says).
    std::pair<QProcess *, int> startCoordinator(const QString &config, const QString &db, QString &log)
    {
        QProcess *coordinator = start({QStringLiteral("run"), config, QStringLiteral("--db"), db, QStringLiteral("--json")});
        const QRegularExpression listening(QStringLiteral("coordinator listening on [^ ]+:(\\d+)"));
        for (int i = 0; i < 600; ++i) {
            coordinator->waitForReadyRead(100);
            log += QString::fromUtf8(coordinator->readAllStandardError());
            const QRegularExpressionMatch m = listening.match(log);
            if (m.hasMatch())
                return {coordinator, m.captured(1).toInt()};
            if (coordinator->state() == QProcess::NotRunning)
                break;
        }
        return {coordinator, 0};
    }

    QProcess *startWorker(int port, const QString &name, const QString &data, const QString &token)
    {
        return start({QStringLiteral("worker"), QStringLiteral("--coordinator"), QStringLiteral("127.0.0.1:%1").arg(port), QStringLiteral("--token-file"), token,
                      QStringLiteral("--name"), name, QStringLiteral("--data"), data, QStringLiteral("--threads"), QStringLiteral("1"), QStringLiteral("--db"),
                      dir_.filePath(name + QStringLiteral(".sqlite"))});
    }

    static QJsonObject summaryOf(QProcess *process)
    {
        const QList<QByteArray> lines = process->readAllStandardOutput().trimmed().split('\n');
        return QJsonDocument::fromJson(lines.last()).object();
    }

    /// A federated config over the band dataset: @p hosts workers on 127.0.0.1 (any port).
    QString writeConfig(const QString &name, const QString &backend, int hosts, int epochs, const QString &listen = QStringLiteral("127.0.0.1:0")) const
    {
        const QString always = dir_.filePath(QStringLiteral("always-on.csv"));
        gw::test::writeBytes(always, "device_class,seconds_per_sample,busy_w,idle_w,uplink_mbps,downlink_mbps,network_j_per_byte,available_from_h,available_to_h,region,share\n"
                                     "host,0.001,10,1,10,10,1e-6,0,24,FRA,1\n");
        const QJsonObject config{
            {QStringLiteral("name"), name},
            {QStringLiteral("kind"), QStringLiteral("federated")},
            {QStringLiteral("seed"), 3},
            {QStringLiteral("dataset"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("fashion-mnist")}, {QStringLiteral("path"), dir_.filePath(QStringLiteral("bands"))}}},
            {QStringLiteral("model"), QJsonObject{{QStringLiteral("source"), QStringLiteral("scratch")}}},
            {QStringLiteral("training"), QJsonObject{{QStringLiteral("batch_size"), 16}, {QStringLiteral("lr"), 0.05}, {QStringLiteral("threads"), 1}}},
            {QStringLiteral("energy"), QJsonObject{{QStringLiteral("sample_hz"), 20}}},
            {QStringLiteral("federated"), QJsonObject{{QStringLiteral("backend"), backend},
                                                      {QStringLiteral("listen"), listen},
                                                      {QStringLiteral("token_file"), dir_.filePath(QStringLiteral("token"))},
                                                      {QStringLiteral("min_hosts"), hosts},
                                                      {QStringLiteral("hosts_wait_s"), 60},
                                                      {QStringLiteral("join_s"), 60},
                                                      {QStringLiteral("clients"), hosts},
                                                      {QStringLiteral("per_round"), hosts},
                                                      {QStringLiteral("rounds"), 3},
                                                      {QStringLiteral("local_epochs"), epochs},
                                                      {QStringLiteral("partition"), QStringLiteral("iid")},
                                                      {QStringLiteral("holdout"), 0},
                                                      {QStringLiteral("selection"), QStringLiteral("random")},
                                                      {QStringLiteral("profiles"), always}}}};
        const QString path = dir_.filePath(name + QStringLiteral(".json"));
        gw::test::writeBytes(path, QJsonDocument(config).toJson());
        return path;
    }

    /// The simulation's client @p c of @p clients, as a worker's own IDX folder (its samples in the
    /// partition's order).
    QString writeClientData(int c, int clients)
    {
        const ImageDataset all = FashionMnist::load(dir_.filePath(QStringLiteral("bands")), FashionMnist::Split::Train);
        const Partition partition = ClientPartition::iid(all.size(), clients, 3);
        std::vector<std::uint8_t> pixels, labels;
        for (std::int64_t i : partition[std::size_t(c)]) {
            const auto *image = all.pixels.data() + i * all.rows * all.cols;
            pixels.insert(pixels.end(), image, image + all.rows * all.cols);
            labels.push_back(std::uint8_t(all.labels[std::size_t(i)]));
        }
        const QString folder = dir_.filePath(QStringLiteral("client-%1-of-%2").arg(c).arg(clients));
        QDir().mkpath(folder);
        const int n = int(labels.size());
        for (const char *split : {"train", "t10k"}) {
            gw::test::writeIdx(QDir(folder).filePath(QStringLiteral("%1-images-idx3-ubyte.gz").arg(QLatin1String(split))), {n, all.rows, all.cols}, pixels, true);
            gw::test::writeIdx(QDir(folder).filePath(QStringLiteral("%1-labels-idx1-ubyte.gz").arg(QLatin1String(split))), {n}, labels, true);
        }
        return folder;
    }

private Q_SLOTS:
    void initTestCase()
    {
        RunKindRegistry::instance().add(std::make_shared<FederatedKind>(), QStringLiteral("tst_federatedhosts"));
        gw::test::writeBandDataset(dir_.filePath(QStringLiteral("bands")), 300, 60);
        gw::test::writeBytes(dir_.filePath(QStringLiteral("token")), kToken + "\n");
        gw::test::writeBytes(dir_.filePath(QStringLiteral("wrong-token")), "not-the-shared-token-at-all\n");
    }

    void cleanup()
    {
        for (auto &p : processes_)
            if (p->state() != QProcess::NotRunning) {
                p->kill();
                p->waitForFinished(5000);
            }
        processes_.clear();
    }

    // The store's operations as c10d::Store's; its listener only where it was told.
    void theStoreServesItsMembersOnly()
    {
        StoreServer server(QStringLiteral("127.0.0.1"), 0, kToken);
        QVERIFY(server.port() > 0);
        const QStringList mine = listeningSockets(QCoreApplication::applicationPid());
        QVERIFY2(mine.contains(QStringLiteral("127.0.0.1:%1").arg(server.port())), qPrintable(mine.join(QLatin1Char(' '))));
        auto store = c10::make_intrusive<AuthenticatedStore>(QStringLiteral("127.0.0.1"), server.port(), QStringLiteral("w0"), kToken, std::chrono::milliseconds(500));
        store->set("a", {1, 2, 3});
        QCOMPARE(store->get("a"), (std::vector<std::uint8_t>{1, 2, 3}));
        QCOMPARE(store->add("n", 5), 5);
        QCOMPARE(store->add("n", -2), 3);
        QVERIFY(store->check({"a", "n"}));
        QVERIFY(!store->check({"a", "missing"}));
        QVERIFY(!store->waitFor({"missing"}, std::chrono::milliseconds(50)));
        QVERIFY_THROWS_EXCEPTION(Error, store->get("missing")); // after the store's 0.5 s
        QCOMPARE(store->compareSet("c", {}, {7}), (std::vector<std::uint8_t>{7}));
        QCOMPARE(store->compareSet("c", {8}, {9}), (std::vector<std::uint8_t>{7}));
        QVERIFY(store->deleteKey("c"));
        QCOMPARE(store->getNumKeys(), std::int64_t(2));
        // A key set later wakes a waiter.
        std::thread later([&server] {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
            server.set("late", {1});
        });
        QVERIFY(store->waitFor({"late"}, std::chrono::milliseconds(5000)));
        later.join();
        QCOMPARE(server.members().size(), std::size_t(1));
        QCOMPARE(server.members().front().name, QStringLiteral("w0"));

        // A wrong token is refused and logged; the proof on the wire is never the token.
        try {
            AuthenticatedStore intruder(QStringLiteral("127.0.0.1"), server.port(), QStringLiteral("intruder"), "a-guess-of-the-token-000", std::chrono::milliseconds(500));
            QFAIL("a wrong token was admitted");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("refused")) && e.message().contains(QStringLiteral("wrong token")), qPrintable(e.message()));
        }
        const QByteArray nonce(32, 'x');
        const QByteArray proof = distributed::StoreProtocol::proof(kToken, nonce, QStringLiteral("w0"));
        QCOMPARE(proof.size(), 32);
        QVERIFY(!proof.contains(kToken.left(8)));
        QVERIFY(proof != distributed::StoreProtocol::proof(kToken, QByteArray(32, 'y'), QStringLiteral("w0"))); // a fresh nonce, a fresh proof

        // A peer that speaks something else (a frame claiming 4 GB) is cut off; the store goes on.
        {
            distributed::Socket garbage = distributed::Socket::connectTo(QStringLiteral("127.0.0.1"), server.port(), 1000);
            distributed::StoreProtocol::receiveFrame(garbage.fd()); // the greeting
            const char huge[4] = {char(0xff), char(0xff), char(0xff), char(0xff)};
            QVERIFY(::send(garbage.fd(), huge, 4, MSG_NOSIGNAL) == 4);
            QVERIFY_THROWS_EXCEPTION(Error, distributed::StoreProtocol::receiveFrame(garbage.fd()));
        }
        QTRY_COMPARE(server.refusals().size(), std::size_t(2));
        QCOMPARE(server.refusals().front().name, QStringLiteral("intruder"));
        QCOMPARE(store->get("a"), (std::vector<std::uint8_t>{1, 2, 3}));
        QVERIFY_THROWS_EXCEPTION(Error, distributed::StoreProtocol::readToken(dir_.filePath(QStringLiteral("no-such-token"))));
    }

    // Gloo groups rendezvous through it: a sum over two ranks, and wire bytes gathered.
    void glooGroupsFormOverTheStore()
    {
        StoreServer server(QStringLiteral("127.0.0.1"), 0, kToken);
        std::vector<torch::Tensor> sums(2), gathered(2);
        const UpdateCodec codec(0.25, false, true);
        const auto rank = [&](int r) {
            auto store = c10::make_intrusive<AuthenticatedStore>(QStringLiteral("127.0.0.1"), server.port(), QStringLiteral("r%1").arg(r), kToken,
                                                                 std::chrono::milliseconds(10000));
            auto group = distributed::openGroup(store, "round/1/agg", r, 2, QStringLiteral("127.0.0.1"), std::chrono::milliseconds(10000));
            std::vector<at::Tensor> t{torch::full({4}, float(r + 1))};
            group->allreduce(t)->wait();
            sums[std::size_t(r)] = t[0];
            UpdateCodec mine(0.25, false, true);
            std::vector<at::Tensor> wire{mine.encode(r, torch::arange(8, torch::kFloat32) * float(r + 1)).wire()};
            std::vector<std::vector<at::Tensor>> all(1, {torch::empty_like(wire[0]), torch::empty_like(wire[0])});
            group->allgather(all, wire)->wait();
            gathered[std::size_t(r)] = codec.fromWire(all[0][1], 8).decode();
        };
        std::thread a(rank, 0), b(rank, 1);
        a.join();
        b.join();
        QVERIFY(torch::equal(sums[0], torch::full({4}, 3.0f)));
        QVERIFY(torch::equal(sums[1], sums[0]));
        // Rank 1's update, top 2 of 8 in 8 bits: 7 x 2 and 6 x 2 survive, within a quantization step.
        QVERIFY(torch::allclose(gathered[0], torch::tensor({0.f, 0.f, 0.f, 0.f, 0.f, 0.f, 12.f, 14.f}), 0, 0.1));
        QVERIFY(torch::equal(gathered[0], gathered[1]));
    }

    // Four workers over 127.0.0.1 give the simulation's accuracy for the same seed and partition;
    // every socket the coordinator and the workers listen on is on 127.0.0.1.
    void aFederationAcrossHostsMatchesTheSimulation()
    {
        const RunConfig simulated = RunConfig::fromFile(writeConfig(QStringLiteral("simulated"), QStringLiteral("simulation"), 4, 2));
        const RunSummary simulation = test::runScripted(simulated, dir_.filePath(QStringLiteral("simulation.sqlite")));
        QVERIFY2(simulation.status == QStringLiteral("completed"), qPrintable(simulation.error));

        QString log;
        const auto [coordinator, port] = startCoordinator(writeConfig(QStringLiteral("hosted"), QStringLiteral("hosts"), 4, 2),
                                                          dir_.filePath(QStringLiteral("coordinator.sqlite")), log);
        QVERIFY2(port > 0, qPrintable(log));
        std::vector<QProcess *> workers;
        for (int c = 0; c < 4; ++c)
            workers.push_back(startWorker(port, QStringLiteral("w%1").arg(c), writeClientData(c, 4), dir_.filePath(QStringLiteral("token"))));
        QStringList outside;
        while (!coordinator->waitForFinished(100)) {
            for (QProcess *p : std::vector<QProcess *>{coordinator, workers[0], workers[3]})
                for (const QString &socket : listeningSockets(p->processId()))
                    if (!socket.startsWith(QLatin1String("127.0.0.1:")))
                        outside.append(socket);
        }
        log += QString::fromUtf8(coordinator->readAllStandardError());
        QVERIFY2(coordinator->exitCode() == 0, qPrintable(log));
        QVERIFY2(outside.isEmpty(), qPrintable(outside.join(QLatin1Char(' '))));
        const QJsonObject hosted = summaryOf(coordinator).value(QStringLiteral("federated")).toObject();
        QCOMPARE(hosted.value(QStringLiteral("rounds")).toInt(), 3);
        QCOMPARE(hosted.value(QStringLiteral("updates_kept")).toInt(), 12);
        const double simulatedAccuracy = simulation.extra.value(QStringLiteral("federated")).toObject().value(QStringLiteral("accuracy")).toDouble();
        // Tolerance: the same local training on the same samples in the same order; only the order
        // of the floating-point sums in the aggregation differs (Gloo's allreduce against the mean).
        QVERIFY2(std::abs(hosted.value(QStringLiteral("accuracy")).toDouble() - simulatedAccuracy) <= 0.02,
                 qPrintable(QStringLiteral("%1 vs %2").arg(hosted.value(QStringLiteral("accuracy")).toDouble()).arg(simulatedAccuracy)));
        for (const QJsonValue &h : hosted.value(QStringLiteral("per_client")).toArray()) {
            QCOMPARE(h.toObject().value(QStringLiteral("kept")).toInt(), 3);
            QVERIFY(h.toObject().value(QStringLiteral("host_energy_j")).toDouble() > 0);
            QVERIFY(!h.toObject().value(QStringLiteral("host_energy_source")).toString().isEmpty());
        }
        for (QProcess *w : workers) {
            QVERIFY(w->waitForFinished(20000));
            QCOMPARE(w->exitCode(), 0);
        }
    }

    // A worker killed mid-round is dropped with the reason and the round completes; a worker with
    // a wrong token is refused, and the coordinator's summary says so.
    void aKilledWorkerIsDroppedAndAWrongTokenRefused()
    {
        QString log;
        const auto [coordinator, port] = startCoordinator(writeConfig(QStringLiteral("killing"), QStringLiteral("hosts"), 3, 30),
                                                          dir_.filePath(QStringLiteral("killing.sqlite")), log);
        QVERIFY2(port > 0, qPrintable(log));
        QProcess *intruder = startWorker(port, QStringLiteral("intruder"), writeClientData(0, 3), dir_.filePath(QStringLiteral("wrong-token")));
        QVERIFY(intruder->waitForFinished(60000));
        QVERIFY(intruder->exitCode() != 0);
        QVERIFY(QString::fromUtf8(intruder->readAllStandardError()).contains(QStringLiteral("wrong token")));
        std::vector<QProcess *> workers;
        for (int c = 0; c < 3; ++c)
            workers.push_back(startWorker(port, QStringLiteral("w%1").arg(c), writeClientData(c, 3), dir_.filePath(QStringLiteral("token"))));
        QString victimLog;
        for (int i = 0; i < 1200 && !victimLog.contains(QLatin1String("round 2: training")); ++i) {
            workers[1]->waitForReadyRead(50);
            victimLog += QString::fromUtf8(workers[1]->readAllStandardError());
        }
        QVERIFY2(victimLog.contains(QLatin1String("round 2: training")), qPrintable(victimLog));
        workers[1]->kill(); // SIGKILL, in the middle of its local training
        QVERIFY(coordinator->waitForFinished(120000));
        log += QString::fromUtf8(coordinator->readAllStandardError());
        QVERIFY2(coordinator->exitCode() == 0, qPrintable(log));
        const QJsonObject f = summaryOf(coordinator).value(QStringLiteral("federated")).toObject();
        QCOMPARE(f.value(QStringLiteral("rounds")).toInt(), 3);
        const QJsonObject round2 = f.value(QStringLiteral("per_round")).toArray()[1].toObject();
        QCOMPARE(round2.value(QStringLiteral("kept")).toInt(), 2);
        QVERIFY2(round2.value(QStringLiteral("dropped")).toObject().value(QStringLiteral("w1")).toString().contains(QStringLiteral("connection closed")),
                 qPrintable(QJsonDocument(round2).toJson()));
        const QJsonArray refused = f.value(QStringLiteral("refused")).toArray();
        QCOMPARE(refused.size(), 1);
        QCOMPARE(refused[0].toObject().value(QStringLiteral("name")).toString(), QStringLiteral("intruder"));
        QVERIFY(log.contains(QStringLiteral("host w1 dropped")));
    }

    void dataParallelTrainingMatchesOneProcess_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("finetune-last") << QStringLiteral("finetune");
        QTest::newRow("small CNN") << QStringLiteral("train");
    }

    // Data-parallel training with two processes (fine-tuning the bundled backbone's last block and
    // head; the small CNN from scratch) ends on the weights one process reaches with the same global
    // batch: within 1e-4, the two differing only in the order of floating-point sums (each half's
    // gradient summed by allreduce against the whole batch's in one pass). Both hosts' energy is
    // reported, and both processes end on the same weights.
    void dataParallelTrainingMatchesOneProcess()
    {
        QFETCH(QString, kind);
        const auto configJson = [&](int workers) {
            QJsonObject training{{QStringLiteral("epochs"), 2},
                                 {QStringLiteral("batch_size"), 30},
                                 {QStringLiteral("lr"), 0.01},
                                 {QStringLiteral("threads"), 1},
                                 {QStringLiteral("hosts"), QJsonObject{{QStringLiteral("workers"), workers},
                                                                      {QStringLiteral("coordinator"), QStringLiteral("127.0.0.1:29561")},
                                                                      {QStringLiteral("token_file"), dir_.filePath(QStringLiteral("token"))}}}};
            QJsonObject config{{QStringLiteral("name"), QStringLiteral("%1-%2").arg(kind).arg(workers)},
                               {QStringLiteral("kind"), kind},
                               {QStringLiteral("seed"), 5},
                               {QStringLiteral("dataset"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("fashion-mnist")},
                                                                      {QStringLiteral("path"), dir_.filePath(QStringLiteral("bands"))}}},
                               {QStringLiteral("energy"), QJsonObject{{QStringLiteral("sample_hz"), 20}}}};
            if (kind == QStringLiteral("finetune")) {
                training.insert(QStringLiteral("mode"), QStringLiteral("finetune-last"));
                training.insert(QStringLiteral("validation_fraction"), 0.2);
                config.insert(QStringLiteral("labels"), QJsonObject{{QStringLiteral("count"), 150}});
                config.insert(QStringLiteral("model"), QJsonObject{{QStringLiteral("source"), QStringLiteral("bundled")}});
            }
            config.insert(QStringLiteral("training"), training);
            return config;
        };
        const auto keptModel = [](const QString &db, qint64 run) {
            const Database store(db);
            const std::optional<ArtifactRecord> a = ArtifactRepository(store).find(run, QStringLiteral("model"), QStringLiteral("safetensors"));
            return a ? ModelExport::readSafetensors(ArtifactRepository::verifiedPath(*a, Database::cacheDirectoryOf(db))) : TrainedModel{};
        };
        const auto difference = [](const TrainedModel &a, const TrainedModel &b) {
            if (a.backbone.size() != b.backbone.size() || a.backbone.empty() || a.hasHead() != b.hasHead())
                return 1e9;
            double worst = a.hasHead() ? (a.headWeight - b.headWeight).abs().max().item<double>() : 0.0;
            for (std::size_t i = 0; i < a.backbone.size(); ++i)
                if (a.backbone[i].second.is_floating_point())
                    worst = std::max(worst, (a.backbone[i].second - b.backbone[i].second).abs().max().item<double>());
            return worst;
        };
        const QString aloneDb = dir_.filePath(kind + QStringLiteral("-alone.sqlite"));
        const RunSummary alone = test::runScripted(RunConfig::fromJson(nlohmann::json::parse(QJsonDocument(configJson(0)).toJson().toStdString()), kind),
                                                   aloneDb);
        QVERIFY2(alone.status == QStringLiteral("completed"), qPrintable(alone.error));

        const QString config = dir_.filePath(kind + QStringLiteral("-dp.json"));
        gw::test::writeBytes(config, QJsonDocument(configJson(1)).toJson());
        const QString pairDb = dir_.filePath(kind + QStringLiteral("-dp.sqlite")), workerDb = dir_.filePath(kind + QStringLiteral("-second.sqlite"));
        QProcess *coordinator = start({QStringLiteral("run"), config, QStringLiteral("--db"), pairDb, QStringLiteral("--json")});
        QProcess *worker = start({QStringLiteral("worker"), QStringLiteral("--coordinator"), QStringLiteral("127.0.0.1:29561"), QStringLiteral("--token-file"),
                                  dir_.filePath(QStringLiteral("token")), QStringLiteral("--name"), QStringLiteral("second"), QStringLiteral("--threads"),
                                  QStringLiteral("1"), QStringLiteral("--db"), workerDb});
        QVERIFY(coordinator->waitForFinished(180000));
        QVERIFY(worker->waitForFinished(60000));
        const QString log = QString::fromUtf8(coordinator->readAllStandardError());
        QVERIFY2(coordinator->exitCode() == 0, qPrintable(log));
        QVERIFY2(worker->exitCode() == 0, qPrintable(QString::fromUtf8(worker->readAllStandardError())));
        const QJsonObject summary = summaryOf(coordinator);
        const QJsonObject parallel = summary.value(QStringLiteral("data_parallel")).toObject();
        QCOMPARE(parallel.value(QStringLiteral("processes")).toInt(), 2);
        const QJsonArray hosts = parallel.value(QStringLiteral("hosts")).toArray();
        QCOMPARE(hosts.size(), 2);
        QCOMPARE(hosts[1].toObject().value(QStringLiteral("host")).toString(), QStringLiteral("second"));
        double total = 0;
        for (const QJsonValue &h : hosts) {
            QVERIFY(h.toObject().value(QStringLiteral("energy_j")).toDouble() > 0);
            QVERIFY(!h.toObject().value(QStringLiteral("source")).toString().isEmpty());
            total += h.toObject().value(QStringLiteral("energy_j")).toDouble();
        }
        QVERIFY(std::abs(parallel.value(QStringLiteral("energy_all_hosts_kwh")).toDouble() - total / 3.6e6) < 1e-12);

        const TrainedModel one = keptModel(aloneDb, alone.runId);
        const TrainedModel two = keptModel(pairDb, qint64(summary.value(QStringLiteral("run_id")).toDouble()));
        const double worst = difference(one, two);
        QVERIFY2(worst < 1e-4, qPrintable(QString::number(worst)));
        QVERIFY(difference(two, keptModel(workerDb, 1)) < 1e-6); // both processes end on the same weights
        // Both learned the bands (the comparison is not of two untouched models), to the same accuracy.
        QVERIFY2(alone.accuracy > 0.5, qPrintable(QString::number(alone.accuracy)));
        QVERIFY(std::abs(summary.value(QStringLiteral("accuracy")).toDouble() - alone.accuracy) <= 0.01);
    }

    // Data-parallel pretraining: two processes contrast the whole batch (the other's projections
    // gathered), the coordinator writes the weights where it was told and the worker in its own
    // store. Batch norm sees each process's part, so the losses are close to one process's, not equal.
    void dataParallelPretrainingRunsOnTwoProcesses()
    {
        const auto configJson = [this](int workers, const QString &output) {
            return QJsonObject{{QStringLiteral("name"), QStringLiteral("pretrain-%1").arg(workers)},
                               {QStringLiteral("kind"), QStringLiteral("pretrain")},
                               {QStringLiteral("seed"), 2},
                               {QStringLiteral("dataset"), QJsonObject{{QStringLiteral("path"), dir_.filePath(QStringLiteral("bands"))}}},
                               {QStringLiteral("pretrain"), QJsonObject{{QStringLiteral("output"), output}}},
                               {QStringLiteral("training"), QJsonObject{{QStringLiteral("epochs"), 2},
                                                                       {QStringLiteral("batch_size"), 32},
                                                                       {QStringLiteral("threads"), 1},
                                                                       {QStringLiteral("hosts"), QJsonObject{{QStringLiteral("workers"), workers},
                                                                                                            {QStringLiteral("coordinator"), QStringLiteral("127.0.0.1:29562")},
                                                                                                            {QStringLiteral("token_file"), dir_.filePath(QStringLiteral("token"))}}}}},
                               {QStringLiteral("energy"), QJsonObject{{QStringLiteral("sample_hz"), 20}}}};
        };
        const RunSummary alone = test::runScripted(
            RunConfig::fromJson(nlohmann::json::parse(QJsonDocument(configJson(0, dir_.filePath(QStringLiteral("alone.safetensors")))).toJson().toStdString()),
                                QStringLiteral("pretrain")),
            dir_.filePath(QStringLiteral("pretrain-alone.sqlite")));
        QVERIFY2(alone.status == QStringLiteral("completed"), qPrintable(alone.error));
        const QString output = dir_.filePath(QStringLiteral("pair.safetensors"));
        const QString config = dir_.filePath(QStringLiteral("pretrain-dp.json"));
        gw::test::writeBytes(config, QJsonDocument(configJson(1, output)).toJson());
        QProcess *coordinator = start({QStringLiteral("run"), config, QStringLiteral("--db"), dir_.filePath(QStringLiteral("pretrain-dp.sqlite")), QStringLiteral("--json")});
        QProcess *worker = start({QStringLiteral("worker"), QStringLiteral("--coordinator"), QStringLiteral("127.0.0.1:29562"), QStringLiteral("--token-file"),
                                  dir_.filePath(QStringLiteral("token")), QStringLiteral("--name"), QStringLiteral("second"), QStringLiteral("--threads"),
                                  QStringLiteral("1"), QStringLiteral("--db"), dir_.filePath(QStringLiteral("pretrain-second.sqlite")), QStringLiteral("--json")});
        QVERIFY(coordinator->waitForFinished(180000));
        QVERIFY(worker->waitForFinished(60000));
        QVERIFY2(coordinator->exitCode() == 0, qPrintable(QString::fromUtf8(coordinator->readAllStandardError())));
        QVERIFY2(worker->exitCode() == 0, qPrintable(QString::fromUtf8(worker->readAllStandardError())));
        const QJsonObject pair = summaryOf(coordinator), second = summaryOf(worker);
        QCOMPARE(pair.value(QStringLiteral("weights")).toString(), output);
        QVERIFY(second.value(QStringLiteral("weights")).toString() != output); // the worker's copy stays in its own store
        QCOMPARE(pair.value(QStringLiteral("data_parallel")).toObject().value(QStringLiteral("hosts")).toArray().size(), 2);
        const auto lastLoss = [](const QString &db, qint64 run) {
            const Database store(db);
            return RunRepository(store).finalMetrics(run).value(QStringLiteral("contrastive_loss"));
        };
        const double one = lastLoss(dir_.filePath(QStringLiteral("pretrain-alone.sqlite")), alone.runId);
        const double two = lastLoss(dir_.filePath(QStringLiteral("pretrain-dp.sqlite")), qint64(pair.value(QStringLiteral("run_id")).toDouble()));
        QVERIFY2(one > 0 && two > 0 && std::abs(two - one) < 0.25 * one, qPrintable(QStringLiteral("%1 vs %2").arg(one).arg(two)));
    }

    // Across network namespaces the test makes: the coordinator in one, listening on a veth
    // address (10.77.0.1) because it was told to; two workers in another (10.77.0.2), reaching it
    // over the veth pair and listening for Gloo on their own address.
    void aFederationRunsAcrossNetworkNamespaces()
    {
        QProcess probe;
        probe.start(QStringLiteral("unshare"), {QStringLiteral("-rn"), QStringLiteral("sh"), QStringLiteral("-c"),
                                                 QStringLiteral("ip link add v0 type veth peer name v1 && unshare -n true")});
        if (!probe.waitForFinished(10000) || probe.exitStatus() != QProcess::NormalExit || probe.exitCode() != 0)
            QSKIP(qPrintable(QStringLiteral("cannot make network namespaces joined by a veth pair here (unshare -rn, ip link): %1")
                                 .arg(QString::fromUtf8(probe.readAllStandardError() + probe.readAllStandardOutput()).trimmed())));
        const QString config = writeConfig(QStringLiteral("namespaced"), QStringLiteral("hosts"), 2, 1, QStringLiteral("10.77.0.1:29555"));
        const QString worker = QStringLiteral("\"%1\" worker --coordinator 10.77.0.1:29555 --token-file \"%2\" --threads 1 --name %3 --data \"%4\" --db \"%5\" &")
                                   .arg(QStringLiteral(GW_WORKBENCH_BINARY), dir_.filePath(QStringLiteral("token")));
        const QString workers = worker.arg(QStringLiteral("n0"), writeClientData(0, 2), dir_.filePath(QStringLiteral("n0.sqlite"))) +
                                worker.arg(QStringLiteral("n1"), writeClientData(1, 2), dir_.filePath(QStringLiteral("n1.sqlite")));
        gw::test::writeBytes(dir_.filePath(QStringLiteral("workers.sh")),
                             QStringLiteral("set -e\nwhile ! ip link show v1 >/dev/null 2>&1; do sleep 0.05; done\n"
                                            "ip link set lo up; ip addr add 10.77.0.2/24 dev v1; ip link set v1 up\n%1\nwait\n")
                                 .arg(workers)
                                 .toUtf8());
        gw::test::writeBytes(dir_.filePath(QStringLiteral("coordinator.sh")),
                             QStringLiteral("set -e\nip link set lo up; ip link add v0 type veth peer name v1\n"
                                            "ip addr add 10.77.0.1/24 dev v0; ip link set v0 up\n"
                                            "\"%1\" run \"%2\" --db \"%3\" --json > \"%4\" &\n"
                                            "unshare -n sh \"%5\" &\nW=$!\nsleep 0.2\nip link set v1 netns $W\nwait\n")
                                 .arg(QStringLiteral(GW_WORKBENCH_BINARY), config, dir_.filePath(QStringLiteral("ns.sqlite")),
                                      dir_.filePath(QStringLiteral("ns.json")), dir_.filePath(QStringLiteral("workers.sh")))
                                 .toUtf8());
        QProcess ns;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), dir_.path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dir_.filePath(QStringLiteral("xdg-config")));
        ns.setProcessEnvironment(env);
        ns.start(QStringLiteral("unshare"), {QStringLiteral("-rn"), QStringLiteral("sh"), dir_.filePath(QStringLiteral("coordinator.sh"))});
        QVERIFY(ns.waitForFinished(180000));
        QFile out(dir_.filePath(QStringLiteral("ns.json")));
        QVERIFY(out.open(QIODevice::ReadOnly));
        const QJsonObject f = QJsonDocument::fromJson(out.readAll().trimmed().split('\n').last()).object().value(QStringLiteral("federated")).toObject();
        QVERIFY2(f.value(QStringLiteral("rounds")).toInt() == 3, qPrintable(QString::fromUtf8(ns.readAllStandardError())));
        QCOMPARE(f.value(QStringLiteral("listen")).toString(), QStringLiteral("10.77.0.1:29555"));
        QVERIFY2(f.value(QStringLiteral("updates_kept")).toInt() == 6, QJsonDocument(f.value(QStringLiteral("per_round")).toArray()).toJson().constData());
        for (const QJsonValue &h : f.value(QStringLiteral("per_client")).toArray())
            QCOMPARE(h.toObject().value(QStringLiteral("address")).toString(), QStringLiteral("10.77.0.2"));
    }
};

QTEST_GUILESS_MAIN(TestFederatedHosts)
#include "tst_federatedhosts.moc"
