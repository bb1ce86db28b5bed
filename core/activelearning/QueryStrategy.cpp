#include "activelearning/QueryStrategy.h"

#include "Error.h"
#include "activelearning/QueryStrategyNames.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw {

namespace {

std::int64_t poolSize(const QueryPool &pool)
{
    if (pool.probabilities.defined())
        return pool.probabilities.size(0);
    return pool.embeddings.defined() ? pool.embeddings.size(0) : 0;
}

/// The @p batch highest scores, best first, ties to the lower index; with @p classBalanced the
/// picks take turns over the predicted classes.
std::vector<std::int64_t> topScores(const torch::Tensor &scores, const QueryPool &pool, const QueryOptions &options)
{
    const torch::Tensor s = scores.to(torch::kFloat64).contiguous();
    const std::int64_t n = s.size(0);
    std::vector<std::int64_t> order(std::size_t(n), 0);
    std::iota(order.begin(), order.end(), 0);
    const double *v = s.data_ptr<double>();
    std::stable_sort(order.begin(), order.end(), [v](std::int64_t a, std::int64_t b) { return v[a] > v[b]; });
    const std::size_t want = std::size_t(std::min(options.batch, n));
    if (!options.classBalanced || !pool.probabilities.defined()) {
        order.resize(want);
        return order;
    }
    const torch::Tensor predicted = pool.probabilities.argmax(1).contiguous();
    const auto predictedClass = predicted.accessor<std::int64_t, 1>(); // one read per sample, not one tensor op
    const std::int64_t classes = pool.probabilities.size(1);
    std::vector<std::vector<std::int64_t>> perClass(static_cast<std::size_t>(classes));
    for (std::int64_t i : order)
        perClass[std::size_t(predictedClass[i])].push_back(i);
    std::vector<std::int64_t> picked;
    for (std::size_t round = 0; picked.size() < want; ++round)
        for (const auto &queue : perClass)
            if (round < queue.size() && picked.size() < want)
                picked.push_back(queue[round]);
    return picked;
}

/// Squared Euclidean distances [N, M] through one matrix product (|a|^2 + |b|^2 - 2 a.b): BLAS speed,
/// where cdist's direct path walks every pair.
torch::Tensor squaredDistances(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a.pow(2).sum(1, true) + b.pow(2).sum(1).unsqueeze(0) - 2.0 * a.matmul(b.t())).clamp_min(0);
}

/// For each row of @p a, the squared distance to its nearest row of @p b, in blocks of rows so a
/// 60,000 x 1,000 pool never holds the whole distance matrix.
torch::Tensor nearestSquaredDistance(const torch::Tensor &a, const torch::Tensor &b)
{
    constexpr std::int64_t kBlock = 4096;
    std::vector<torch::Tensor> parts;
    for (std::int64_t first = 0; first < a.size(0); first += kBlock)
        parts.push_back(std::get<0>(squaredDistances(a.slice(0, first, std::min(a.size(0), first + kBlock)), b).min(1)));
    return parts.empty() ? torch::empty({0}) : torch::cat(parts);
}

torch::Tensor requireProbabilities(const QueryPool &pool, const QString &strategy)
{
    if (!pool.probabilities.defined() || pool.probabilities.dim() != 2)
        throw Error(QStringLiteral("query strategy %1 needs the model's class probabilities of the pool").arg(strategy));
    return pool.probabilities.to(torch::kFloat64);
}

class RandomQuery : public QueryStrategy {
public:
    QString name() const override { return QStringLiteral("random"); }
    std::vector<std::int64_t> select(const QueryPool &pool, const QueryOptions &options) const override
    {
        std::vector<std::int64_t> order(std::size_t(poolSize(pool)));
        std::iota(order.begin(), order.end(), 0);
        std::mt19937_64 rng(options.seed);
        std::shuffle(order.begin(), order.end(), rng);
        order.resize(std::min(order.size(), std::size_t(std::max<std::int64_t>(0, options.batch))));
        return order;
    }
};

