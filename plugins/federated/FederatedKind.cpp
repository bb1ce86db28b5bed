#include "FederatedKind.h"

#include "ClientSelection.h"
#include "Error.h"
#include "FederatedWork.h"
#include "HostsFederation.h"
#include "ServerOptimizer.h"
#include "config/RunConfig.h"
#include "distributed/StoreProtocol.h"

#include <cmath>
#include <nlohmann/json.hpp>

namespace gw::federated {

namespace {

const auto choiceParameter = &RunParameters::pluginChoice;
const auto numberParameter = &RunParameters::pluginNumber;
const auto booleanParameter = &RunParameters::pluginBoolean;
constexpr double kMany = 1e9;

RunParameter textParameter(const char *key, const char *label, const char *help, const char *value)
{
    return RunParameters::pluginParameter(QString::fromLatin1(key), ParameterType::Text, QString::fromUtf8(label), QString::fromUtf8(help), value);
}

RunParameter pathParameter(const char *key, const char *label, const char *help, const char *empty)
{
    return RunParameters::pluginOptionalText(key, ParameterType::Path, label, help, empty);
}

} // namespace

QString FederatedKind::title() const
{
    return QStringLiteral("Federated learning (simulation)");
}

QString FederatedKind::description() const
{
    return QStringLiteral("Simulates many clients training the small CNN (or a head over the bundled backbone) where their data is, each on its own device and grid: accuracy per "
                          "round, every client's modelled energy and CO₂e, and this machine's measured energy, side by side.");
}

std::vector<RunParameterSection> FederatedKind::ownSections() const
{
    const QString page = QStringLiteral("Federated");
    return {{QStringLiteral("federated"), QStringLiteral("Federated learning"), page, id()}};
}

std::vector<RunParameter> FederatedKind::ownParameters() const
{
    RunParameter serverLr = RunParameters::pluginParameter(
        QStringLiteral("federated.server_lr"), ParameterType::OptionalNumber, QStringLiteral("Server learning rate"),
        QStringLiteral("The server's step on the clients' mean update; none: the algorithm's own (1 for FedAvg, FedProx and FedAvgM, "
                       "10^-1.5 for FedAdam)."),
        nullptr);
    serverLr.min = 1e-6;
    serverLr.max = 100;
    serverLr.emptyMeaning = QStringLiteral("the algorithm's own");
    return {
        numberParameter("federated.clients", ParameterType::Integer, "Clients", "Simulated clients, each with its share of the training set.", 100, 1,
                        1000000),
        choiceParameter("federated.partition", "Partition",
                        "How the training set is shared: iid (shuffled, equal parts), dirichlet (each class spread over the clients by "
                        "Dir(alpha), flwr-datasets' rules), shards (sorted by label, shards_per_client shards each: McMahan et al.).",
                        {QStringLiteral("iid"), QStringLiteral("dirichlet"), QStringLiteral("shards")}),
        numberParameter("federated.alpha", ParameterType::Number, "Dirichlet alpha", "Label skew of the dirichlet partition: small is skewed (0.1), large near IID.",
                        0.5, 0, 1e6),
        numberParameter("federated.min_size", ParameterType::Integer, "Least samples per client",
                        "dirichlet: a partition whose smallest client has fewer is drawn again (at most 10 times).", 10, 0, kMany),
        numberParameter("federated.shards_per_client", ParameterType::Integer, "Shards per client", "shards: label-sorted shards each client gets.", 2, 1, 1000),
        numberParameter("federated.holdout", ParameterType::Number, "Client held-out share",
                        "Share of each client's samples kept out of its training, on which the global model is evaluated per client.", 0.1, 0, 0.9),
        numberParameter("federated.rounds", ParameterType::Integer, "Rounds", "Federated rounds at most.", 50, 1, 1000000),
        numberParameter("federated.fraction", ParameterType::Number, "Client fraction", "Share of the clients a round aggregates (unless per_round is set).",
                        0.1, 0, 1),
        numberParameter("federated.per_round", ParameterType::Integer, "Clients per round", "Clients a round aggregates; 0: the fraction of the clients.",
                        0, 0, 1000000),
        numberParameter("federated.local_epochs", ParameterType::Integer, "Local epochs", "Epochs each client trains on its samples per round (E).", 1, 1,
                        1000),
        choiceParameter("federated.algorithm", "Algorithm",
                        "fedavg (McMahan et al.), fedprox (a proximal term mu), fedavgm (server momentum), fedadam (adaptive server step; "
                        "Reddi et al.). Clients train with plain SGD at training.lr and training.batch_size.",
                        ServerOptimizer::algorithms()),
        numberParameter("federated.mu", ParameterType::Number, "FedProx mu", "fedprox: weight of mu/2 ||w - w_global||^2 in each client's loss.", 0.01, 0,
                        100),
        serverLr,
        numberParameter("federated.server_momentum", ParameterType::Number, "Server momentum",
                        "fedavgm: the momentum of the server's step; fedadam: its first-moment decay.", 0.9, 0, 0.999),
        choiceParameter("federated.selection", "Client selection",
                        "random; oort (statistical utility, duration penalty, exploration); energy (the same with an energy penalty); "
                        "carbon (prefers clients whose round emits least per sample at the simulated hour, with the fairness floor).",
                        ClientSelection::policies()),
        numberParameter("federated.overcommit", ParameterType::Number, "Over-commit",
                        "Selects this many times the clients per round and keeps the first to finish (1: off).", 1, 1, 10),
        numberParameter("federated.fairness_floor", ParameterType::Number, "Fairness floor",
                        "oort, energy, carbon: every online client is selected within clients / (per round x floor) rounds of its last "
                        "selection (0: no floor).",
                        0.25, 0, 1),
        numberParameter("federated.carbon_exponent", ParameterType::Number, "Carbon preference",
                        "carbon: a client's weight is (least CO₂e per sample / its CO₂e per sample) to this power (0: random).", 2, 0, 20),
        numberParameter("federated.top_k", ParameterType::Number, "Top-k share",
                        "Share of each update's entries a client sends, the largest by magnitude (1: dense).", 1, 1e-5, 1),
        booleanParameter("federated.error_feedback", "Error feedback", "Top-k and 8-bit: what a client did not send is added to its next update.", true),
        booleanParameter("federated.eight_bit", "8-bit updates", "Sends update values as 8-bit codes with one float scale.", false),
        pathParameter("federated.profiles", "Device profiles",
                      "CSV of device classes and grid regions (columns device_class, seconds_per_sample, busy_w, idle_w, uplink_mbps, "
                      "downlink_mbps, network_j_per_byte, available_from_h, available_to_h, region, share).",
                      "the bundled profiles"),
        pathParameter("federated.forecast", "Regional forecast",
                      "CSV of region, hour (of the simulated day) and intensity_g_per_kwh; regions it lists follow it over the day.",
                      "the bundled per-country table"),
        numberParameter("federated.device_spread", ParameterType::Number, "Device spread",
                        "Each client's speed and bandwidth vary around its class by a seeded log-normal factor with this sigma (0: identical).",
                        0.25, 0, 3),
        numberParameter("federated.deadline_s", ParameterType::Number, "Round deadline", "Simulated seconds a round waits; later clients are dropped (0: none).",
                        0, 0, 1e9),
        numberParameter("federated.start_hour", ParameterType::Number, "Start hour", "The simulated clock's hour of the day at the first round.", 0, 0, 24),
        numberParameter("federated.round_interval_min", ParameterType::Number, "Round interval",
                        "Simulated minutes from one round's start to the next (a round that takes longer delays the next; 0: back to back).", 0,
                        0, 100000),
        numberParameter("federated.eval_every", ParameterType::Integer, "Evaluate every", "Rounds between evaluations of the global model on the test set.",
                        1, 1, 1000000),
        numberParameter("federated.client_eval_every", ParameterType::Integer, "Evaluate clients every",
                        "Rounds between evaluations on every client's held-out share (0: at the end only).", 10, 0, 1000000),
        choiceParameter("federated.backend", "Backend",
                        "simulation: every client simulated on this machine; hosts: real workers (green-workbench worker) on this and other "
                        "machines, joined through federated.listen with the shared token.",
                        {QStringLiteral("simulation"), QStringLiteral("hosts")}),
        textParameter("federated.listen", "Listen on",
                      "hosts: the HOST:PORT the coordinator's store listens on, and only there (port 0: a free one, printed).", "127.0.0.1:29400"),
        pathParameter("federated.token_file", "Token file", "hosts: a file holding the shared token workers must prove they hold.", "none"),
        numberParameter("federated.min_hosts", ParameterType::Integer, "Hosts to start with", "hosts: the first round waits until this many have joined.",
                        1, 1, 1000000),
        numberParameter("federated.hosts_wait_s", ParameterType::Number, "Wait for hosts", "hosts: seconds to wait for min_hosts to join.", 600, 1, 1e7),
        numberParameter("federated.join_s", ParameterType::Number, "Join window",
                        "hosts: seconds a round waits for its asked workers to answer (and its groups to form).", 15, 1, 3600),
        numberParameter("federated.target_accuracy", ParameterType::Number, "Target accuracy",
                        "The summary says after how many rounds, and at what cost, the global model first reached it.", 0.85, 0, 1),
        booleanParameter("federated.stop_at_target", "Stop at the target", "Ends the run at the first round that reaches the target accuracy.", false),
    };
}

QStringList FederatedKind::sharedKeys() const
{
    return {QStringLiteral("dataset"),           QStringLiteral("model.source"),  QStringLiteral("model.run_id"), QStringLiteral("model.path"),
            QStringLiteral("model.input_size"),  QStringLiteral("training.batch_size"), QStringLiteral("training.lr"),
            QStringLiteral("training.threads"), QStringLiteral("energy")};
}

void FederatedKind::applyDefaults(RunConfig &config) const
{
    config.name = QStringLiteral("federated");
    config.model.source = QStringLiteral("scratch");
    config.training.batchSize = 32;       // McMahan et al.'s B
    config.training.learningRate = 0.05;  // plain SGD on the clients
}

int FederatedKind::clientsPerRound(const RunConfig &config)
{
    const auto perRound = RunParameters::value<std::int64_t>(config, "federated.per_round");
    if (perRound > 0)
        return int(perRound);
    const auto clients = RunParameters::value<std::int64_t>(config, "federated.clients");
    return std::max(1, int(std::lround(RunParameters::value<double>(config, "federated.fraction") * double(clients))));
}

void FederatedKind::check(const RunConfig &config, const QString &origin) const
{
    if (RunParameters::value<std::string>(config, "federated.backend") == "hosts") {
        checkHosts(config, origin);
        return;
    }
    const auto clients = RunParameters::value<std::int64_t>(config, "federated.clients");
    const auto partition = RunParameters::value<std::string>(config, "federated.partition");
    if (partition == "dirichlet" && !(RunParameters::value<double>(config, "federated.alpha") > 0))
        throw Error::in(origin, QStringLiteral("'federated.alpha' must be above 0 for the dirichlet partition (small values skew the labels, "
                                               "e.g. 0.1; large ones come near IID)"));
    if (RunParameters::value<std::int64_t>(config, "federated.per_round") == 0 && !(RunParameters::value<double>(config, "federated.fraction") > 0))
        throw Error::in(origin, QStringLiteral("'federated.fraction' is 0: a round would train no client (give a share above 0, e.g. 0.1, or "
                                               "federated.per_round)"));
    if (clientsPerRound(config) > clients)
        throw Error::in(origin, QStringLiteral("'federated.per_round' (%1) is more than the %2 clients").arg(clientsPerRound(config)).arg(clients));
    if (config.dataset.trainSubset > 0 && clients > config.dataset.trainSubset)
        throw Error::in(origin, QStringLiteral("%1 clients but only %2 training samples (dataset.train_subset): every client needs at least one")
                                    .arg(clients)
                                    .arg(config.dataset.trainSubset));
    const QString source = config.model.source;
    if (source != QStringLiteral("scratch") && source != QStringLiteral("run") && source != QStringLiteral("safetensors") &&
        source != QStringLiteral("bundled"))
        throw Error::in(origin, QStringLiteral("a federated run trains the small CNN from scratch (model.source 'scratch'), from another run's kept "
                                               "small CNN ('run') or from a small-CNN safetensors file ('safetensors'), or a linear head over the "
                                               "frozen bundled backbone ('bundled'), not a '%1' model")
                                    .arg(source));
    if (source == QStringLiteral("safetensors") && config.model.path.isEmpty())
        throw Error::in(origin, QStringLiteral("'model.path' is required for model.source 'safetensors'"));
}

void FederatedKind::checkHosts(const RunConfig &config, const QString &origin)
{
    const nlohmann::json token = RunParameters::find(QStringLiteral("federated.token_file"))->get(config);
    if (!token.is_string() || token.get<std::string>().empty())
        throw Error::in(origin, QStringLiteral("'federated.token_file' is required with backend 'hosts': the file with the token workers must prove"));
    distributed::hostAndPort(QString::fromStdString(RunParameters::value<std::string>(config, "federated.listen")), origin + QStringLiteral(" (federated.listen)"));
    const QString source = config.model.source;
    if (source != QStringLiteral("scratch") && source != QStringLiteral("run") && source != QStringLiteral("safetensors"))
        throw Error::in(origin, QStringLiteral("backend 'hosts' trains the small CNN (model.source 'scratch', 'run' or 'safetensors'), not a '%1' "
                                               "model: a head over the bundled backbone is simulated only, so far")
                                    .arg(source));
}

std::unique_ptr<RunWork> FederatedKind::createWork(const RunConfig &config) const
{
    if (RunParameters::value<std::string>(config, "federated.backend") == "hosts")
        return std::make_unique<HostsFederation>();
    return std::make_unique<FederatedWork>();
}

std::vector<ResultMetric> FederatedKind::resultMetrics() const
{
    return {{QStringLiteral("accuracy"), QStringLiteral("Test accuracy"), QString(), true, true},
            {QStringLiteral("modelled_co2e_g"), QStringLiteral("Modelled CO₂e of the clients"), QStringLiteral("g CO₂e"), false, false},
            {QStringLiteral("rounds_to_target"), QStringLiteral("Rounds to the target accuracy"), QString(), false, false},
            {QStringLiteral("modelled_energy_j"), QStringLiteral("Modelled energy of the clients"), QStringLiteral("J"), false, false},
            {QStringLiteral("hosts_co2e_g"), QStringLiteral("CO₂e of the hosts (their measured energy)"), QStringLiteral("g CO₂e"), false, false},
            {QStringLiteral("hosts_energy_j"), QStringLiteral("Energy the hosts measured"), QStringLiteral("J"), false, false},
            {QStringLiteral("uplink_bytes"), QStringLiteral("Uplink bytes"), QStringLiteral("B"), false, false},
            {QStringLiteral("emissions_g"), QStringLiteral("Emissions of this machine"), QStringLiteral("g CO₂e"), false, false},
            {QStringLiteral("energy_kwh"), QStringLiteral("Energy of this machine"), QStringLiteral("kWh"), false, false}};
}

} // namespace gw::federated
