#include "report/RunComparison.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <algorithm>
#include <numeric>

namespace gw {

namespace {

void flattenInto(const QJsonValue &value, const QString &prefix, QMap<QString, QString> &out)
{
    if (value.isObject()) {
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            flattenInto(it.value(), prefix.isEmpty() ? it.key() : prefix + QLatin1Char('.') + it.key(), out);
        if (!object.isEmpty())
            return;
    }
    QString text;
    switch (value.type()) {
    case QJsonValue::Null: text = QStringLiteral("null"); break;
    case QJsonValue::Bool: text = value.toBool() ? QStringLiteral("true") : QStringLiteral("false"); break;
    case QJsonValue::Double: text = QString::number(value.toDouble(), 'g', 12); break;
    case QJsonValue::String: text = QLatin1Char('"') + value.toString() + QLatin1Char('"'); break;
    case QJsonValue::Array: text = QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact)); break;
    default: text = QStringLiteral("{}"); break;
    }
    out.insert(prefix, text);
}

} // namespace

RunComparison::RunComparison(QList<RunRecord> runs, QMap<qint64, ReusedCost> reused) : runs_(std::move(runs)), reused_(std::move(reused))
{
    for (const RunRecord &run : runs_)
        parameters_.push_back(flattenParameters(run.paramsJson));
}

QMap<QString, QString> RunComparison::flattenParameters(const QString &paramsJson)
{
    QMap<QString, QString> out;
    const QJsonDocument document = QJsonDocument::fromJson(paramsJson.toUtf8());
    if (document.isObject())
        flattenInto(document.object(), QString(), out);
    return out;
}

QStringList RunComparison::differingParameters() const
{
    QSet<QString> keys;
    for (const auto &p : parameters_)
        for (auto it = p.constBegin(); it != p.constEnd(); ++it)
            keys.insert(it.key());
    QStringList out;
    for (const QString &key : keys) {
        // "name" names runs; it differs by design and says nothing about how they differ.
        if (key == QStringLiteral("name"))
            continue;
        // Runs of different kinds read different keys: a key one kind lacks is that kind's business
        // (the "kind" column says so), not a difference. Two values, or present against absent
        // within one kind, are.
        QSet<QString> values;
        QMap<QString, QSet<bool>> presenceByKind;
        for (const auto &p : parameters_) {
            const bool present = p.contains(key);
            if (present)
                values.insert(p.value(key));
            presenceByKind[p.value(QStringLiteral("kind"))].insert(present);
        }
        bool differs = values.size() > 1;
        for (const QSet<bool> &presence : presenceByKind)
            differs = differs || presence.size() > 1;
        if (differs)
            out << key;
    }
    out.sort();
    return out;
}

QString RunComparison::parameter(int row, const QString &key) const
{
    return row >= 0 && row < int(parameters_.size()) ? parameters_[std::size_t(row)].value(key) : QString();
}

std::vector<bool> RunComparison::paretoFrontier(const std::vector<std::pair<double, double>> &points)
{
    std::vector<bool> onFrontier(points.size(), true);
    for (std::size_t i = 0; i < points.size(); ++i)
        for (std::size_t j = 0; j < points.size() && onFrontier[i]; ++j) {
            const bool noWorse = points[j].first <= points[i].first && points[j].second >= points[i].second;
            const bool better = points[j].first < points[i].first || points[j].second > points[i].second;
            if (j != i && noWorse && better)
                onFrontier[i] = false; // dominated by j
        }
    return onFrontier;
}

std::vector<bool> RunComparison::paretoFrontier() const
{
    std::vector<std::pair<double, double>> points;
    std::vector<int> rows;
    for (int i = 0; i < runs_.size(); ++i)
        if (runs_[i].accuracy && runs_[i].emissionsG) {
            points.emplace_back(*runs_[i].emissionsG, *runs_[i].accuracy);
            rows.push_back(i);
        }
    const std::vector<bool> frontier = paretoFrontier(points);
    std::vector<bool> out(std::size_t(runs_.size()), false);
    for (std::size_t k = 0; k < rows.size(); ++k)
        out[std::size_t(rows[k])] = frontier[k];
    return out;
}

std::optional<RunComparison::ReusedCost> RunComparison::ReusedCost::of(const RunRecord &run, const QMap<QString, double> &results)
{
    const double energyJ = results.value(QStringLiteral("embedding_energy_reused_j"));
    if (!(energyJ > 0))
        return std::nullopt;
    ReusedCost cost;
    cost.energyKwh = energyJ / 3.6e6;
    cost.emissionsG = results.contains(QStringLiteral("embedding_emissions_reused_g")) ? results.value(QStringLiteral("embedding_emissions_reused_g"))
                                                                                        : cost.energyKwh * run.intensityGPerKwh.value_or(0);
    cost.computedByRun = qint64(results.value(QStringLiteral("embedding_computed_by_run")));
    return cost;
}

std::optional<RunComparison::ReusedCost> RunComparison::reused(int row) const
{
    const auto it = reused_.constFind(runs_.at(row).id);
    return it == reused_.constEnd() ? std::nullopt : std::optional<ReusedCost>(*it);
}

std::optional<double> RunComparison::chargedEmissionsG(int row, const Score &score) const
{
    const RunRecord &run = runs_.at(row);
    if (!run.emissionsG)
        return std::nullopt;
    const std::optional<ReusedCost> extra = score.chargeReused ? reused(row) : std::nullopt;
    return *run.emissionsG + (extra ? extra->emissionsG : 0);
}

std::vector<std::optional<double>> RunComparison::scores(const Score &score) const
{
    std::vector<std::optional<double>> charged;
    double largest = 0;
    for (int i = 0; i < runs_.size(); ++i) {
        charged.push_back(chargedEmissionsG(i, score));
        largest = std::max(largest, charged.back().value_or(0));
    }
    std::vector<std::optional<double>> out;
    for (int i = 0; i < runs_.size(); ++i) {
        const RunRecord &run = runs_[i];
        const std::optional<double> emissionsG = charged[std::size_t(i)];
        if (!run.accuracy || !emissionsG) {
            out.emplace_back();
            continue;
        }
        if (score.kind == Score::Kind::AccuracyPerGram)
            out.emplace_back(*emissionsG > 0 ? std::optional<double>(*run.accuracy / *emissionsG) : std::nullopt);
        else
            out.emplace_back(*run.accuracy - score.weight * (largest > 0 ? *emissionsG / largest : 0));
    }
    return out;
}

std::vector<int> RunComparison::leaderboard(const Score &score) const
{
    const std::vector<std::optional<double>> s = scores(score);
    std::vector<int> order(std::size_t(runs_.size()));
    std::iota(order.begin(), order.end(), 0);
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
        const auto &sa = s[std::size_t(a)], &sb = s[std::size_t(b)];
        if (sa.has_value() != sb.has_value())
            return sa.has_value();
        if (sa && sb && *sa != *sb)
            return *sa > *sb;
        return runs_[a].id < runs_[b].id;
    });
    return order;
}

} // namespace gw