/// Uncertainty sampling: a score per sample from its class probabilities, highest first.
class UncertaintyQuery : public QueryStrategy {
public:
    enum class Kind { LeastConfidence, Margin, Entropy };
    explicit UncertaintyQuery(Kind kind) : kind_(kind) {}
    QString name() const override
    {
        return kind_ == Kind::LeastConfidence ? QStringLiteral("least-confidence") : kind_ == Kind::Margin ? QStringLiteral("margin")
                                                                                                           : QStringLiteral("entropy");
    }
    std::vector<std::int64_t> select(const QueryPool &pool, const QueryOptions &options) const override
    {
        const torch::Tensor p = requireProbabilities(pool, name());
        torch::Tensor score;
        if (kind_ == Kind::LeastConfidence) {
            score = 1.0 - std::get<0>(p.max(1));
        } else if (kind_ == Kind::Margin) {
            // The smaller the gap between the two likeliest classes, the more a label teaches.
            const torch::Tensor top2 = std::get<0>(p.topk(std::min<std::int64_t>(2, p.size(1)), 1));
            score = p.size(1) < 2 ? torch::zeros({p.size(0)}, torch::kFloat64) : -(top2.select(1, 0) - top2.select(1, 1));
        } else {
            score = -(p * p.clamp_min(1e-12).log()).sum(1);
        }
        return topScores(score, pool, options);
    }

private:
    Kind kind_;
};

/// Core-set (k-center greedy): each pick is the pool sample farthest from everything labelled or
/// picked so far, so the labelled set covers the embedding space.
class CoreSetQuery : public QueryStrategy {
public:
    QString name() const override { return QStringLiteral("core-set"); }
    std::vector<std::int64_t> select(const QueryPool &pool, const QueryOptions &options) const override
    {
        if (!pool.embeddings.defined() || pool.embeddings.dim() != 2)
            throw Error(QStringLiteral("query strategy core-set needs the pool's embeddings"));
        const torch::Tensor x = pool.embeddings.to(torch::kFloat32);
        const std::int64_t n = x.size(0);
        // Squared distances throughout: the farthest sample is the same, without square roots.
        torch::Tensor nearest = torch::full({n}, std::numeric_limits<float>::infinity());
        if (pool.labeledEmbeddings.defined() && pool.labeledEmbeddings.numel() > 0)
            nearest = nearestSquaredDistance(x, pool.labeledEmbeddings.to(torch::kFloat32));
        std::vector<std::int64_t> picked;
        std::mt19937_64 rng(options.seed);
        const torch::Tensor squaredNorms = x.pow(2).sum(1);
        for (std::int64_t k = 0; k < std::min(options.batch, n); ++k) {
            // With nothing labelled every distance is infinite: the seed picks the first centre.
            const std::int64_t next = std::isinf(nearest.max().item<float>()) ? std::int64_t(rng() % std::uint64_t(n))
                                                                              : nearest.argmax().item<std::int64_t>();
            picked.push_back(next);
            // |x - c|^2 = |x|^2 + |c|^2 - 2 x.c: one matrix-vector product, no N x D temporary.
            nearest = torch::minimum(nearest, (squaredNorms + squaredNorms[next] - 2.0 * x.matmul(x[next])).clamp_min(0));
            nearest[next] = -1; // never again
        }
        return picked;
    }
};

