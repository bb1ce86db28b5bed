#include "HostsFederation.h"

#include "ClientSelection.h"
#include "Error.h"
#include "FederatedKind.h"
#include "FederatedSetup.h"
#include "HostRounds.h"
#include "RegionalIntensity.h"
#include "config/RunConfig.h"
#include "distributed/AuthenticatedStore.h"
#include "distributed/GlooGroup.h"
#include "distributed/StoreServer.h"
#include "models/TorchRuntime.h"
#include "util/Files.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QThread>
#include <algorithm>
#include <functional>
#include <map>
#include <random>
#include <torch/torch.h>

namespace gw::federated {

using namespace hosts;
using distributed::AuthenticatedStore;
using distributed::StoreMember;
using distributed::StoreServer;

namespace {

/// A worker seen by the coordinator, and its running totals.
struct HostTally {
    int client = 0; ///< its number: the seed of its sample order, as a simulated client's
    QString name, region, address, energySource;
    std::int64_t samples = 0;
    int selected = 0, kept = 0, dropped = 0;
    double energyJ = 0, co2eG = 0, lastDurationS = 0, lastEnergyJ = 0, utility = 0;
    bool explored = false;
    int lastSelectedRound = 0;
    QString lastDrop;
};

constexpr qint64 kHeartbeatMs = 15000; ///< a worker not heard from for this long (30 missed pings) is taken as hung

/// Why @p name is not there, or empty when it is: its connections closed, or its heartbeat stopped.
QString absence(const std::map<QString, StoreMember> &members, const QString &name)
{
    const auto it = members.find(name);
    if (it == members.end() || it->second.connections <= 0)
        return QStringLiteral("left: its connection closed");
    const qint64 silent = StoreServer::steadyMs() - it->second.lastSeenSteadyMs;
    if (silent > kHeartbeatMs)
        return QStringLiteral("hung: no heartbeat for %1 s").arg(silent / 1000.0, 0, 'f', 1);
    return QString();
}

std::map<QString, StoreMember> membersByName(const StoreServer &server)
{
    std::map<QString, StoreMember> out;
    for (const StoreMember &m : server.members())
        out[m.name] = m;
    return out;
}

} // namespace

WorkOutcome HostsFederation::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    TorchRuntime::prepareForWork(config.training.threads);
    QElapsedTimer wall;
    wall.start();
    WorkOutcome outcome;
    const int rounds = int(parameter<std::int64_t>(config, "federated.rounds"));
    const ClientInputs inputs = imageInputs(context); // the coordinator tests on the test split and normalises as its training split says
    const int classes = inputs.classes();
    StartingModel start = startingModel(context, inputs, classes);
    FederatedModel &model = start.model;
    const LocalTraining local = localTrainingOf(config);
    ServerOptimizer server = serverOptimizerOf(config);
    const UpdateCodec codec = codecOf(config);
    const std::int64_t keptEntries = codec.keptCount(model.size());
    const bool eightBit = parameter<bool>(config, "federated.eight_bit");
    const bool dense = keptEntries == model.size() && !eightBit;
    const std::int64_t updateBytes = codec.wireBytesFor(model.size());
    const QString forecastPath = textParameter(config, "federated.forecast");
    const RegionalIntensity grid = forecastPath.isEmpty() ? RegionalIntensity() : RegionalIntensity::fromForecastCsv(readWholeFile(forecastPath), forecastPath);
    const double deadlineS = parameter<double>(config, "federated.deadline_s") > 0 ? parameter<double>(config, "federated.deadline_s") : 600;
    const auto joinMs = std::chrono::milliseconds(qint64(parameter<double>(config, "federated.join_s") * 1000));
    const int minHosts = int(parameter<std::int64_t>(config, "federated.min_hosts"));
    const double hostsWaitS = parameter<double>(config, "federated.hosts_wait_s");

