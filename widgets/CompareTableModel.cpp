#include "CompareTableModel.h"

#include "util/CsvTable.h"

#include <QColor>
#include <QPalette>

namespace gw {

CompareTableModel::CompareTableModel(QObject *parent) : QAbstractTableModel(parent), comparison_(std::make_unique<RunComparison>(QList<RunRecord>()))
{
}

void CompareTableModel::setRuns(const QList<RunRecord> &runs, const QMap<qint64, RunComparison::ReusedCost> &reused)
{
    beginResetModel();
    comparison_ = std::make_unique<RunComparison>(runs, reused);
    parameters_ = comparison_->differingParameters();
    frontier_ = comparison_->paretoFrontier();
    scores_ = comparison_->scores(score_);
    endResetModel();
}

void CompareTableModel::setScore(const RunComparison::Score &score)
{
    score_ = score;
    scores_ = comparison_->scores(score_);
    if (rowCount() > 0)
        Q_EMIT dataChanged(index(0, kFirstMetricColumn), index(rowCount() - 1, scoreColumn()));
    Q_EMIT headerDataChanged(Qt::Horizontal, scoreColumn(), scoreColumn());
}

int CompareTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(comparison_->runs().size());
}

int CompareTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : firstParameterColumn() + int(parameters_.size());
}

QVariant CompareTableModel::metric(int row, Metric metric, int role) const
{
    const RunRecord &run = comparison_->runs().at(row);
    const bool sortKey = role == Qt::UserRole;
    const auto number = [sortKey](const std::optional<double> &v, int decimals, double scale) -> QVariant {
        if (!v)
            return sortKey ? QVariant() : QVariant(QStringLiteral("–"));
        return sortKey ? QVariant(*v * scale) : QVariant(QString::number(*v * scale, 'f', decimals));
    };
    switch (metric) {
    case Accuracy: return number(run.accuracy, 2, 100.0);
    case Labels: return sortKey ? QVariant(run.labelsUsed) : QVariant(QString::number(run.labelsUsed));
    case Energy: return number(run.energyKwh, 4, 1000.0);
    case Emissions: return number(run.emissionsG, 4, 1.0);
    case Reused: {
        const std::optional<RunComparison::ReusedCost> reused = comparison_->reused(row);
        return number(reused ? std::optional<double>(reused->emissionsG) : std::nullopt, 4, 1.0);
    }
    case Duration: return number(run.durationS, 1, 1.0);
    case Source: return run.energySource.isEmpty() ? QStringLiteral("–") : run.energySource;
    case Pareto: return frontier_[std::size_t(row)] ? QStringLiteral("yes") : QStringLiteral("no");
    case Score: {
        const std::optional<double> s = scores_[std::size_t(row)];
        return number(s, score_.kind == RunComparison::Score::Kind::AccuracyPerGram ? 2 : 4, 1.0);
    }
    default: return {};
    }
}

QVariant CompareTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= rowCount() || index.column() >= columnCount())
        return {};
    const int row = index.row(), column = index.column();
    const RunRecord &run = comparison_->runs().at(row);
    if (role == Qt::ForegroundRole && !frontier_[std::size_t(row)])
        return QColor(Qt::gray); // dominated: another run is as accurate for less CO2e
    if (role == Qt::ToolTipRole && column == 0)
        return QStringLiteral("run %1, %2").arg(run.id).arg(run.status);
    if (role == Qt::ToolTipRole && column == kFirstMetricColumn + Reused) {
        const std::optional<RunComparison::ReusedCost> reused = comparison_->reused(row);
        if (!reused)
            return QStringLiteral("Computed its own embeddings (or used none)");
        return QStringLiteral("Reused embeddings %1: %2 Wh, %3 g CO₂e, paid by that run and not in this run's own figures%4")
            .arg(reused->computedByRun > 0 ? QStringLiteral("computed by run %1").arg(reused->computedByRun) : QStringLiteral("from the cache"))
            .arg(reused->energyKwh * 1000, 0, 'g', 3)
            .arg(reused->emissionsG, 0, 'g', 3)
            .arg(score_.chargeReused ? QStringLiteral("; the score charges them to this run") : QString());
    }
    const bool isMetric = column >= kFirstMetricColumn && column < firstParameterColumn();
    if (role == Qt::TextAlignmentRole && isMetric && column - kFirstMetricColumn != Source)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role != Qt::DisplayRole && role != Qt::UserRole)
        return {};
    if (column == 0)
        return role == Qt::UserRole ? QVariant(run.id) : QVariant(QStringLiteral("%1 %2").arg(run.id).arg(run.name));
    if (isMetric)
        return metric(row, Metric(column - kFirstMetricColumn), role);
    return displayValue(comparison_->parameter(row, parameters_.at(column - firstParameterColumn())));
}

