#include "report/RunSeries.h"

#include "store/Database.h"
#include "store/RoundRepository.h"
#include "store/RunRepository.h"

#include <algorithm>

namespace gw {

double RunSeries::energyAt(const std::vector<PowerSample> &samples, double elapsedS)
{
    const auto after = std::lower_bound(samples.begin(), samples.end(), elapsedS,
                                        [](const PowerSample &s, double t) { return s.elapsedS < t; });
    if (after == samples.end())
        return samples.empty() ? 0 : samples.back().energyJ;
    if (after == samples.begin())
        return after->elapsedS > 0 ? after->energyJ * std::max(0.0, elapsedS) / after->elapsedS : after->energyJ;
    const auto before = after - 1;
    const double span = after->elapsedS - before->elapsedS;
    const double share = span > 0 ? (elapsedS - before->elapsedS) / span : 1.0;
    return before->energyJ + share * (after->energyJ - before->energyJ);
}

RunSeries RunSeries::load(const Database &db, const RunRecord &run)
{
    RunSeries series;
    series.runId = run.id;
    series.name = run.name;
    const RunRepository runs(db);
    series.phases = runs.phaseSplit(run.id);
    series.results = runs.finalMetrics(run.id);

    const std::vector<RoundRecord> rounds = RoundRepository(db).rounds(run.id);
    if (!rounds.empty()) {
        double energyJ = 0;
        for (const PhaseEnergy &p : series.phases)
            if (p.phase == QStringLiteral("data") || p.phase == QStringLiteral("embed"))
                energyJ += p.energyJ;
        for (const RoundRecord &r : rounds) {
            energyJ += r.trainEnergyJ + r.evalEnergyJ;
            if (r.testAccuracy)
                series.curve.push_back({double(r.labels), *r.testAccuracy, energyJ / 3600.0});
            energyJ += r.queryEnergyJ + r.labelWaitEnergyJ;
        }
        return series;
    }

    std::vector<MetricPoint> accuracy;
    for (const MetricPoint &m : runs.metrics(run.id))
        if (m.name == QStringLiteral("test_accuracy"))
            accuracy.push_back(m);
    std::sort(accuracy.begin(), accuracy.end(), [](const MetricPoint &a, const MetricPoint &b) { return a.step < b.step; });
    std::vector<double> evalEnds;
    for (const EnergyWindow &w : runs.energyWindows(run.id))
        if (w.phase == QStringLiteral("eval"))
            evalEnds.push_back(w.endS);
    std::sort(evalEnds.begin(), evalEnds.end());
    const std::vector<PowerSample> samples = runs.powerSamples(run.id);
    for (std::size_t i = 0; i < accuracy.size(); ++i) {
        // Without an eval window for the epoch (an older store), the run's total stands in for the last.
        const double energyJ = i < evalEnds.size() ? energyAt(samples, evalEnds[i])
                                                   : (run.energyKwh ? *run.energyKwh * 3.6e6 : energyAt(samples, 1e300));
        series.curve.push_back({double(run.labelsUsed), accuracy[i].value, energyJ / 3600.0});
    }
    return series;
}

} // namespace gw
