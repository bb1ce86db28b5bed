#include "report/ResultAxes.h"

#include "extension/RunKindRegistry.h"

#include <nlohmann/json.hpp>

namespace gw {

QString ResultAxes::kindOf(const RunRecord &run)
{
    const nlohmann::json params = nlohmann::json::parse(run.paramsJson.toStdString(), nullptr, false);
    if (params.is_object() && params.contains("kind") && params["kind"].is_string())
        return QString::fromStdString(params["kind"].get<std::string>());
    return RunKindRegistry::impliedKind(params);
}

std::vector<ResultMetric> ResultAxes::of(const QList<RunRecord> &runs)
{
    std::vector<ResultMetric> objectives, costs;
    const auto take = [&](const ResultMetric &m) {
        if (find(objectives, m.name) || find(costs, m.name))
            return;
        (m.objective ? objectives : costs).push_back(m);
    };
    for (const RunRecord &run : runs) {
        const RunKind *kind = RunKindRegistry::instance().find(kindOf(run));
        if (!kind)
            kind = RunKindRegistry::instance().find(QStringLiteral("finetune"));
        for (const ResultMetric &m : kind->resultMetrics())
            take(m);
    }
    objectives.insert(objectives.end(), costs.begin(), costs.end());
    return objectives;
}

std::pair<QString, QString> ResultAxes::defaults(const std::vector<ResultMetric> &metrics, const QList<RunRecord> &runs)
{
    QString objective, cost;
    for (const ResultMetric &m : metrics) {
        if (m.objective && objective.isEmpty())
            objective = m.name;
        if (!m.objective && cost.isEmpty())
            cost = m.name;
    }
    if (find(metrics, QStringLiteral("accuracy")))
        objective = QStringLiteral("accuracy");
    if (find(metrics, QStringLiteral("emissions_g")))
        cost = QStringLiteral("emissions_g");
    QStringList kinds;
    for (const RunRecord &run : runs)
        if (!kinds.contains(kindOf(run)))
            kinds << kindOf(run);
    if (kinds.size() == 1)
        if (const RunKind *kind = RunKindRegistry::instance().find(kinds.front()); kind && find(metrics, kind->comparedCost()))
            cost = kind->comparedCost();
    return {objective, cost};
}

std::optional<double> ResultAxes::value(const RunRecord &run, const QMap<QString, double> &results, const QString &metric)
{
    if (metric == QStringLiteral("accuracy"))
        return run.accuracy;
    if (metric == QStringLiteral("emissions_g"))
        return run.emissionsG;
    if (metric == QStringLiteral("energy_kwh"))
        return run.energyKwh;
    const auto it = results.constFind(metric);
    return it == results.cend() ? std::nullopt : std::optional<double>(*it);
}

const ResultMetric *ResultAxes::find(const std::vector<ResultMetric> &metrics, const QString &name)
{
    for (const ResultMetric &m : metrics)
        if (m.name == name)
            return &m;
    return nullptr;
}

} // namespace gw