QString CompareTableModel::displayValue(const QString &json)
{
    // One sign for absent, and text without its JSON quotes: "bundled", not "\"bundled\"".
    if (json.isEmpty() || json == QStringLiteral("null"))
        return QStringLiteral("–");
    if (json.size() >= 2 && json.startsWith(QLatin1Char('"')) && json.endsWith(QLatin1Char('"')))
        return json.mid(1, json.size() - 2);
    return json;
}

QVariant CompareTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    // A row's header is its run, so the view can keep it in sight however far it scrolls.
    if (orientation == Qt::Vertical && role == Qt::DisplayRole && section >= 0 && section < rowCount())
        return QStringLiteral("%1 %2").arg(comparison_->runs().at(section).id).arg(comparison_->runs().at(section).name);
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole || section < 0 || section >= columnCount())
        return {};
    if (section == 0)
        return QStringLiteral("Run");
    if (section >= firstParameterColumn())
        return parameters_.at(section - firstParameterColumn());
    switch (Metric(section - kFirstMetricColumn)) {
    case Accuracy: return QStringLiteral("Best accuracy (%)");
    case Labels: return QStringLiteral("Labels used");
    case Energy: return QStringLiteral("Energy (Wh)");
    case Emissions: return QStringLiteral("CO₂e (g)");
    case Reused: return QStringLiteral("Reused CO₂e (g)");
    case Duration: return QStringLiteral("Duration (s)");
    case Source: return QStringLiteral("Measured / estimated");
    case Pareto: return QStringLiteral("Pareto-optimal");
    case Score:
    {
        const QString charged = score_.chargeReused ? QStringLiteral(", reused charged") : QString();
        return score_.kind == RunComparison::Score::Kind::AccuracyPerGram ? QStringLiteral("Score (accuracy per g%1)").arg(charged)
                                                                           : QStringLiteral("Score (accuracy − %1 × relative CO₂e%2)").arg(score_.weight).arg(charged);
    }
    default: return {};
    }
}

QByteArray CompareTableModel::toCsv() const
{
    // The run as two fields (id, name) for a spreadsheet to sort and filter on.
    QStringList header{QStringLiteral("run_id"), QStringLiteral("name")};
    for (int c = 1; c < columnCount(); ++c)
        header << csvField(headerData(c, Qt::Horizontal, Qt::DisplayRole).toString());
    QByteArray out = header.join(QLatin1Char(',')).toUtf8() + '\n';
    for (int r = 0; r < rowCount(); ++r) {
        const RunRecord &run = comparison_->runs().at(r);
        QStringList fields{QString::number(run.id), csvField(run.name)};
        for (int c = 1; c < columnCount(); ++c) {
            // Numbers unrounded for a spreadsheet; text as shown.
            const QVariant exact = data(index(r, c), Qt::UserRole);
            const bool numeric = c >= kFirstMetricColumn && c < firstParameterColumn() && exact.isValid() && exact.canConvert<double>() && exact.typeId() != QMetaType::QString;
            fields << csvField(numeric ? QString::number(exact.toDouble(), 'g', 12) : data(index(r, c), Qt::DisplayRole).toString());
        }
        out += fields.join(QLatin1Char(',')).toUtf8() + '\n';
    }
    return out;
}

} // namespace gw
