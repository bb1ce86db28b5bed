#include "FederatedWork.h"

#include "ClientPartition.h"
#include "ClientSelection.h"
#include "DeviceProfiles.h"
#include "Error.h"
#include "FederatedKind.h"
#include "FederatedSetup.h"
#include "LocalTraining.h"
#include "RegionalIntensity.h"
#include "RoundClock.h"
#include "ServerOptimizer.h"
#include "UpdateCodec.h"
#include "config/RunConfig.h"
#include "models/GwMobileNet.h"
#include "models/TorchRuntime.h"
#include "util/Files.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <cmath>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw::federated {

namespace {

/// Each client's device: a profile drawn by the profiles' shares, its speed and bandwidth varied
/// by a log-normal factor of sigma @p spread (seeded), so clients of one class are not all alike.
std::vector<DeviceProfile> assignDevices(const std::vector<DeviceProfile> &profiles, int clients, double spread, std::uint64_t seed)
{
    std::mt19937_64 rng(seed ^ 0x6465766963657321ULL);
    std::vector<double> shares;
    for (const DeviceProfile &p : profiles)
        shares.push_back(p.share);
    if (std::accumulate(shares.begin(), shares.end(), 0.0) <= 0)
        shares.assign(shares.size(), 1.0);
    std::discrete_distribution<std::size_t> draw(shares.begin(), shares.end());
    std::normal_distribution<double> normal(0.0, 1.0);
    std::vector<DeviceProfile> devices;
    for (int c = 0; c < clients; ++c) {
        DeviceProfile d = profiles[draw(rng)];
        const double speed = std::exp(spread * normal(rng)), link = std::exp(spread * normal(rng));
        d.secondsPerSample *= speed;
        d.uplinkMbps /= link;
        d.downlinkMbps /= link;
        devices.push_back(d);
    }
    return devices;
}

/// The partition the config asks for, over @p labels.
Partition partitionOf(const RunConfig &config, const torch::Tensor &labels, int clients)
{
    const std::int64_t n = labels.size(0);
    if (clients > n)
        throw Error(QStringLiteral("%1 clients but only %2 training samples: every client needs at least one (fewer clients, or more data)")
                        .arg(clients)
                        .arg(n));
    const std::string kind = parameter<std::string>(config, "federated.partition");
    if (kind == "iid")
        return ClientPartition::iid(n, clients, config.seed);
    const std::vector<std::int64_t> y(labels.data_ptr<std::int64_t>(), labels.data_ptr<std::int64_t>() + n);
    if (kind == "dirichlet")
        return ClientPartition::dirichlet(y, clients, parameter<double>(config, "federated.alpha"), config.seed,
                                          int(parameter<std::int64_t>(config, "federated.min_size")));
    return ClientPartition::shards(y, clients, config.seed, int(parameter<std::int64_t>(config, "federated.shards_per_client")));
}

/// What the small CNN's training step costs on a 28x28 image, in multiply-adds: the unit of the
/// profiles' seconds_per_sample, which other models' compute is scaled by.
double referenceStepMultiplyAdds()
{
    return 3.0 * double(SmallCnnImpl::multiplyAdds(28, 28, 10)); // forward, and backward at about twice that
}

/// Multiply-adds of @p backbone's forward pass over one image.
double backboneMultiplyAdds(const Backbone &backbone)
{
    if (backbone.architecture() != QStringLiteral("gw-mobilenet"))
        throw Error(QStringLiteral("a federation over a %1 backbone: its clients' compute is not modelled (only gw-mobilenet's is)").arg(backbone.architecture()));
    const InputSpec in = backbone.input();
    return double(GwMobileNetImpl::multiplyAdds(in.channels, in.rows, in.cols));
}

/// What the server knows of a client, and the client's running totals.
struct ClientTally {
    std::vector<std::int64_t> train, holdout;
    torch::Tensor trainIndex, holdoutIndex;
    DeviceProfile device;
    int selected = 0, kept = 0, dropped = 0;
    QString lastDrop;
    double modelledJ = 0, co2eG = 0, machineJ = 0;
    double utility = 0;
    bool explored = false;
    bool featuresKept = false; ///< over features: it has the backbone and its samples' features
    int lastSelectedRound = 0;
    std::optional<double> accuracy; ///< the global model on its held-out share, last evaluated
};

torch::Tensor indexTensor(const std::vector<std::int64_t> &v)
{
    return torch::tensor(torch::ArrayRef<std::int64_t>(v.data(), v.size()), torch::kInt64);
}

/// The round figures reached at a moment: for the target's row of the summary.
struct Reached {
    int round = 0;
    double co2eG = 0, modelledJ = 0, machineJ = 0, wallS = 0, uplinkBytes = 0, simulatedH = 0;
    QJsonObject toJson() const
    {
        return {{QStringLiteral("round"), round},           {QStringLiteral("modelled_co2e_g"), co2eG},
                {QStringLiteral("modelled_energy_j"), modelledJ}, {QStringLiteral("machine_energy_j"), machineJ},
                {QStringLiteral("wall_s"), wallS},          {QStringLiteral("uplink_bytes"), uplinkBytes},
                {QStringLiteral("simulated_hours"), simulatedH}};
    }
};

} // namespace

