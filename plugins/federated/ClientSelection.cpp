#include "ClientSelection.h"

#include "Error.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <set>

namespace gw::federated {

namespace {

double median(std::vector<double> values)
{
    if (values.empty())
        return 0;
    std::nth_element(values.begin(), values.begin() + values.size() / 2, values.end());
    return values[values.size() / 2];
}

/// A weighted draw of @p count without replacement (Efraimidis and Spirakis: the largest keys
/// u^(1/w)), in the order of their keys.
std::vector<std::size_t> weightedDraw(const std::vector<std::size_t> &pool, const std::vector<double> &weights, std::size_t count, std::mt19937_64 &rng)
{
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::vector<std::pair<double, std::size_t>> keyed;
    for (std::size_t p = 0; p < pool.size(); ++p) {
        const double u = std::max(1e-300, uniform(rng));
        // log u / w orders like u^(1/w) and keeps weights many orders of magnitude apart.
        keyed.push_back({weights[p] > 0 ? std::log(u) / weights[p] : -std::numeric_limits<double>::infinity(), pool[p]});
    }
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto &a, const auto &b) { return a.first > b.first; });
    std::vector<std::size_t> chosen;
    for (std::size_t i = 0; i < std::min(count, keyed.size()); ++i)
        chosen.push_back(keyed[i].second);
    return chosen;
}

/// The least device energy a round of any online candidate needs.
double leastEnergy(const std::vector<Candidate> &c)
{
    double least = std::numeric_limits<double>::infinity();
    for (const Candidate &x : c)
        if (x.expectedEnergyJ > 0)
            least = std::min(least, x.expectedEnergyJ);
    return least;
}

/// The energy-aware penalty: (least / its energy)^beta, so every joule above the cheapest online
/// client's round costs utility (1 for the cheapest).
double energyWeight(const Candidate &x, double leastJ, const SelectionOptions &o)
{
    return x.expectedEnergyJ > 0 && std::isfinite(leastJ) ? std::pow(leastJ / x.expectedEnergyJ, o.energyPenalty) : 1.0;
}

/// Oort's score for an explored candidate: its utility (scaled by the largest) plus the staleness
/// bonus sqrt(0.1 ln(round) / last round), times its duration penalty, and for the energy-aware
/// policy its energy weight.
std::vector<double> oortScores(const std::vector<Candidate> &c, const std::vector<std::size_t> &pool, int round, const SelectionOptions &o)
{
    double maxUtility = 0;
    std::vector<double> durations;
    for (std::size_t i : pool) {
        maxUtility = std::max(maxUtility, c[i].utility);
        durations.push_back(c[i].expectedS);
    }
    const double preferredS = median(durations);
    const double leastJ = leastEnergy(c);
    std::vector<double> scores;
    for (std::size_t i : pool) {
        double score = (maxUtility > 0 ? c[i].utility / maxUtility : 0) +
                       std::sqrt(0.1 * std::log(std::max(1, round)) / std::max(1, c[i].lastSelectedRound));
        if (c[i].expectedS > preferredS && c[i].expectedS > 0)
            score *= std::pow(preferredS / c[i].expectedS, o.durationPenalty);
        if (o.policy == QStringLiteral("energy"))
            score *= energyWeight(c[i], leastJ, o);
        scores.push_back(score);
    }
    return scores;
}

/// Oort's exploitation: the clients scoring at least 95 % of the score at the last slot, drawn by
/// score (so near-equals share the slots rather than the same few always winning).
std::vector<std::size_t> exploit(const std::vector<Candidate> &c, const std::vector<std::size_t> &pool, std::size_t slots, int round,
                                 const SelectionOptions &o, std::mt19937_64 &rng)
{
    if (slots == 0 || pool.empty())
        return {};
    const std::vector<double> scores = oortScores(c, pool, round, o);
    std::vector<double> sorted = scores;
    std::sort(sorted.begin(), sorted.end(), std::greater<double>());
    const double cutoff = 0.95 * sorted[std::min(slots, sorted.size()) - 1];
    std::vector<std::size_t> eligible;
    std::vector<double> weights;
    for (std::size_t p = 0; p < pool.size(); ++p)
        if (scores[p] >= cutoff) {
            eligible.push_back(pool[p]);
            weights.push_back(std::max(1e-12, scores[p]));
        }
    return weightedDraw(eligible, weights, slots, rng);
}

} // namespace

