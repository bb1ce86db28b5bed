#include "ClientPartition.h"

#include "Error.h"

#include <algorithm>
#include <limits>
#include <map>
#include <numeric>
#include <random>

namespace gw::federated {

namespace {

void checkClients(std::int64_t samples, int clients)
{
    if (clients < 1)
        throw Error(QStringLiteral("a federation needs at least one client (got %1)").arg(clients));
    if (clients > samples)
        throw Error(QStringLiteral("%1 clients for %2 training samples: every client needs a sample at least (fewer clients or more data)")
                        .arg(clients)
                        .arg(samples));
}

} // namespace

Partition ClientPartition::iid(std::int64_t samples, int clients, std::uint64_t seed)
{
    checkClients(samples, clients);
    std::vector<std::int64_t> order(static_cast<std::size_t>(samples));
    std::iota(order.begin(), order.end(), 0);
    std::shuffle(order.begin(), order.end(), std::mt19937_64(seed));
    Partition parts(static_cast<std::size_t>(clients));
    for (std::int64_t i = 0; i < samples; ++i)
        parts[std::size_t(i % clients)].push_back(order[std::size_t(i)]);
    return parts;
}

Partition ClientPartition::dirichlet(const std::vector<std::int64_t> &labels, int clients, double alpha, std::uint64_t seed, int minSize,
                                     bool selfBalancing, int maxRetries)
{
    checkClients(std::int64_t(labels.size()), clients);
    if (!(alpha > 0))
        throw Error(QStringLiteral("the Dirichlet concentration alpha must be above 0 (got %1): small values skew labels more").arg(alpha));
    std::map<std::int64_t, std::vector<std::int64_t>> byClass;
    for (std::size_t i = 0; i < labels.size(); ++i)
        byClass[labels[i]].push_back(std::int64_t(i));
    std::mt19937_64 random(seed);
    const double fairShare = double(labels.size()) / double(clients);
    for (int attempt = 0; attempt < maxRetries; ++attempt) {
        Partition parts(static_cast<std::size_t>(clients));
        for (auto &[label, indices] : byClass) {
            std::vector<std::int64_t> shuffled = indices;
            std::shuffle(shuffled.begin(), shuffled.end(), random);
            std::gamma_distribution<double> gamma(alpha, 1.0);
            std::vector<double> share(static_cast<std::size_t>(clients));
            for (double &s : share)
                s = gamma(random); // Dir(alpha): independent Gamma(alpha, 1) draws, normalised
            if (selfBalancing)
                for (int c = 0; c < clients; ++c)
                    if (double(parts[std::size_t(c)].size()) >= fairShare)
                        share[std::size_t(c)] = 0;
            double total = std::accumulate(share.begin(), share.end(), 0.0);
            if (!(total > 0)) {
                std::fill(share.begin(), share.end(), 1.0);
                total = double(clients);
            }
            // Cut the class's samples at the cumulative shares.
            double cumulative = 0;
            std::size_t start = 0;
            for (int c = 0; c < clients; ++c) {
                cumulative += share[std::size_t(c)] / total;
                const std::size_t end = c == clients - 1 ? shuffled.size() : std::min(shuffled.size(), std::size_t(cumulative * double(shuffled.size())));
                for (std::size_t i = start; i < end; ++i)
                    parts[std::size_t(c)].push_back(shuffled[i]);
                start = std::max(start, end);
            }
        }
        const auto smallest = std::min_element(parts.begin(), parts.end(), [](const auto &a, const auto &b) { return a.size() < b.size(); });
        if (std::int64_t(smallest->size()) >= minSize) {
            for (auto &p : parts)
                std::sort(p.begin(), p.end());
            return parts;
        }
    }
    throw Error(QStringLiteral("no Dirichlet(%1) split of %2 samples over %3 clients gave every client %4 samples or more in %5 tries: raise alpha, "
                               "lower the number of clients or the minimum")
                    .arg(alpha)
                    .arg(labels.size())
                    .arg(clients)
                    .arg(minSize)
                    .arg(maxRetries));
}

Partition ClientPartition::shards(const std::vector<std::int64_t> &labels, int clients, std::uint64_t seed, int shardsPerClient)
{
    const std::int64_t shardCount = std::int64_t(clients) * shardsPerClient;
    checkClients(std::int64_t(labels.size()), int(std::min<std::int64_t>(shardCount, std::numeric_limits<int>::max())));
    std::vector<std::int64_t> sorted(labels.size());
    std::iota(sorted.begin(), sorted.end(), 0);
    std::stable_sort(sorted.begin(), sorted.end(), [&labels](std::int64_t a, std::int64_t b) { return labels[std::size_t(a)] < labels[std::size_t(b)]; });
    std::vector<std::int64_t> shardOrder(static_cast<std::size_t>(shardCount));
    std::iota(shardOrder.begin(), shardOrder.end(), 0);
    std::shuffle(shardOrder.begin(), shardOrder.end(), std::mt19937_64(seed));
    const std::int64_t shardSize = std::int64_t(labels.size()) / shardCount;
    Partition parts(static_cast<std::size_t>(clients));
    for (std::int64_t s = 0; s < shardCount; ++s) {
        const std::int64_t shard = shardOrder[std::size_t(s)];
        auto &part = parts[std::size_t(s / shardsPerClient)];
        // The last shard takes the remainder, so no sample is left out.
        const std::int64_t end = shard == shardCount - 1 ? std::int64_t(labels.size()) : (shard + 1) * shardSize;
        for (std::int64_t i = shard * shardSize; i < end; ++i)
            part.push_back(sorted[std::size_t(i)]);
    }
    for (auto &p : parts)
        std::sort(p.begin(), p.end());
    return parts;
}

} // namespace gw::federated
