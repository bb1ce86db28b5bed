#pragma once
#include "distributed/AuthenticatedStore.h"
#include "distributed/StoreServer.h"

#include <QString>
#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <vector>

namespace gw::distributed {

/// What one host of a data-parallel run spent, as its own monitor measured or estimated it.
struct HostEnergy {
    QString name;
    int rank = 0;
    double energyJ = 0;
    QString source; ///< "measured (RAPL)", "estimated", ...
};

/// This process's place in a data-parallel run (`training.hosts`): rank 0 is the run a person
/// started, which serves the rendezvous store on the address it is given, posts its config and
/// waits for its workers (`green-workbench worker`, each proving the shared token); ranks 1..n are
/// those workers, in the order they joined. Every rank takes its own contiguous part of every batch
/// and the gradients are summed by one Gloo allreduce per step, so with the loss summed over each
/// part and divided by the global batch, every rank takes the step one process would take on the
/// whole batch.
class DataParallel {
public:
    static constexpr char kConfigKey[] = "dp/config";
    static constexpr char kJoinedKey[] = "dp/joined";

    /// Rank 0: listens on @p listen ("HOST:PORT"), posts @p configJson, and waits up to @p wait for
    /// @p workers to join, telling @p notice who did; an Error when too few came or on cancel.
    static std::unique_ptr<DataParallel> host(const QString &listen, const QByteArray &token, int workers, const QByteArray &configJson,
                                              std::chrono::milliseconds wait, const std::atomic_bool &cancel,
                                              const std::function<void(const QString &)> &notice);
    /// A worker called @p name, admitted to @p store, that took rank @p rank of @p world.
    static std::unique_ptr<DataParallel> join(c10::intrusive_ptr<AuthenticatedStore> store, const QString &name, int rank, int world,
                                              std::chrono::milliseconds timeout);
    ~DataParallel();

    int rank() const { return rank_; }
    /// How the other hosts know this one ("coordinator" for rank 0).
    QString name() const { return name_; }
    int world() const { return world_; }
    /// This rank's contiguous part of @p batch (a 1-d tensor of sample indices): the first
    /// numel % world ranks get one more.
    torch::Tensor shard(const torch::Tensor &batch) const;
    /// Sums the gradients of @p parameters over every rank, in place (one allreduce).
    void sumGradients(const std::vector<torch::Tensor> &parameters);
    /// The rows of a batch of @p total of which this rank computed its part @p mine (its shard()),
    /// with every other rank's part gathered in rank order: differentiable in this rank's rows only
    /// (the others are constants here; their own ranks take their gradients).
    torch::Tensor gatherRows(const torch::Tensor &mine, std::int64_t total);
    /// Sums @p values over every rank (for an epoch's loss and correct counts).
    std::vector<double> sum(const std::vector<double> &values);
    /// A worker tells rank 0 what it spent.
    void reportEnergy(const HostEnergy &mine);
    /// Rank 0: what each worker reported, waiting up to @p timeout for the late ones (missing
    /// ones are left out and named by @p notice).
    std::vector<HostEnergy> workersEnergy(std::chrono::milliseconds timeout, const std::function<void(const QString &)> &notice);

private:
    DataParallel() = default;
    std::unique_ptr<StoreServer> server_; ///< rank 0's
    c10::intrusive_ptr<AuthenticatedStore> store_;
    c10::intrusive_ptr<c10d::ProcessGroupGloo> group_;
    int rank_ = 0, world_ = 1;
    QString name_ = QStringLiteral("coordinator");
};

} // namespace gw::distributed
