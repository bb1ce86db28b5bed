#include "HostWorker.h"

#include "Error.h"
#include "FederatedSetup.h"
#include "HostRounds.h"
#include "LocalTraining.h"
#include "UpdateCodec.h"
#include "config/RunConfig.h"
#include "data/FashionMnist.h"
#include "data/ImageFolder.h"
#include "distributed/AuthenticatedStore.h"
#include "distributed/DataParallel.h"
#include "distributed/GlooGroup.h"
#include "jobs/FineTuneWork.h"
#include "jobs/PretrainWork.h"
#include "jobs/RunContextWithConfig.h"
#include "jobs/ScratchTrainingWork.h"
#include "models/ImageTensors.h"
#include "models/TorchRuntime.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSysInfo>
#include <QJsonArray>
#include <QThread>
#include <atomic>
#include <thread>
#include <torch/torch.h>

namespace gw::federated {

using namespace hosts;
using distributed::AuthenticatedStore;

namespace {

/// The worker's local data: the training split of an IDX folder (Fashion-MNIST's file names) or an
/// image folder, as grey images of the coordinator's size.
ImageDataset localData(const RunConfig &config, int rows, int cols, RunContext &context)
{
    if (config.dataset.kind == QStringLiteral("fashion-mnist"))
        return FashionMnist::load(config.dataset.path, FashionMnist::Split::Train);
    ImageFolderOptions options;
    options.rows = rows;
    options.cols = cols;
    options.channels = 1;
    const ImageFolderResult result = ImageFolder::load(config.dataset.path, options);
    for (const ImageFolderSkip &skip : result.skipped)
        context.notice(QStringLiteral("skipped %1: %2").arg(skip.path, skip.reason));
    return result.dataset;
}

/// Pings the coordinator every half second on a connection of its own, so a worker busy training
/// is still seen alive and a dead or hung one is not.
class Heartbeat {
public:
    explicit Heartbeat(c10::intrusive_ptr<AuthenticatedStore> store) : store_(std::move(store))
    {
        thread_ = std::thread([this] {
            while (!stop_) {
                try {
                    store_->ping();
                } catch (const std::exception &) {
                    return; // the coordinator went: the main loop finds out too
                }
                for (int i = 0; i < 5 && !stop_; ++i)
                    std::this_thread::sleep_for(std::chrono::milliseconds(100));
            }
        });
    }
    ~Heartbeat()
    {
        stop_ = true;
        thread_.join();
    }

private:
    c10::intrusive_ptr<AuthenticatedStore> store_;
    std::atomic_bool stop_{false};
    std::thread thread_;
};

int rankIn(const QJsonObject &members, const QString &name)
{
    return members.contains(name) ? members.value(name).toInt() : -1;
}

} // namespace

QString WorkerKind::title() const
{
    return QStringLiteral("Federated worker (a host)");
}

QString WorkerKind::description() const
{
    return QStringLiteral("Joins a coordinator's federation across hosts: trains on this machine's own data when a round asks, and reports "
                          "the energy this machine measured with each update.");
}

std::vector<RunParameterSection> WorkerKind::ownSections() const
{
    return {{QStringLiteral("worker"), QStringLiteral("Federated worker"), QStringLiteral("Worker"), id()}};
}

std::vector<RunParameter> WorkerKind::ownParameters() const
{
    return {
        RunParameters::pluginOptionalText("worker.coordinator", ParameterType::Text, "Coordinator", "HOST:PORT of the coordinator's store (its federated.listen).",
                "none (required)"),
        RunParameters::pluginOptionalText("worker.token_file", ParameterType::Path, "Token file", "A file holding the federation's shared token (the coordinator's).",
                "none (required)"),
        RunParameters::pluginOptionalText("worker.name", ParameterType::Text, "Name", "How the coordinator knows this host; unique in the federation.", "host name and process id"),
        RunParameters::pluginOptionalText("worker.region", ParameterType::Text, "Grid region", "ISO alpha-3 code of this host's grid, for its CO₂e.", "energy.country"),
        RunParameters::pluginNumber("worker.wait_s", ParameterType::Number, "Wait for the coordinator",
                                    "Seconds to keep trying to reach the coordinator, and to wait for its next round.", 600, 1, 1e7),
    };
}

QStringList WorkerKind::sharedKeys() const
{
    return {QStringLiteral("dataset"), QStringLiteral("training.threads"), QStringLiteral("energy")};
}

void WorkerKind::applyDefaults(RunConfig &config) const
{
    config.name = QStringLiteral("federated-worker");
}

void WorkerKind::check(const RunConfig &config, const QString &origin) const
{
    if (textParameter(config, "worker.coordinator").isEmpty())
        throw Error::in(origin, QStringLiteral("'worker.coordinator' is required: the coordinator's HOST:PORT"));
    distributed::hostAndPort(textParameter(config, "worker.coordinator"), origin + QStringLiteral(" (worker.coordinator)"));
    if (textParameter(config, "worker.token_file").isEmpty())
        throw Error::in(origin, QStringLiteral("'worker.token_file' is required: the file with the federation's shared token"));
}

std::vector<ResultMetric> WorkerKind::resultMetrics() const
{
    return {{QStringLiteral("rounds_taken_part"), QStringLiteral("Rounds taken part in"), QString(), true, false},
            {QStringLiteral("energy_kwh"), QStringLiteral("Energy of this host"), QStringLiteral("kWh"), false, false},
            {QStringLiteral("emissions_g"), QStringLiteral("Emissions of this host"), QStringLiteral("g CO₂e"), false, false}};
}

namespace {

class WorkerWork : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

/// A worker of a data-parallel training or fine-tuning run: it takes the next rank, and does the coordinator's
/// work (its config) on its part of every batch, with this run's own measurement and store.
WorkOutcome trainDataParallel(RunContext &context, const c10::intrusive_ptr<AuthenticatedStore> &store, const QString &name)
{
    const int rank = int(store->add(distributed::DataParallel::kJoinedKey, 1));
    const std::vector<std::uint8_t> text = store->get(distributed::DataParallel::kConfigKey);
    const RunConfig job = RunConfig::fromJsonText(std::string(text.begin(), text.end()), QStringLiteral("the coordinator's run"));
    if (job.kind != QStringLiteral("finetune") && job.kind != QStringLiteral("train") && job.kind != QStringLiteral("pretrain"))
        throw Error(QStringLiteral("the coordinator runs a '%1' run data-parallel; workers take part in 'train', 'finetune' and 'pretrain' runs")
                        .arg(job.kind));
    if (rank > job.training.hostsWorkers)
        throw Error(QStringLiteral("the coordinator's run already has its %1 data-parallel worker(s)").arg(job.training.hostsWorkers));
    context.notice(QStringLiteral("data-parallel: %1 is rank %2 of %3 in the coordinator's '%4'").arg(name).arg(rank).arg(job.training.hostsWorkers + 1).arg(job.name));
    auto parallel = std::shared_ptr<distributed::DataParallel>(
        distributed::DataParallel::join(store, name, rank, job.training.hostsWorkers + 1, std::chrono::minutes(10)));
    RunConfig mine = job;
    mine.training.threads = context.config().training.threads; // this host's own cores
    RunContextWithConfig asTheCoordinator(context, mine);
    std::unique_ptr<RunWork> work;
    if (job.kind == QStringLiteral("train"))
        work = std::make_unique<ScratchTrainingWork>(parallel);
    else if (job.kind == QStringLiteral("pretrain"))
        work = std::make_unique<PretrainWork>(parallel);
    else
        work = std::make_unique<FineTuneWork>(parallel);
    WorkOutcome outcome = work->execute(asTheCoordinator);
    outcome.summary.insert(QStringLiteral("worker"), QJsonObject{{QStringLiteral("name"), name},
                                                                 {QStringLiteral("data_parallel_rank"), rank},
                                                                 {QStringLiteral("of"), job.training.hostsWorkers + 1},
                                                                 {QStringLiteral("coordinator_run"), job.name}});
    return outcome;
}

WorkOutcome WorkerWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    TorchRuntime::prepareForWork(config.training.threads);
    WorkOutcome outcome;
    QString name = textParameter(config, "worker.name");
    if (name.isEmpty())
        name = QStringLiteral("%1-%2").arg(QSysInfo::machineHostName()).arg(QCoreApplication::applicationPid());
    QString region = textParameter(config, "worker.region");
    if (region.isEmpty())
        region = config.energy.country;
    const auto [host, port] = distributed::hostAndPort(textParameter(config, "worker.coordinator"), QStringLiteral("worker.coordinator"));
    const QByteArray token = distributed::StoreProtocol::readToken(textParameter(config, "worker.token_file"));
    const auto waitMs = std::chrono::milliseconds(qint64(RunParameters::value<double>(config, "worker.wait_s") * 1000));

