#pragma once
#include "extension/RunKind.h"
#include "store/RunRecord.h"

#include <QList>
#include <QMap>
#include <optional>
#include <vector>

namespace gw {

/// The figures compared runs can be set against each other on, from the result metrics their kinds
/// declare (accuracy and CO₂e for the built-in kinds, a plugin's own for its runs).
class ResultAxes {
public:
    /// The kind of a stored run: its config's "kind", or the one its keys imply (older stores).
    static QString kindOf(const RunRecord &run);
    /// Every result metric of the runs' kinds, objectives first, each name once; a run of a kind
    /// this process does not know (its plugin is not loaded) adds the built-in kinds' figures.
    static std::vector<ResultMetric> of(const QList<RunRecord> &runs);
    /// The axes a comparison opens on: accuracy against emissions when the runs have those (they
    /// always did), else the first objective against the first cost.
    /// Runs all of one kind open on that kind's compared cost (RunKind::comparedCost) instead.
    static std::pair<QString, QString> defaults(const std::vector<ResultMetric> &metrics, const QList<RunRecord> &runs = {});
    /// @p metric of @p run: accuracy, emissions_g and energy_kwh from its totals, the others from
    /// @p results (the last value of each of the run's metrics); nothing when it has none.
    static std::optional<double> value(const RunRecord &run, const QMap<QString, double> &results, const QString &metric);
    static const ResultMetric *find(const std::vector<ResultMetric> &metrics, const QString &name);
};

} // namespace gw