/// BALD: the mutual information between the label and the head's weights, estimated with MC
/// dropout: entropy of the mean prediction minus the mean entropy of each dropout prediction. High
/// where the dropout samples disagree, not merely where each is unsure.
class BaldQuery : public QueryStrategy {
public:
    QString name() const override { return QStringLiteral("bald"); }
    std::vector<std::int64_t> select(const QueryPool &pool, const QueryOptions &options) const override
    {
        if (!pool.mcProbabilities.defined() || pool.mcProbabilities.dim() != 3)
            throw Error(QStringLiteral("query strategy bald needs [T, N, C] probabilities under dropout"));
        // Single precision: T x N x C doubles would be a copy as large as the input, for a ranking
        // that float32 entropies order the same way.
        const torch::Tensor p = pool.mcProbabilities.to(torch::kFloat32);
        const auto entropy = [](const torch::Tensor &q) { return -(q * q.clamp_min(1e-12).log()).sum(-1); };
        const torch::Tensor score = entropy(p.mean(0)) - entropy(p).mean(0);
        QueryPool ranked = pool;
        if (!ranked.probabilities.defined())
            ranked.probabilities = p.mean(0);
        return topScores(score, ranked, options);
    }
};

/// BADGE: k-means++ seeding over gradient embeddings g = (p - onehot(argmax p)) x h, which are large
/// where the model is unsure and point where the features differ. The C x D embeddings are never
/// built: |g_i - g_j|^2 = |a_i|^2|h_i|^2 + |a_j|^2|h_j|^2 - 2 (a_i.a_j)(h_i.h_j) with a = p - onehot,
/// so a 60,000-sample pool costs O(N (C + D)) per pick, not gigabytes.
class BadgeQuery : public QueryStrategy {
public:
    QString name() const override { return QStringLiteral("badge"); }
    std::vector<std::int64_t> select(const QueryPool &pool, const QueryOptions &options) const override
    {
        const torch::Tensor p = requireProbabilities(pool, name());
        if (!pool.embeddings.defined() || pool.embeddings.size(0) != p.size(0))
            throw Error(QStringLiteral("query strategy badge needs the pool's embeddings beside its probabilities"));
        const torch::Tensor h = pool.embeddings.to(torch::kFloat64);
        const torch::Tensor a = p - torch::one_hot(p.argmax(1), p.size(1)).to(torch::kFloat64);
        const torch::Tensor norms = a.pow(2).sum(1) * h.pow(2).sum(1); // |g_i|^2
        const std::int64_t n = p.size(0);
        std::vector<std::int64_t> picked;
        if (n == 0 || options.batch <= 0)
            return picked;
        std::mt19937_64 rng(options.seed);
        std::int64_t next = norms.argmax().item<std::int64_t>(); // the largest gradient starts, as in BADGE
        torch::Tensor nearest = torch::full({n}, std::numeric_limits<double>::infinity(), torch::kFloat64);
        while (true) {
            picked.push_back(next);
            const torch::Tensor d = (norms + norms[next] - 2.0 * a.matmul(a[next]) * h.matmul(h[next])).clamp_min(0);
            nearest = torch::minimum(nearest, d);
            for (std::int64_t i : picked)
                nearest[i] = 0;
            if (std::int64_t(picked.size()) >= std::min(options.batch, n))
                break;
            const double total = nearest.sum().item<double>();
            if (!(total > 0))
                break; // every sample coincides with a pick: nothing new to learn from
            // D^2 sampling: the next centre with probability proportional to its squared distance.
            double target = std::uniform_real_distribution<double>(0, total)(rng);
            const torch::Tensor cumulative = nearest.cumsum(0);
            next = std::min<std::int64_t>(n - 1, torch::searchsorted(cumulative, torch::tensor({target}, torch::kFloat64)).item<std::int64_t>());
        }
        return picked;
    }
};

