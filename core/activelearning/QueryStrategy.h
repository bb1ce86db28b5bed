#pragma once
#include <QString>
#include <QStringList>
#include <cstdint>
#include <memory>
#include <torch/types.h>
#include <vector>

namespace gw {

/// What a query strategy may look at to pick the next samples to label from an unlabelled pool.
struct QueryPool {
    torch::Tensor probabilities;      ///< [N, C] the current model's class probabilities (uncertainty strategies)
    torch::Tensor embeddings;         ///< [N, D] backbone features of the pool (core-set)
    torch::Tensor labeledEmbeddings;  ///< [L, D] features of what is labelled already (core-set; may be empty)
    torch::Tensor mcProbabilities;    ///< [T, N, C] probabilities under T dropout masks of the head (BALD)
};

/// How many to pick and how.
struct QueryOptions {
    std::int64_t batch = 20;
    std::uint64_t seed = 1;
    /// Spread the picks over the predicted classes (round robin by score), so a batch is not all one class.
    bool classBalanced = false;
};

/// Picks which unlabelled samples a person should label next. Ties break by index (lowest first),
/// so the same pool and seed give the same picks.
class QueryStrategy {
public:
    virtual ~QueryStrategy() = default;
    virtual QString name() const = 0;
    /// Indices into the pool, at most options.batch of them, best first, without repeats.
    virtual std::vector<std::int64_t> select(const QueryPool &pool, const QueryOptions &options) const = 0;

    /// "random", "least-confidence", "margin", "entropy", "bald", "core-set", "badge", "cold-start";
    /// throws gw::Error for others.
    static std::unique_ptr<QueryStrategy> create(const QString &name);
    static QStringList names();
};

} // namespace gw