QStringList ClientSelection::policies()
{
    return {QStringLiteral("random"), QStringLiteral("oort"), QStringLiteral("energy"), QStringLiteral("carbon")};
}

int ClientSelection::maxWaitRounds(const SelectionOptions &o)
{
    if (o.policy == QStringLiteral("random") || o.fairnessFloor <= 0 || o.count <= 0)
        return 0;
    return int(std::ceil(double(std::max(o.totalClients, o.count)) / (double(o.count) * o.fairnessFloor)));
}

std::vector<int> ClientSelection::select(const std::vector<Candidate> &c, int round, const SelectionOptions &o, std::mt19937_64 &rng)
{
    if (!policies().contains(o.policy))
        throw Error(QStringLiteral("unknown client selection '%1' (known: %2)").arg(o.policy, policies().join(QStringLiteral(", "))));
    const std::size_t wanted = std::min(c.size(), std::size_t(std::ceil(double(o.count) * std::max(1.0, o.overcommit) - 1e-9)));
    std::vector<std::size_t> chosen;
    std::set<std::size_t> taken;
    const auto take = [&](const std::vector<std::size_t> &picks) {
        for (std::size_t i : picks)
            if (chosen.size() < wanted && taken.insert(i).second)
                chosen.push_back(i);
    };
    // The fairness floor first, earliest deadline first: each client's deadline is its last round
    // plus the longest wait; as many as cannot all fit in the rounds left before their deadlines
    // (count per round) are taken now, those who waited longest first.
    if (const int maxWait = maxWaitRounds(o); maxWait > 0) {
        std::vector<std::size_t> byDeadline(c.size());
        std::iota(byDeadline.begin(), byDeadline.end(), std::size_t(0));
        std::stable_sort(byDeadline.begin(), byDeadline.end(), [&c](std::size_t a, std::size_t b) { return c[a].lastSelectedRound < c[b].lastSelectedRound; });
        long long needNow = 0;
        for (std::size_t i = 0; i < byDeadline.size(); ++i) {
            const long long roundsAfterThis = (long long)c[byDeadline[i]].lastSelectedRound + maxWait - round;
            needNow = std::max(needNow, (long long)(i + 1) - (long long)o.count * roundsAfterThis);
        }
        byDeadline.resize(std::min(byDeadline.size(), std::size_t(std::max(0LL, needNow))));
        take(byDeadline);
    }
    std::vector<std::size_t> rest;
    for (std::size_t i = 0; i < c.size(); ++i)
        if (!taken.count(i))
            rest.push_back(i);
    const std::size_t slots = wanted - chosen.size();
    if (o.policy == QStringLiteral("random")) {
        std::shuffle(rest.begin(), rest.end(), rng);
        take(rest);
    } else if (o.policy == QStringLiteral("carbon")) {
        std::vector<double> perSample;
        double least = std::numeric_limits<double>::infinity();
        for (std::size_t i : rest) {
            perSample.push_back(c[i].expectedEnergyJ * c[i].intensity / double(std::max<std::int64_t>(1, c[i].samples)));
            least = std::min(least, perSample.back());
        }
        std::vector<double> weights;
        for (double v : perSample)
            weights.push_back(v > 0 ? std::pow(least / v, o.carbonExponent) : 1.0);
        take(weightedDraw(rest, weights, slots, rng));
    } else { // oort and energy: a share explores clients never tried, the rest exploits the scores
        std::vector<std::size_t> explored, unexplored;
        for (std::size_t i : rest)
            (c[i].explored ? explored : unexplored).push_back(i);
        std::size_t exploring = std::min(unexplored.size(), std::size_t(std::llround(o.exploration * double(slots))));
        if (explored.size() < slots - exploring) // too few known: explore the rest
            exploring = std::min(unexplored.size(), slots - explored.size());
        take(exploit(c, explored, slots - exploring, round, o, rng));
        if (o.policy == QStringLiteral("energy")) { // explores the cheap first, too
            const double leastJ = leastEnergy(c);
            std::vector<double> weights;
            for (std::size_t i : unexplored)
                weights.push_back(energyWeight(c[i], leastJ, o));
            take(weightedDraw(unexplored, weights, unexplored.size(), rng));
        } else {
            std::shuffle(unexplored.begin(), unexplored.end(), rng);
            take(unexplored);
        }
    }
    take(rest); // whatever a policy left short: fill from the rest in order
    std::vector<int> clients;
    for (std::size_t i : chosen)
        clients.push_back(c[i].client);
    return clients;
}

} // namespace gw::federated
