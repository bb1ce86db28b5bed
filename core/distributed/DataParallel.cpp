#include "distributed/DataParallel.h"

#include "Error.h"
#include "distributed/GlooGroup.h"

#include <QElapsedTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>
#include <torch/torch.h>

namespace gw::distributed {

namespace {

std::string energyKey(int rank)
{
    return "dp/energy/" + std::to_string(rank);
}

int joinedCount(const StoreServer &server)
{
    const std::vector<std::uint8_t> v = server.value(DataParallel::kJoinedKey);
    return v.empty() ? 0 : std::atoi(std::string(v.begin(), v.end()).c_str());
}

} // namespace

DataParallel::~DataParallel() = default;

std::unique_ptr<DataParallel> DataParallel::host(const QString &listen, const QByteArray &token, int workers, const QByteArray &configJson,
                                                 std::chrono::milliseconds wait, const std::atomic_bool &cancel,
                                                 const std::function<void(const QString &)> &notice)
{
    const auto [address, port] = hostAndPort(listen, QStringLiteral("training.hosts.coordinator"));
    std::unique_ptr<DataParallel> dp(new DataParallel);
    dp->server_ = std::make_unique<StoreServer>(address, port, token);
    dp->world_ = workers + 1;
    dp->server_->set(kConfigKey, std::vector<std::uint8_t>(configJson.begin(), configJson.end()));
    notice(QStringLiteral("data-parallel: listening on %1:%2 for %3 worker(s)").arg(address).arg(dp->server_->port()).arg(workers));
    QElapsedTimer waited;
    waited.start();
    while (joinedCount(*dp->server_) < workers) {
        if (cancel.load())
            throw Error(QStringLiteral("cancelled while waiting for the data-parallel workers"));
        if (waited.elapsed() > wait.count())
            throw Error(QStringLiteral("%1 of the %2 data-parallel workers joined %3:%4 within %5 s")
                            .arg(joinedCount(*dp->server_))
                            .arg(workers)
                            .arg(address)
                            .arg(dp->server_->port())
                            .arg(wait.count() / 1000));
        QThread::msleep(50);
    }
    dp->store_ = c10::make_intrusive<AuthenticatedStore>(address, dp->server_->port(), QStringLiteral("coordinator"), token, wait);
    dp->group_ = openGroup(dp->store_, "dp/group", 0, dp->world_, address, wait);
    QStringList names;
    for (const StoreMember &m : dp->server_->members())
        if (m.name != QLatin1String("coordinator"))
            names << QStringLiteral("%1 (%2)").arg(m.name, m.address);
    notice(QStringLiteral("data-parallel over %1 processes: this one and %2").arg(dp->world_).arg(names.join(QStringLiteral(", "))));
    return dp;
}

std::unique_ptr<DataParallel> DataParallel::join(c10::intrusive_ptr<AuthenticatedStore> store, const QString &name, int rank, int world,
                                                 std::chrono::milliseconds timeout)
{
    std::unique_ptr<DataParallel> dp(new DataParallel);
    dp->name_ = name;
    dp->rank_ = rank;
    dp->world_ = world;
    dp->store_ = std::move(store);
    dp->group_ = openGroup(dp->store_, "dp/group", rank, world, dp->store_->localAddress(), timeout);
    return dp;
}

torch::Tensor DataParallel::shard(const torch::Tensor &batch) const
{
    const std::int64_t n = batch.numel(), base = n / world_, extra = n % world_;
    const std::int64_t first = rank_ * base + std::min<std::int64_t>(rank_, extra);
    return batch.slice(0, first, first + base + (rank_ < extra ? 1 : 0));
}

void DataParallel::sumGradients(const std::vector<torch::Tensor> &parameters)
{
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> parts;
    for (const torch::Tensor &p : parameters)
        parts.push_back(p.grad().defined() ? p.grad().flatten() : torch::zeros({p.numel()}));
    std::vector<at::Tensor> flat{torch::cat(parts)};
    group_->allreduce(flat)->wait();
    std::int64_t at = 0;
    for (const torch::Tensor &p : parameters) {
        if (p.grad().defined())
            p.mutable_grad().copy_(flat[0].slice(0, at, at + p.numel()).view_as(p));
        at += p.numel();
    }
}

torch::Tensor DataParallel::gatherRows(const torch::Tensor &mine, std::int64_t total)
{
    // Parts differ by one row at most; Gloo's allgather wants equal ones, so each is padded.
    const std::int64_t widest = (total + world_ - 1) / world_;
    std::vector<std::int64_t> shape = mine.sizes().vec();
    shape[0] = widest;
    torch::Tensor padded = torch::zeros(shape, mine.options().requires_grad(false));
    padded.slice(0, 0, mine.size(0)).copy_(mine.detach());
    std::vector<at::Tensor> input{padded};
    std::vector<std::vector<at::Tensor>> output(1);
    for (int r = 0; r < world_; ++r)
        output[0].push_back(torch::empty_like(padded));
    group_->allgather(output, input)->wait();
    std::vector<torch::Tensor> rows;
    const std::int64_t base = total / world_, extra = total % world_;
    for (int r = 0; r < world_; ++r) {
        const std::int64_t count = base + (r < extra ? 1 : 0);
        rows.push_back(r == rank_ ? mine : output[0][std::size_t(r)].slice(0, 0, count));
    }
    return torch::cat(rows, 0);
}

std::vector<double> DataParallel::sum(const std::vector<double> &values)
{
    std::vector<at::Tensor> t{torch::tensor(values, torch::kFloat64)};
    group_->allreduce(t)->wait();
    return std::vector<double>(t[0].data_ptr<double>(), t[0].data_ptr<double>() + t[0].numel());
}

void DataParallel::reportEnergy(const HostEnergy &mine)
{
    const QByteArray json = QJsonDocument(QJsonObject{{QStringLiteral("name"), mine.name},
                                                      {QStringLiteral("energy_j"), mine.energyJ},
                                                      {QStringLiteral("source"), mine.source}})
                                .toJson(QJsonDocument::Compact);
    store_->set(energyKey(rank_), std::vector<std::uint8_t>(json.begin(), json.end()));
}

std::vector<HostEnergy> DataParallel::workersEnergy(std::chrono::milliseconds timeout, const std::function<void(const QString &)> &notice)
{
    std::vector<HostEnergy> out;
    for (int r = 1; r < world_; ++r) {
        if (!server_->waitFor({energyKey(r)}, int(timeout.count()))) {
            notice(QStringLiteral("data-parallel: rank %1 did not report its energy; it is left out of the hosts' total").arg(r));
            continue;
        }
        const std::vector<std::uint8_t> v = server_->value(energyKey(r));
        const QJsonObject o = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size()))).object();
        out.push_back({o.value(QStringLiteral("name")).toString(), r, o.value(QStringLiteral("energy_j")).toDouble(), o.value(QStringLiteral("source")).toString()});
    }
    return out;
}

} // namespace gw::distributed