WorkOutcome FederatedWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    TorchRuntime::prepareForWork(config.training.threads);
    QElapsedTimer wall;
    wall.start();
    WorkOutcome outcome;
    const int clients = int(parameter<std::int64_t>(config, "federated.clients"));
    const int perRound = FederatedKind::clientsPerRound(config);
    const int rounds = int(parameter<std::int64_t>(config, "federated.rounds"));

    // What the clients train on: normalised images, or features of the frozen bundled backbone.
    const bool overFeatures = config.model.source == QStringLiteral("bundled");
    ClientInputs inputs = overFeatures ? featureInputs(context, outcome.summary) : imageInputs(context);
    if (!inputs.trainX.defined()) {
        outcome.cancelled = true;
        return outcome;
    }
    const torch::Tensor &trainX = inputs.trainX, &testX = inputs.testX, &trainY = inputs.trainY, &testY = inputs.testY;
    const int classes = inputs.classes();

    // Partition, devices and grids: inside the data window.
    MeasuredWindow loading(context, QStringLiteral("data"));
    const Partition partition = partitionOf(config, trainY, clients);
    const QString profilesPath = textParameter(config, "federated.profiles");
    const std::vector<DeviceProfile> profiles =
        profilesPath.isEmpty() ? readDeviceProfiles(bundledDeviceProfiles(), QStringLiteral("the bundled device profiles"))
                               : readDeviceProfiles(readWholeFile(profilesPath), profilesPath);
    const QString forecastPath = textParameter(config, "federated.forecast");
    const RegionalIntensity grid = forecastPath.isEmpty() ? RegionalIntensity() : RegionalIntensity::fromForecastCsv(readWholeFile(forecastPath), forecastPath);
    const std::vector<DeviceProfile> devices = assignDevices(profiles, clients, parameter<double>(config, "federated.device_spread"), config.seed);
    const double holdout = parameter<double>(config, "federated.holdout");
    std::vector<ClientTally> tally(static_cast<std::size_t>(clients));
    for (int c = 0; c < clients; ++c) {
        ClientTally &t = tally[std::size_t(c)];
        t.device = devices[std::size_t(c)];
        const std::vector<std::int64_t> &mine = partition[std::size_t(c)];
        // Its held-out share: the last of its (already shuffled) samples, never all of them.
        const std::size_t kept = mine.size() <= 1 ? mine.size() : std::max<std::size_t>(1, mine.size() - std::size_t(std::floor(holdout * double(mine.size()))));
        t.train.assign(mine.begin(), mine.begin() + std::ptrdiff_t(kept));
        t.holdout.assign(mine.begin() + std::ptrdiff_t(kept), mine.end());
        t.trainIndex = indexTensor(t.train);
        t.holdoutIndex = indexTensor(t.holdout);
    }

    // The model to start from.
    StartingModel start = startingModel(context, inputs, classes);
    FederatedModel &model = start.model;
    const QString modelOrigin = start.origin;
    loading.finish();
    context.workStarts();

    LocalTraining local = localTrainingOf(config);
    const QString algorithm = QString::fromStdString(parameter<std::string>(config, "federated.algorithm"));
    ServerOptimizer server = serverOptimizerOf(config);
    const double serverLr = server.learningRate();
    UpdateCodec codec = codecOf(config);
    SelectionOptions selection = selectionOf(config, perRound, clients);
    std::mt19937_64 selectionRng(config.seed ^ 0x73656c6563742121ULL);

    RoundPlan plan;
    plan.localEpochs = local.epochs;
    plan.deadlineS = parameter<double>(config, "federated.deadline_s");
    plan.downlinkBytes = 4 * model.size(); // the global model in float32
    plan.keepFirst = selection.overcommit > 1 ? perRound : 0;
    plan.intensity = [&grid](const QString &region, double hour) { return grid.at(region, hour); };
    const std::int64_t uplinkBytes = codec.wireBytesFor(model.size());
    // The clients' compute, in the profiles' unit (a small-CNN training step on a 28x28 image):
    // this model's training per sample and, over features, each client's one-off download of the
    // frozen backbone and its forward pass over all its samples before its first round.
    const double stepsPerSample = double(model.multiplyAdds()) * 3.0 / referenceStepMultiplyAdds();
    const double setupStepsPerSample = overFeatures ? backboneMultiplyAdds(*inputs.backbone) / referenceStepMultiplyAdds() : 0;
    std::int64_t backboneBytes = 0;
    if (overFeatures)
        for (const auto &entry : inputs.backbone->stateDict())
            backboneBytes += entry.second.numel() * std::int64_t(entry.second.element_size());
    const double intervalH = parameter<double>(config, "federated.round_interval_min") / 60.0;
    const int evalEvery = int(parameter<std::int64_t>(config, "federated.eval_every"));
    const int clientEvalEvery = int(parameter<std::int64_t>(config, "federated.client_eval_every"));
    const double target = parameter<double>(config, "federated.target_accuracy");
    const bool stopAtTarget = parameter<bool>(config, "federated.stop_at_target");

    torch::Tensor global = model.weights();
    const double startHour = parameter<double>(config, "federated.start_hour");
    double clockH = startHour;
    double totalCo2e = 0, totalModelledJ = 0, totalUplink = 0, totalDownlink = 0;
    double simulatingS = 0; // this machine's time in the clients' training and the aggregation
    int roundsDone = 0, keptUpdates = 0, droppedUpdates = 0, skippedHours = 0;
    std::optional<double> accuracy;
    std::optional<Reached> reached;
    QJsonArray roundLog;
    const double totalWork = double(rounds) * perRound;
    const auto report = [&](double done, const QString &message) {
        WorkProgress p{done, totalWork, message};
        p.mayEndEarly = stopAtTarget;
        context.progress(p);
    };
    // A client's running totals as a step of its own (scope "client N"): the live per-client view
    // and, as its last values, the client's figures in the store.
    const auto reportClient = [&](int c, int round) {
        const ClientTally &t = tally[std::size_t(c)];
        WorkStep step(QStringLiteral("round"), round, rounds, QStringLiteral("client %1").arg(c));
        step.detail = true;
        if (t.accuracy)
            step.add(QStringLiteral("held_out_accuracy"), *t.accuracy);
        step.add(QStringLiteral("modelled_co2e_g"), t.co2eG)
            .add(QStringLiteral("modelled_energy_j"), t.modelledJ)
            .add(QStringLiteral("machine_energy_j"), t.machineJ)
            .add(QStringLiteral("selected"), t.selected)
            .add(QStringLiteral("dropped"), t.dropped)
            .add(QStringLiteral("samples"), double(t.train.size()));
        context.stepFinished(step);
    };
    const auto evaluateClients = [&](int round) {
        MeasuredWindow window(context, QStringLiteral("eval"));
        model.setWeights(global);
        for (ClientTally &t : tally)
            if (!t.holdout.empty())
                t.accuracy = model.accuracy(trainX.index_select(0, t.holdoutIndex), trainY.index_select(0, t.holdoutIndex));
        std::vector<double> values;
        for (const ClientTally &t : tally)
            if (t.accuracy)
                values.push_back(*t.accuracy);
        if (!values.empty()) {
            std::sort(values.begin(), values.end());
            context.metric(round, QStringLiteral("client_accuracy_mean"), std::accumulate(values.begin(), values.end(), 0.0) / double(values.size()));
            context.metric(round, QStringLiteral("client_accuracy_p10"), values[values.size() / 10]);
        }
        for (int c = 0; c < clients; ++c)
            reportClient(c, round);
    };

    const auto roundClient = [&](int c) {
        const ClientTally &t = tally[std::size_t(c)];
        RoundClient rc{c, t.device, std::int64_t(t.train.size()), uplinkBytes};
        rc.stepsPerSample = stepsPerSample;
        if (!t.featuresKept) {
            rc.setupSteps = setupStepsPerSample * double(t.train.size() + t.holdout.size());
            rc.setupBytes = backboneBytes;
        }
        return rc;
    };

    // Every client in the view from the start, in order, with its share of the data and what the
    // starting model does on it (the curve's first point, and the axis the Clients plot opens on).
    evaluateClients(0);
    for (int round = 1; round <= rounds; ++round) {
        QElapsedTimer roundWall;
        roundWall.start();
        // The clients online at the round's start; when none is, the clock moves on to when one is.
        std::vector<Candidate> candidates;
        for (int waited = 0;; ++waited) {
            candidates.clear();
            plan.startHour = clockH;
            for (int c = 0; c < clients; ++c) {
                const ClientTally &t = tally[std::size_t(c)];
                if (!t.device.availableAt(clockH) || t.train.empty())
                    continue;
                const RoundClient rc = roundClient(c);
                const ModelledCost cost = modelledCost(rc, plan);
                candidates.push_back({c, rc.samples, cost.seconds, cost.energyJ, grid.at(t.device.region, clockH), t.utility, t.explored, t.lastSelectedRound});
            }
            if (!candidates.empty())
                break;
            if (waited >= 96)
                throw Error(QStringLiteral("no client is online at any hour of the simulated day: check available_from_h and available_to_h in %1")
                                .arg(profilesPath.isEmpty() ? QStringLiteral("the device profiles") : profilesPath));
            clockH += 0.25;
            ++skippedHours;
        }
        const std::vector<int> chosen = ClientSelection::select(candidates, round, selection, selectionRng);
        std::vector<RoundClient> roundClients;
        for (int c : chosen)
            roundClients.push_back(roundClient(c));
        const RoundTiming timing = simulateRound(roundClients, plan);

        // Train the clients whose updates arrive, each in its own measured window.
        std::vector<torch::Tensor> updates;
        std::vector<double> weights;
        double roundCo2e = 0, roundModelledJ = 0, roundUplink = 0, roundDownlink = 0;
        int kept = 0, dropped = 0;
        for (std::size_t i = 0; i < chosen.size(); ++i) {
            const int c = chosen[i];
            ClientTally &t = tally[std::size_t(c)];
            const ClientRound &r = timing.clients[i];
            ++t.selected;
            t.lastSelectedRound = round;
            t.modelledJ += r.energyJ;
            t.co2eG += r.co2eG;
            roundModelledJ += r.energyJ;
            roundCo2e += r.co2eG;
            roundDownlink += r.dropped.startsWith(QLatin1String("offline")) ? 0 : double(roundClients[i].setupBytes + plan.downlinkBytes);
            if (!r.kept) {
                ++t.dropped;
                ++dropped;
                t.lastDrop = QStringLiteral("round %1: %2").arg(round).arg(r.dropped);
                continue;
            }
            report(double(round - 1) * perRound + double(kept), QStringLiteral("round %1 of %2: client %3").arg(round).arg(rounds).arg(c));
            MeasuredWindow window(context, QStringLiteral("train"), QStringLiteral("client %1, round %2").arg(c).arg(round));
            local.seed = localSeed(config.seed, round, c);
            const LocalResult result = trainLocally(model, global, trainX.index_select(0, t.trainIndex), trainY.index_select(0, t.trainIndex), local,
                                                    context.cancelFlag());
            const MeasuredCost spent = window.finish();
            t.machineJ += spent.energyJ;
            simulatingS += spent.durationS;
            if (result.cancelled) {
                outcome.cancelled = true;
                break;
            }
            const EncodedUpdate sent = codec.encode(c, result.update);
            roundUplink += double(sent.wireBytes());
            updates.push_back(sent.decode());
            weights.push_back(double(t.train.size()));
            t.utility = result.statisticalUtility;
            t.explored = true;
            t.featuresKept = overFeatures; // computed and kept in its first completed round
            ++t.kept;
            ++kept;
        }
        if (outcome.cancelled)
            break;
        keptUpdates += kept;
        droppedUpdates += dropped;
        totalCo2e += roundCo2e;
        totalModelledJ += roundModelledJ;
        totalUplink += roundUplink;
        totalDownlink += roundDownlink;
        if (!updates.empty()) {
            MeasuredWindow aggregate(context, QStringLiteral("aggregate"));
            server.step(global, weightedMean(updates, weights));
            simulatingS += aggregate.finish().durationS;
        } else {
            context.notice(QStringLiteral("round %1: every selected client was dropped; the global model stays as it was").arg(round));
        }
        roundsDone = round;
        WorkStep step(QStringLiteral("round"), round, rounds);
        if (round % evalEvery == 0 || round == rounds) {
            MeasuredWindow window(context, QStringLiteral("eval"));
            model.setWeights(global);
            accuracy = model.accuracy(testX, testY);
            step.add(QStringLiteral("test_accuracy"), *accuracy);
        }
        if (clientEvalEvery > 0 && round % clientEvalEvery == 0)
            evaluateClients(round);
        else
            for (int c : chosen)
                reportClient(c, round);
        const double simulatedH = clockH + timing.durationS / 3600.0 - startHour;
        step.add(QStringLiteral("modelled_co2e_g"), totalCo2e)
            .add(QStringLiteral("modelled_energy_j"), totalModelledJ)
            .add(QStringLiteral("machine_energy_j"), context.energyJ())
            .add(QStringLiteral("machine_co2e_g"), context.emissionsG())
            .add(QStringLiteral("clients_kept"), kept)
            .add(QStringLiteral("clients_dropped"), dropped)
            .add(QStringLiteral("uplink_bytes"), totalUplink)
            .add(QStringLiteral("downlink_bytes"), totalDownlink)
            .add(QStringLiteral("round_s"), timing.durationS)
            .add(QStringLiteral("simulated_hours"), simulatedH);
        context.stepFinished(step);
        roundLog.append(QJsonObject{{QStringLiteral("round"), round},
                                    {QStringLiteral("hour"), std::fmod(clockH, 24.0)},
                                    {QStringLiteral("selected"), int(chosen.size())},
                                    {QStringLiteral("kept"), kept},
                                    {QStringLiteral("dropped"), dropped},
                                    {QStringLiteral("duration_s"), timing.durationS},
                                    {QStringLiteral("wall_s"), roundWall.nsecsElapsed() / 1e9}, // this machine's time simulating it
                                    {QStringLiteral("modelled_co2e_g"), roundCo2e},
                                    {QStringLiteral("test_accuracy"), accuracy ? QJsonValue(*accuracy) : QJsonValue()}});
        if (!reached && accuracy && *accuracy >= target && (round % evalEvery == 0 || round == rounds)) {
            reached = Reached{round, totalCo2e, totalModelledJ, context.energyJ(), wall.nsecsElapsed() / 1e9, totalUplink, simulatedH};
            if (stopAtTarget)
                break;
        }
        // The server waits for its kept clients, and learns of a dropped one when it drops: a round of
        // drops alone still moves the clock on (to when the last of them went).
        double waitedS = timing.durationS;
        for (const ClientRound &r : timing.clients)
            waitedS = std::max(waitedS, r.durationS);
        clockH += std::max(waitedS / 3600.0, intervalH);
        report(double(round) * perRound, QStringLiteral("round %1 of %2 done").arg(round).arg(rounds));
    }
    if (skippedHours > 0)
        context.notice(QStringLiteral("the clock waited %1 h in all for a client to come online").arg(skippedHours * 0.25));

    // Totals, per client and for the run.
    if (!outcome.cancelled && roundsDone > 0) {
        evaluateClients(roundsDone);
        if (reached)
            context.metric(roundsDone, QStringLiteral("rounds_to_target"), reached->round);
    }
    QJsonArray perClient;
    for (int c = 0; c < clients; ++c) {
        const ClientTally &t = tally[std::size_t(c)];
        QJsonObject entry{{QStringLiteral("client"), c},
                          {QStringLiteral("device_class"), t.device.deviceClass},
                          {QStringLiteral("region"), t.device.region},
                          {QStringLiteral("samples"), qint64(t.train.size())},
                          {QStringLiteral("held_out"), qint64(t.holdout.size())},
                          {QStringLiteral("selected"), t.selected},
                          {QStringLiteral("kept"), t.kept},
                          {QStringLiteral("dropped"), t.dropped},
                          {QStringLiteral("modelled_energy_j"), t.modelledJ},
                          {QStringLiteral("modelled_co2e_g"), t.co2eG},
                          {QStringLiteral("machine_energy_j"), t.machineJ},
                          {QStringLiteral("accuracy"), t.accuracy ? QJsonValue(*t.accuracy) : QJsonValue()}};
        if (!t.lastDrop.isEmpty())
            entry.insert(QStringLiteral("last_drop"), t.lastDrop);
        perClient.append(entry);
    }
    outcome.accuracy = accuracy;
    outcome.labelsUsed = trainY.size(0);
    QJsonObject &s = outcome.summary;
    s.insert(QStringLiteral("model_source"), config.model.source);
    s.insert(QStringLiteral("model_origin"), modelOrigin);
    s.insert(QStringLiteral("federated"),
             QJsonObject{{QStringLiteral("rounds"), roundsDone},
                         {QStringLiteral("clients"), clients},
                         {QStringLiteral("clients_per_round"), perRound},
                         {QStringLiteral("algorithm"), algorithm},
                         {QStringLiteral("server_lr"), serverLr},
                         {QStringLiteral("selection"), selection.policy},
                         {QStringLiteral("partition"), QString::fromStdString(parameter<std::string>(config, "federated.partition"))},
                         {QStringLiteral("accuracy"), accuracy ? QJsonValue(*accuracy) : QJsonValue()},
                         {QStringLiteral("target_accuracy"), target},
                         {QStringLiteral("reached_target"), reached ? QJsonValue(reached->toJson()) : QJsonValue()},
                         {QStringLiteral("updates_kept"), keptUpdates},
                         {QStringLiteral("updates_dropped"), droppedUpdates},
                         {QStringLiteral("modelled_energy_j"), totalModelledJ},
                         {QStringLiteral("modelled_co2e_g"), totalCo2e},
                         {QStringLiteral("modelled_note"),
                          QStringLiteral("the clients' devices and networks as the profiles model them; never added to this machine's energy")},
                         {QStringLiteral("machine_energy_j"), context.energyJ()},
                         {QStringLiteral("machine_energy_source"), context.energySource()},
                         {QStringLiteral("client_training_and_aggregation_s"), simulatingS},
                         {QStringLiteral("uplink_bytes"), totalUplink},
                         {QStringLiteral("downlink_bytes"), totalDownlink},
                         {QStringLiteral("update_bytes"), double(uplinkBytes)},
                         {QStringLiteral("update_wire_format"),
                          QStringLiteral("%1 entries of %2: %3%4")
                              .arg(codec.keptCount(model.size()))
                              .arg(model.size())
                              .arg(codec.keptCount(model.size()) < model.size() ? QStringLiteral("int32 index + ") : QString(),
                                   parameter<bool>(config, "federated.eight_bit") ? QStringLiteral("int8 value, one float32 scale")
                                                                                  : QStringLiteral("float32 value"))},
                         {QStringLiteral("simulated_hours"), clockH - startHour},
                         {QStringLiteral("profiles"), profilesPath.isEmpty() ? QStringLiteral("bundled") : profilesPath},
                         {QStringLiteral("forecast"), forecastPath.isEmpty() ? QJsonValue() : QJsonValue(forecastPath)},
                         {QStringLiteral("per_round"), roundLog},
                         {QStringLiteral("per_client"), perClient}});
    // What each client is, for the Clients tab's "What it is" column.
    QJsonArray described;
    for (int c = 0; c < clients; ++c) {
        const ClientTally &t = tally[std::size_t(c)];
        described.append(QJsonObject{{QStringLiteral("scope"), QStringLiteral("client %1").arg(c)},
                                     {QStringLiteral("description"), QStringLiteral("%1 on the %2 grid, %3 samples (%4 held out)%5")
                                                                         .arg(t.device.deviceClass, t.device.region)
                                                                         .arg(t.train.size())
                                                                         .arg(t.holdout.size())
                                                                         .arg(t.lastDrop.isEmpty() ? QString() : QStringLiteral("; last dropped in ") + t.lastDrop)}});
    }
    keepClientsTable(context, described);
    if (!outcome.cancelled && roundsDone > 0) {
        keepFinalModel(context, model, global, inputs, s);
    }
    return outcome;
}

} // namespace gw::federated