    // Join: two connections (requests, heartbeats), both admitted on the token's proof.
    auto store = c10::make_intrusive<AuthenticatedStore>(host, port, name, token, waitMs, int(waitMs.count()));
    Heartbeat heartbeat(c10::make_intrusive<AuthenticatedStore>(host, port, name, token, waitMs, int(waitMs.count())));
    context.notice(QStringLiteral("joined the coordinator at %1:%2 as %3 (from %4)").arg(host).arg(port).arg(name, store->localAddress()));
    // What the coordinator runs: a federation (its model posted) or data-parallel training (its config).
    QElapsedTimer asked;
    asked.start();
    while (!store->check({Keys::model()})) {
        if (store->check({distributed::DataParallel::kConfigKey}))
            return trainDataParallel(context, store, name);
        if (context.cancelFlag().load() || asked.elapsed() > waitMs.count())
            throw Error(QStringLiteral("the coordinator at %1:%2 posted neither a federation nor a data-parallel run within %3 s")
                            .arg(host)
                            .arg(port)
                            .arg(waitMs.count() / 1000));
        QThread::msleep(100);
    }
    const QJsonObject model = fromBytes(store->get(Keys::model()), QStringLiteral("the coordinator's model"));
    const int rows = model.value(QStringLiteral("rows")).toInt(), cols = model.value(QStringLiteral("cols")).toInt();
    const int classes = model.value(QStringLiteral("classes")).toInt();
    const double mean = model.value(QStringLiteral("mean")).toDouble(), deviation = model.value(QStringLiteral("std")).toDouble(1);

