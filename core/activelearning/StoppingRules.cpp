#include "activelearning/StoppingRules.h"

#include "Error.h"

#include <algorithm>
#include <map>

namespace gw {

std::optional<QString> StoppingRules::check(const RoundState &state)
{
    stableRounds_ = limits_.kappa && state.kappa && *state.kappa >= *limits_.kappa ? stableRounds_ + 1 : 0;
    if (state.labels >= limits_.labelBudget)
        return QStringLiteral("label_budget");
    if (limits_.emissionsG && state.emissionsG >= *limits_.emissionsG)
        return QStringLiteral("carbon_budget");
    if (limits_.targetAccuracy && state.valAccuracy && *state.valAccuracy >= *limits_.targetAccuracy)
        return QStringLiteral("target_accuracy");
    if (limits_.kappa && stableRounds_ >= limits_.kappaRounds)
        return QStringLiteral("stable_predictions");
    return std::nullopt;
}

double StoppingRules::cohenKappa(const std::vector<std::int64_t> &a, const std::vector<std::int64_t> &b)
{
    if (a.size() != b.size())
        throw Error(QStringLiteral("Cohen's kappa needs two labelings of the same samples (%1 and %2)").arg(a.size()).arg(b.size()));
    if (a.empty())
        return 1;
    std::map<std::int64_t, double> countA, countB;
    double agree = 0;
    for (std::size_t i = 0; i < a.size(); ++i) {
        agree += a[i] == b[i];
        countA[a[i]] += 1;
        countB[b[i]] += 1;
    }
    const double n = double(a.size());
    double chance = 0;
    for (const auto &[label, count] : countA)
        if (const auto it = countB.find(label); it != countB.end())
            chance += (count / n) * (it->second / n);
    const double observed = agree / n;
    if (chance >= 1.0)
        return 1; // both constant and equal: nothing left to disagree on
    return (observed - chance) / (1.0 - chance);
}

} // namespace gw