/// Cold start, before any label or model: k-means on the embeddings (k = batch, seeded, fitted on
/// at most 10,000 of them) and, per cluster, the pool sample nearest its centre: typical samples of
/// every region.
class ColdStartQuery : public QueryStrategy {
public:
    QString name() const override { return QStringLiteral("cold-start"); }
    std::vector<std::int64_t> select(const QueryPool &pool, const QueryOptions &options) const override
    {
        if (!pool.embeddings.defined() || pool.embeddings.dim() != 2)
            throw Error(QStringLiteral("query strategy cold-start needs the pool's embeddings"));
        const torch::Tensor x = pool.embeddings.to(torch::kFloat32);
        const std::int64_t n = x.size(0);
        const std::int64_t k = std::min(options.batch, n);
        if (k <= 0)
            return {};
        // The centres come from a seeded sample of the pool (10,000 describe 10-100 clusters as
        // well as 60,000 do, at a sixth of the cost); the picks come from the whole pool.
        constexpr std::int64_t kFitSample = 10000;
        torch::Tensor fit = x;
        if (n > kFitSample) {
            std::vector<std::int64_t> order(static_cast<std::size_t>(n));
            std::iota(order.begin(), order.end(), 0);
            std::mt19937_64 rng(options.seed);
            std::shuffle(order.begin(), order.end(), rng);
            order.resize(std::size_t(kFitSample));
            std::sort(order.begin(), order.end());
            fit = x.index_select(0, torch::tensor(order, torch::kInt64));
        }
        // Farthest-first seeding (deterministic for a seed), then Lloyd until nothing moves.
        QueryOptions seeding = options;
        seeding.batch = k;
        const std::vector<std::int64_t> seeds = CoreSetQuery().select(QueryPool{{}, fit, {}, {}}, seeding);
        torch::Tensor centres = fit.index_select(0, torch::tensor(seeds, torch::kInt64)).clone();
        torch::Tensor previous;
        for (int iteration = 0; iteration < 20; ++iteration) {
            // One pass over the points per iteration: sums and counts per cluster by scatter-add,
            // not a scan of all points per cluster.
            const torch::Tensor assignment = squaredDistances(fit, centres).argmin(1);
            if (previous.defined() && assignment.equal(previous))
                break;
            previous = assignment;
            const torch::Tensor sums = torch::zeros_like(centres).index_add_(0, assignment, fit);
            const torch::Tensor counts = torch::bincount(assignment, {}, k).to(torch::kFloat32).unsqueeze(1);
            // A cluster left empty keeps its centre.
            centres = torch::where(counts > 0, sums / counts.clamp_min(1), centres);
        }
        std::vector<std::int64_t> picked;
        torch::Tensor distances = squaredDistances(centres, x);
        for (std::int64_t c = 0; c < k; ++c) {
            const std::int64_t best = distances[c].argmin().item<std::int64_t>();
            picked.push_back(best);
            distances.index_put_({torch::indexing::Slice(), best}, std::numeric_limits<float>::infinity()); // no repeats
        }
        return picked;
    }
};

} // namespace

QStringList QueryStrategy::names()
{
    return QueryStrategyNames::all();
}

std::unique_ptr<QueryStrategy> QueryStrategy::create(const QString &name)
{
    if (name == QStringLiteral("random"))
        return std::make_unique<RandomQuery>();
    if (name == QStringLiteral("least-confidence"))
        return std::make_unique<UncertaintyQuery>(UncertaintyQuery::Kind::LeastConfidence);
    if (name == QStringLiteral("margin"))
        return std::make_unique<UncertaintyQuery>(UncertaintyQuery::Kind::Margin);
    if (name == QStringLiteral("entropy"))
        return std::make_unique<UncertaintyQuery>(UncertaintyQuery::Kind::Entropy);
    if (name == QStringLiteral("core-set"))
        return std::make_unique<CoreSetQuery>();
    if (name == QStringLiteral("bald"))
        return std::make_unique<BaldQuery>();
    if (name == QStringLiteral("badge"))
        return std::make_unique<BadgeQuery>();
    if (name == QStringLiteral("cold-start"))
        return std::make_unique<ColdStartQuery>();
    throw Error(QStringLiteral("unknown query strategy '%1' (%2)").arg(name, names().join(QStringLiteral(", "))));
}

} // namespace gw