    torch::Tensor x, y;
    {
        const MeasuredWindow loading(context, QStringLiteral("data"));
        const ImageDataset data = localData(config, rows, cols, context);
        if (data.size() == 0)
            throw Error(QStringLiteral("%1: no training images for this worker").arg(config.dataset.path));
        InputSpec spec;
        spec.channels = 1;
        spec.rows = rows;
        spec.cols = cols;
        spec.mean = {mean};
        spec.std = {deviation};
        if (data.rows != rows || data.cols != cols)
            throw Error(QStringLiteral("%1: images of %2x%3; the coordinator's model takes %4x%5").arg(config.dataset.path).arg(data.rows).arg(data.cols).arg(rows).arg(cols));
        x = ImageTensors::batch(data, 0, data.size(), spec);
        y = ImageTensors::labels(data);
        if (y.max().item<std::int64_t>() >= classes)
            throw Error(QStringLiteral("%1: a label %2 where the coordinator's model has %3 classes").arg(config.dataset.path).arg(y.max().item<std::int64_t>()).arg(classes));
    }
    context.workStarts();
    const std::int64_t samples = x.size(0);
    store->set(Keys::host(name), toBytes({{QStringLiteral("samples"), qint64(samples)},
                                          {QStringLiteral("region"), region},
                                          {QStringLiteral("energy_source"), context.energySource()},
                                          {QStringLiteral("address"), store->localAddress()}}));

