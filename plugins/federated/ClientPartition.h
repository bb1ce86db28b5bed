#pragma once
#include <QString>
#include <cstdint>
#include <vector>

namespace gw::federated {

/// Which samples each simulated client holds: indices into the training set, one list per client.
using Partition = std::vector<std::vector<std::int64_t>>;

/// How a dataset is split among federated clients, every way seeded: the same seed gives the same
/// partition. Throws Error for more clients than samples, a non-positive alpha, or a split that
/// cannot meet its minimum size.
class ClientPartition {
public:
    /// Shuffled, then dealt in near-equal parts.
    static Partition iid(std::int64_t samples, int clients, std::uint64_t seed);

    /// Label skew after flwr-datasets' DirichletPartitioner: for every class, shares of its samples
    /// drawn from Dir(@p alpha) over the clients; with @p selfBalancing, a client that already holds
    /// its fair share (samples / clients) gets no more; a partition whose smallest client holds fewer
    /// than @p minSize samples is drawn again, at most @p maxRetries times.
    static Partition dirichlet(const std::vector<std::int64_t> &labels, int clients, double alpha, std::uint64_t seed, int minSize = 10,
                               bool selfBalancing = true, int maxRetries = 10);

    /// McMahan et al.'s pathological split: samples sorted by label, cut into @p shardsPerClient x
    /// @p clients shards of equal size, each client given that many shards at random.
    static Partition shards(const std::vector<std::int64_t> &labels, int clients, std::uint64_t seed, int shardsPerClient = 2);
};

} // namespace gw::federated