    // The store: on the address configured, nowhere else; the coordinator is a client of its own.
    const auto [host, port] = distributed::hostAndPort(textParameter(config, "federated.listen"), QStringLiteral("federated.listen"));
    const QByteArray token = distributed::StoreProtocol::readToken(textParameter(config, "federated.token_file"));
    StoreServer store(host, port, token);
    context.notice(QStringLiteral("coordinator listening on %1:%2 for workers").arg(host).arg(store.port()));
    auto own = c10::make_intrusive<AuthenticatedStore>(host, store.port(), QStringLiteral("coordinator"), token, joinMs + std::chrono::seconds(10));
    store.set(Keys::model(), toBytes({{QStringLiteral("rows"), inputs.spec.rows},
                                      {QStringLiteral("cols"), inputs.spec.cols},
                                      {QStringLiteral("classes"), classes},
                                      {QStringLiteral("mean"), inputs.spec.mean.front()},
                                      {QStringLiteral("std"), inputs.spec.std.front()},
                                      {QStringLiteral("top_k"), parameter<double>(config, "federated.top_k")},
                                      {QStringLiteral("error_feedback"), parameter<bool>(config, "federated.error_feedback")},
                                      {QStringLiteral("eight_bit"), eightBit}}));
    context.workStarts();

    // The hosts: numbered as they register (those there at the start by name, for a seeded order).
    std::map<QString, HostTally> tally;
    const auto registerNewHosts = [&]() {
        QStringList fresh;
        for (const std::string &key : store.keysStartingWith("hosts/")) {
            const QString name = QString::fromStdString(key.substr(6));
            if (!tally.count(name))
                fresh.append(name);
        }
        fresh.sort();
        for (const QString &name : fresh) {
            const QJsonObject r = fromBytes(store.value(Keys::host(name)), QStringLiteral("host %1's registration").arg(name));
            HostTally t;
            t.client = int(tally.size());
            t.name = name;
            t.samples = qint64(r.value(QStringLiteral("samples")).toDouble());
            t.region = r.value(QStringLiteral("region")).toString();
            t.address = r.value(QStringLiteral("address")).toString();
            t.energySource = r.value(QStringLiteral("energy_source")).toString();
            tally[name] = t;
            context.notice(QStringLiteral("host %1 joined from %2 (%3 samples, grid %4)").arg(name, t.address).arg(t.samples).arg(t.region));
        }
    };
    QElapsedTimer waiting;
    waiting.start();
    context.setWaiting(true);
    while (!context.cancelFlag().load()) {
        registerNewHosts();
        if (int(tally.size()) >= minHosts)
            break;
        if (waiting.elapsed() > hostsWaitS * 1000)
            throw Error(QStringLiteral("%1 of the %2 hosts federated.min_hosts asks for joined within %3 s (federated.hosts_wait_s)")
                            .arg(tally.size())
                            .arg(minHosts)
                            .arg(hostsWaitS));
        context.progress({0, double(rounds), QStringLiteral("waiting for hosts: %1 of %2 joined").arg(tally.size()).arg(minHosts)});
        QThread::msleep(200);
    }
    context.setWaiting(false);

    torch::Tensor global = model.weights();
    std::mt19937_64 selectionRng(config.seed ^ 0x73656c6563742121ULL);
    std::optional<double> accuracy;
    double totalUplink = 0, totalDownlink = 0, hostsEnergyJ = 0, hostsCo2e = 0;
    int roundsDone = 0, keptUpdates = 0, droppedUpdates = 0;
    QJsonArray roundLog;
    std::optional<int> reachedRound;
    const double target = parameter<double>(config, "federated.target_accuracy");
    const auto reportHost = [&](const HostTally &t, int round, const std::map<QString, StoreMember> &members) {
        WorkStep step(QStringLiteral("round"), round, rounds, QStringLiteral("host %1").arg(t.name));
        step.detail = true;
        const auto m = members.find(t.name);
        step.add(QStringLiteral("selected"), t.selected)
            .add(QStringLiteral("kept"), t.kept)
            .add(QStringLiteral("dropped"), t.dropped)
            .add(QStringLiteral("host_energy_j"), t.energyJ)
            .add(QStringLiteral("host_co2e_g"), t.co2eG)
            .add(QStringLiteral("online"), absence(members, t.name).isEmpty() ? 1 : 0)
            .add(QStringLiteral("last_seen_s_ago"), m == members.end() ? -1 : (StoreServer::steadyMs() - m->second.lastSeenSteadyMs) / 1000.0)
            .add(QStringLiteral("samples"), double(t.samples));
        context.stepFinished(step);
    };