    FederatedModel local = FederatedModel::smallCnn(rows, cols, classes, config.seed);
    UpdateCodec codec(model.value(QStringLiteral("top_k")).toDouble(1), model.value(QStringLiteral("error_feedback")).toBool(),
                      model.value(QStringLiteral("eight_bit")).toBool());
    const bool dense = codec.keptCount(local.size()) == local.size() && !model.value(QStringLiteral("eight_bit")).toBool();
    int round = 1; // a worker that joins late starts at the round being planned
    if (store->check({Keys::current()})) {
        const std::vector<std::uint8_t> current = store->get(Keys::current());
        round = std::max(1, std::atoi(std::string(current.begin(), current.end()).c_str()));
    }
    int taken = 0;
    double energyJ = 0;
    QElapsedTimer idle;
    idle.start();
    while (!context.cancelFlag().load()) {
        if (store->check({Keys::end()}))
            break;
        if (!store->waitFor({Keys::plan(round)}, std::chrono::milliseconds(500))) {
            if (idle.elapsed() > waitMs.count())
                throw Error(QStringLiteral("no round from the coordinator for %1 s").arg(waitMs.count() / 1000));
            continue;
        }
        idle.restart();
        const QJsonObject plan = fromBytes(store->get(Keys::plan(round)), QStringLiteral("round %1's plan").arg(round));
        const QJsonObject clients = plan.value(QStringLiteral("clients")).toObject();
        if (!clients.contains(name)) {
            ++round;
            continue;
        }
        store->set(Keys::ready(round, name), {1});
        const auto joinMs = std::chrono::milliseconds(qint64(plan.value(QStringLiteral("join_ms")).toDouble()));
        const auto deadlineMs = std::chrono::milliseconds(qint64(plan.value(QStringLiteral("deadline_ms")).toDouble()));
        if (!store->waitFor({Keys::go(round)}, joinMs + std::chrono::seconds(5))) {
            ++round;
            continue;
        }
        const QJsonObject go = fromBytes(store->get(Keys::go(round)), QStringLiteral("round %1's members").arg(round));
        const int rank = rankIn(go, name);
        if (rank < 0) {
            ++round;
            continue;
        }
        // The global weights, broadcast by the coordinator (rank 0) to this round's members.
        torch::Tensor global = torch::zeros({local.size()});
        try {
            auto group = distributed::openGroup(store, Keys::group(round, "bcast"), rank, go.size() + 1, store->localAddress(), joinMs + std::chrono::seconds(5));
            std::vector<at::Tensor> weights{global};
            group->broadcast(weights)->wait();
        } catch (const std::exception &e) {
            context.notice(QStringLiteral("round %1: the global weights did not arrive (%2)").arg(round).arg(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
            ++round;
            continue;
        }
        LocalTraining training;
        const QJsonObject t = plan.value(QStringLiteral("local")).toObject();
        training.epochs = t.value(QStringLiteral("epochs")).toInt(1);
        training.batchSize = t.value(QStringLiteral("batch_size")).toInt(32);
        training.learningRate = t.value(QStringLiteral("lr")).toDouble(0.05);
        training.proximalMu = t.value(QStringLiteral("mu")).toDouble(0);
        training.seed = localSeed(std::uint64_t(plan.value(QStringLiteral("seed")).toDouble()), round, clients.value(name).toInt());
        context.notice(QStringLiteral("round %1: training on %2 samples").arg(round).arg(samples));
        MeasuredWindow window(context, QStringLiteral("train"), QStringLiteral("round %1").arg(round));
        const LocalResult result = trainLocally(local, global, x, y, training, context.cancelFlag());
        const MeasuredCost spent = window.finish();
        if (result.cancelled) {
            outcome.cancelled = true;
            break;
        }
        const EncodedUpdate sent = codec.encode(0, result.update);
        energyJ += spent.energyJ;
        ++taken;
        store->set(Keys::done(round, name), toBytes({{QStringLiteral("samples"), qint64(samples)},
                                                     {QStringLiteral("energy_j"), spent.energyJ},
                                                     {QStringLiteral("energy_source"), context.energySource()},
                                                     {QStringLiteral("duration_s"), spent.durationS},
                                                     {QStringLiteral("utility"), result.statisticalUtility},
                                                     {QStringLiteral("mean_loss"), result.meanLoss},
                                                     {QStringLiteral("region"), region}}));
        // The update, combined among those done by the deadline.
        bool combined = false;
        if (store->waitFor({Keys::aggregate(round)}, deadlineMs + joinMs + std::chrono::seconds(10))) {
            const QJsonObject members = fromBytes(store->get(Keys::aggregate(round)), QStringLiteral("round %1's aggregation").arg(round));
            const int aggregateRank = rankIn(members, name);
            if (aggregateRank > 0) {
                try {
                    auto group = distributed::openGroup(store, Keys::group(round, "agg"), aggregateRank, members.size() + 1, store->localAddress(),
                                           joinMs + std::chrono::seconds(5));
                    if (dense) {
                        std::vector<at::Tensor> weighted{sent.values * double(samples)};
                        group->allreduce(weighted)->wait();
                    } else {
                        std::vector<at::Tensor> mine{sent.wire()};
                        std::vector<std::vector<at::Tensor>> all(1);
                        for (int r = 0; r <= members.size(); ++r)
                            all[0].push_back(torch::empty_like(mine[0]));
                        group->allgather(all, mine)->wait();
                    }
                    combined = true;
                } catch (const std::exception &e) {
                    context.notice(QStringLiteral("round %1: the aggregation failed (%2)").arg(round).arg(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
                }
            }
        }
        WorkStep step(QStringLiteral("round"), round, 0);
        step.add(QStringLiteral("energy_j"), spent.energyJ)
            .add(QStringLiteral("train_s"), spent.durationS)
            .add(QStringLiteral("train_loss"), result.meanLoss)
            .add(QStringLiteral("aggregated"), combined ? 1 : 0)
            .add(QStringLiteral("rounds_taken_part"), taken);
        context.stepFinished(step);
        ++round;
    }
    outcome.summary.insert(QStringLiteral("worker"), QJsonObject{{QStringLiteral("name"), name},
                                                                 {QStringLiteral("coordinator"), QStringLiteral("%1:%2").arg(host).arg(port)},
                                                                 {QStringLiteral("region"), region},
                                                                 {QStringLiteral("samples"), qint64(samples)},
                                                                 {QStringLiteral("rounds_taken_part"), taken},
                                                                 {QStringLiteral("training_energy_j"), energyJ},
                                                                 {QStringLiteral("energy_source"), context.energySource()}});
    outcome.labelsUsed = samples;
    context.metric(round, QStringLiteral("rounds_taken_part"), taken);
    return outcome;
}

} // namespace

std::unique_ptr<RunWork> WorkerKind::createWork(const RunConfig &) const
{
    return std::make_unique<WorkerWork>();
}

} // namespace gw::federated