    // Waits up to @p ms until each of @p names has posted its key (or is gone); returns those that
    // posted and records why the others are dropped (@p late when they are there but did not post).
    const auto settle = [&](const QStringList &names, const std::function<std::string(const QString &)> &keyOf, double ms, const QString &late,
                            std::map<QString, QString> &dropped) {
        QElapsedTimer clock;
        clock.start();
        QStringList posted;
        std::map<QString, StoreMember> now;
        for (;;) {
            now = membersByName(store);
            posted.clear();
            int settled = 0;
            for (const QString &n : names) {
                const bool has = store.has(keyOf(n));
                if (has)
                    posted.append(n);
                if (has || !absence(now, n).isEmpty())
                    ++settled;
            }
            if (settled == names.size() || clock.elapsed() > ms || context.cancelFlag().load())
                break;
            QThread::msleep(50);
        }
        for (const QString &n : names)
            if (!posted.contains(n)) {
                const QString why = absence(now, n);
                dropped[n] = why.isEmpty() ? late : why;
            }
        return posted;
    };

    for (int round = 1; round <= rounds && !context.cancelFlag().load(); ++round) {
        QElapsedTimer roundClock;
        roundClock.start();
        registerNewHosts();
        std::map<QString, StoreMember> members = membersByName(store);
        const double hour = QTime::currentTime().msecsSinceStartOfDay() / 3.6e6;
        std::vector<Candidate> candidates;
        std::map<int, QString> nameOf;
        for (const auto &[name, t] : tally) {
            if (!absence(members, name).isEmpty())
                continue;
            nameOf[t.client] = name;
            candidates.push_back({t.client, t.samples, t.lastDurationS > 0 ? t.lastDurationS : 1.0, t.lastEnergyJ > 0 ? t.lastEnergyJ : 1.0,
                                  grid.at(t.region, hour), t.utility, t.explored, t.lastSelectedRound});
        }
        if (candidates.empty()) {
            context.notice(QStringLiteral("round %1: no host is online; the run ends here").arg(round));
            break;
        }
        const int perRound = parameter<std::int64_t>(config, "federated.per_round") > 0
                                 ? int(parameter<std::int64_t>(config, "federated.per_round"))
                                 : std::max(1, int(std::lround(parameter<double>(config, "federated.fraction") * double(candidates.size()))));
        const std::vector<int> chosen = ClientSelection::select(candidates, round, selectionOf(config, perRound, int(tally.size())), selectionRng);
        QJsonObject clients;
        for (int c : chosen)
            clients.insert(nameOf[c], c);
        store.set(Keys::current(), [&] { const std::string r = std::to_string(round); return std::vector<std::uint8_t>(r.begin(), r.end()); }());
        store.set(Keys::plan(round), toBytes({{QStringLiteral("round"), round},
                                              {QStringLiteral("clients"), clients},
                                              {QStringLiteral("seed"), double(config.seed)},
                                              {QStringLiteral("join_ms"), double(joinMs.count())},
                                              {QStringLiteral("deadline_ms"), deadlineS * 1000},
                                              {QStringLiteral("local"), QJsonObject{{QStringLiteral("epochs"), local.epochs},
                                                                                    {QStringLiteral("batch_size"), local.batchSize},
                                                                                    {QStringLiteral("lr"), local.learningRate},
                                                                                    {QStringLiteral("mu"), local.proximalMu}}}}));
        context.progress({double(round - 1), double(rounds), QStringLiteral("round %1 of %2: %3 hosts asked").arg(round).arg(rounds).arg(chosen.size())});

        // Who answers within the join window goes; the others are dropped for this round.
        std::map<QString, QString> dropped; // name -> why
        const QStringList going = settle(clients.keys(), [round](const QString &n) { return Keys::ready(round, n); }, double(joinMs.count()),
                                         QStringLiteral("did not answer within %1 s").arg(joinMs.count() / 1000.0), dropped);
        QJsonObject go;
        for (int i = 0; i < going.size(); ++i)
            go.insert(going[i], i + 1);
        store.set(Keys::go(round), toBytes(go));

        // The global weights to those going.
        std::vector<torch::Tensor> updates;
        std::vector<double> weights;
        double roundUplink = 0, roundDownlink = 0, roundEnergyJ = 0, roundCo2e = 0;
        QStringList done;
        if (!going.isEmpty()) {
            QStringList broadcastTo = going;
            try {
                auto group = distributed::openGroup(own, Keys::group(round, "bcast"), 0, int(going.size()) + 1, host, joinMs + std::chrono::seconds(5));
                std::vector<at::Tensor> sent{global.clone()};
                group->broadcast(sent)->wait();
                roundDownlink += double(going.size()) * 4.0 * double(model.size());
            } catch (const std::exception &e) {
                context.notice(QStringLiteral("round %1: the broadcast failed (%2)").arg(round).arg(QString::fromUtf8(e.what())));
                for (const QString &n : going)
                    dropped[n] = QStringLiteral("the broadcast failed");
                broadcastTo.clear();
            }
            // Until every one is done or gone, or the deadline.
            done = settle(broadcastTo, [round](const QString &n) { return Keys::done(round, n); }, deadlineS * 1000,
                          QStringLiteral("past the deadline (%1 s)").arg(deadlineS), dropped);
        }
        // The updates of those done: summed (weighted) or gathered in a second group.
        QJsonObject aggregate;
        for (int i = 0; i < done.size(); ++i)
            aggregate.insert(done[i], i + 1);
        store.set(Keys::aggregate(round), toBytes(aggregate));
        double totalSamples = 0;
        std::map<QString, QJsonObject> reports;
        for (const QString &n : done) {
            reports[n] = fromBytes(store.value(Keys::done(round, n)), QStringLiteral("host %1's report").arg(n));
            totalSamples += reports[n].value(QStringLiteral("samples")).toDouble();
        }
        bool combined = false;
        if (!done.isEmpty()) {
            try {
                auto group = distributed::openGroup(own, Keys::group(round, "agg"), 0, int(done.size()) + 1, host, joinMs + std::chrono::seconds(5));
                if (dense) {
                    std::vector<at::Tensor> sum{torch::zeros({model.size()})};
                    group->allreduce(sum)->wait();
                    updates.push_back(sum[0] / totalSamples);
                    weights.push_back(1);
                } else {
                    std::vector<at::Tensor> mine{torch::zeros({updateBytes}, torch::kUInt8)};
                    std::vector<std::vector<at::Tensor>> all(1);
                    for (int r = 0; r <= done.size(); ++r)
                        all[0].push_back(torch::empty_like(mine[0]));
                    group->allgather(all, mine)->wait();
                    for (int r = 1; r <= done.size(); ++r) {
                        updates.push_back(codec.fromWire(all[0][std::size_t(r)], model.size()).decode());
                        weights.push_back(reports[done[r - 1]].value(QStringLiteral("samples")).toDouble());
                    }
                }
                roundUplink += double(done.size()) * double(updateBytes);
                combined = true;
            } catch (const std::exception &e) {
                context.notice(QStringLiteral("round %1: combining the updates failed (%2); the global model stays as it was")
                                   .arg(round)
                                   .arg(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
                for (const QString &n : done)
                    dropped[n] = QStringLiteral("the aggregation failed");
            }
        }
        if (combined)
            server.step(global, weightedMean(updates, weights));
        else
            context.notice(QStringLiteral("round %1: no update arrived; the global model stays as it was").arg(round));

        // Figures: each host's measured energy at its grid's intensity.
        for (auto it = clients.begin(); it != clients.end(); ++it) {
            HostTally &t = tally[it.key()];
            ++t.selected;
            t.lastSelectedRound = round;
            if (reports.count(t.name)) {
                const QJsonObject &r = reports[t.name];
                t.lastEnergyJ = r.value(QStringLiteral("energy_j")).toDouble();
                t.lastDurationS = r.value(QStringLiteral("duration_s")).toDouble();
                t.utility = r.value(QStringLiteral("utility")).toDouble();
                t.explored = true;
                t.energySource = r.value(QStringLiteral("energy_source")).toString();
                const double co2e = t.lastEnergyJ / 3.6e6 * grid.at(t.region, hour);
                t.energyJ += t.lastEnergyJ;
                t.co2eG += co2e;
                roundEnergyJ += t.lastEnergyJ;
                roundCo2e += co2e;
            }
            if (dropped.count(t.name)) {
                ++t.dropped;
                t.lastDrop = QStringLiteral("round %1: %2").arg(round).arg(dropped[t.name]);
                context.notice(QStringLiteral("round %1: host %2 dropped (%3)").arg(round).arg(t.name, dropped[t.name]));
            } else {
                ++t.kept;
            }
        }
        keptUpdates += combined ? int(done.size()) : 0;
        droppedUpdates += int(dropped.size());
        totalUplink += roundUplink;
        totalDownlink += roundDownlink;
        hostsEnergyJ += roundEnergyJ;
        hostsCo2e += roundCo2e;
        roundsDone = round;
        {
            MeasuredWindow window(context, QStringLiteral("eval"));
            model.setWeights(global);
            accuracy = model.accuracy(inputs.testX, inputs.testY);
        }
        if (!reachedRound && *accuracy >= target)
            reachedRound = round;
        const double roundS = roundClock.nsecsElapsed() / 1e9;
        WorkStep step(QStringLiteral("round"), round, rounds);
        step.add(QStringLiteral("test_accuracy"), *accuracy)
            .add(QStringLiteral("hosts_energy_j"), hostsEnergyJ)
            .add(QStringLiteral("hosts_co2e_g"), hostsCo2e)
            .add(QStringLiteral("machine_energy_j"), context.energyJ())
            .add(QStringLiteral("machine_co2e_g"), context.emissionsG())
            .add(QStringLiteral("clients_kept"), combined ? done.size() : 0)
            .add(QStringLiteral("clients_dropped"), double(dropped.size()))
            .add(QStringLiteral("uplink_bytes"), totalUplink)
            .add(QStringLiteral("downlink_bytes"), totalDownlink)
            .add(QStringLiteral("round_s"), roundS);
        context.stepFinished(step);
        members = membersByName(store);
        for (const auto &[name, t] : tally)
            reportHost(t, round, members);
        QJsonObject droppedJson;
        for (const auto &[name, why] : dropped)
            droppedJson.insert(name, why);
        roundLog.append(QJsonObject{{QStringLiteral("round"), round},
                                    {QStringLiteral("selected"), clients.size()},
                                    {QStringLiteral("kept"), combined ? done.size() : 0},
                                    {QStringLiteral("dropped"), droppedJson},
                                    {QStringLiteral("duration_s"), roundS},
                                    {QStringLiteral("uplink_bytes"), roundUplink},
                                    {QStringLiteral("downlink_bytes"), roundDownlink},
                                    {QStringLiteral("hosts_energy_j"), roundEnergyJ},
                                    {QStringLiteral("test_accuracy"), *accuracy}});
        context.progress({double(round), double(rounds), QStringLiteral("round %1 of %2 done").arg(round).arg(rounds)});
    }
    store.set(Keys::end(), {1});
    outcome.cancelled = context.cancelFlag().load();
    // The workers see the end within their next poll and leave; the store stays up until they have.
    QElapsedTimer leaving;
    leaving.start();
    while (leaving.elapsed() < 5000) {
        const std::vector<StoreMember> now = store.members();
        if (std::none_of(now.begin(), now.end(), [](const StoreMember &m) { return m.name != QLatin1String("coordinator") && m.connections > 0; }))
            break;
        QThread::msleep(50);
    }

    QJsonArray perClient;
    const std::map<QString, StoreMember> members = membersByName(store);
    for (const auto &[name, t] : tally) {
        const auto m = members.find(name);
        QJsonObject entry{{QStringLiteral("client"), t.client},
                          {QStringLiteral("host"), name},
                          {QStringLiteral("address"), t.address},
                          {QStringLiteral("region"), t.region},
                          {QStringLiteral("samples"), qint64(t.samples)},
                          {QStringLiteral("selected"), t.selected},
                          {QStringLiteral("kept"), t.kept},
                          {QStringLiteral("dropped"), t.dropped},
                          {QStringLiteral("host_energy_j"), t.energyJ},
                          {QStringLiteral("host_energy_source"), t.energySource},
                          {QStringLiteral("host_co2e_g"), t.co2eG},
                          {QStringLiteral("last_seen"), m == members.end() ? QJsonValue() : QJsonValue(QDateTime::fromMSecsSinceEpoch(m->second.lastSeenMs).toString(Qt::ISODateWithMs))}};
        if (!t.lastDrop.isEmpty())
            entry.insert(QStringLiteral("last_drop"), t.lastDrop);
        perClient.append(entry);
    }
    QJsonArray described;
    for (const auto &[name, t] : tally)
        described.append(QJsonObject{{QStringLiteral("scope"), QStringLiteral("host %1").arg(name)},
                                     {QStringLiteral("description"), QStringLiteral("%1 on the %2 grid, %3 samples, energy %4%5")
                                                                         .arg(t.address, t.region)
                                                                         .arg(t.samples)
                                                                         .arg(t.energySource)
                                                                         .arg(t.lastDrop.isEmpty() ? QString() : QStringLiteral("; last dropped in ") + t.lastDrop)}});
    keepClientsTable(context, described);
    QJsonArray refused;
    for (const distributed::StoreRefusal &r : store.refusals()) {
        refused.append(QJsonObject{{QStringLiteral("name"), r.name}, {QStringLiteral("address"), r.address}, {QStringLiteral("reason"), r.reason},
                                   {QStringLiteral("at"), QDateTime::fromMSecsSinceEpoch(r.atMs).toString(Qt::ISODateWithMs)}});
        context.notice(QStringLiteral("refused %1 from %2: %3").arg(r.name.isEmpty() ? QStringLiteral("a connection") : r.name, r.address, r.reason));
    }
    outcome.accuracy = accuracy;
    for (const auto &[name, t] : tally)
        outcome.labelsUsed += t.samples; // the hosts' own labelled samples, which never left them
    if (reachedRound)
        context.metric(roundsDone, QStringLiteral("rounds_to_target"), *reachedRound);
    QJsonObject &s = outcome.summary;
    s.insert(QStringLiteral("model_source"), config.model.source);
    s.insert(QStringLiteral("model_origin"), start.origin);
    s.insert(QStringLiteral("federated"),
             QJsonObject{{QStringLiteral("backend"), QStringLiteral("hosts")},
                         {QStringLiteral("listen"), QStringLiteral("%1:%2").arg(host).arg(store.port())},
                         {QStringLiteral("rounds"), roundsDone},
                         {QStringLiteral("hosts"), int(tally.size())},
                         {QStringLiteral("algorithm"), QString::fromStdString(parameter<std::string>(config, "federated.algorithm"))},
                         {QStringLiteral("selection"), QString::fromStdString(parameter<std::string>(config, "federated.selection"))},
                         {QStringLiteral("accuracy"), accuracy ? QJsonValue(*accuracy) : QJsonValue()},
                         {QStringLiteral("target_accuracy"), target},
                         {QStringLiteral("rounds_to_target"), reachedRound ? QJsonValue(*reachedRound) : QJsonValue()},
                         {QStringLiteral("updates_kept"), keptUpdates},
                         {QStringLiteral("updates_dropped"), droppedUpdates},
                         {QStringLiteral("hosts_energy_j"), hostsEnergyJ},
                         {QStringLiteral("hosts_co2e_g"), hostsCo2e},
                         {QStringLiteral("hosts_note"), QStringLiteral("each host's training energy as its own monitor measured or estimated it (host_energy_source), "
                                                                       "at its grid's intensity; never added to this machine's energy")},
                         {QStringLiteral("machine_energy_j"), context.energyJ()},
                         {QStringLiteral("machine_energy_source"), context.energySource()},
                         {QStringLiteral("uplink_bytes"), totalUplink},
                         {QStringLiteral("downlink_bytes"), totalDownlink},
                         {QStringLiteral("update_bytes"), double(updateBytes)},
                         {QStringLiteral("update_exchange"), dense ? QStringLiteral("allreduce of float32 updates weighted by samples")
                                                                   : QStringLiteral("allgather of each update's wire bytes")},
                         {QStringLiteral("wall_s"), wall.nsecsElapsed() / 1e9},
                         {QStringLiteral("per_round"), roundLog},
                         {QStringLiteral("per_client"), perClient},
                         {QStringLiteral("refused"), refused}});
    if (!outcome.cancelled && roundsDone > 0)
        keepFinalModel(context, model, global, inputs, s);
    return outcome;
}

} // namespace gw::federated
