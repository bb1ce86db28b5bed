#include "RunsTableModel.h"

#include <QColor>

namespace gw {

namespace {
QVariant optionalNumber(const std::optional<double> &value, int decimals, double scale = 1.0)
{
    if (!value)
        return QStringLiteral("–");
    return QString::number(*value * scale, 'f', decimals);
}
} // namespace

RunsTableModel::RunsTableModel(QObject *parent) : QAbstractTableModel(parent) {}

void RunsTableModel::setRuns(const QList<RunRecord> &runs)
{
    beginResetModel();
    runs_ = runs;
    endResetModel();
}

int RunsTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(runs_.size());
}

int RunsTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RunsTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= runs_.size())
        return {};
    const RunRecord &run = runs_.at(index.row());
    if (role == Qt::TextAlignmentRole && index.column() != Name && index.column() != Status && index.column() != Source)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (!run.error.isEmpty())
            return run.error;
        switch (index.column()) {
        case Energy:
        case Emissions:
        case Source:
            // Which figure is a counter's and which a model's, per component.
            return run.energySource.isEmpty() ? QVariant()
                                              : QVariant(QStringLiteral("%1 — cpu %2, gpu %3, ram %4\n%5")
                                                             .arg(run.energySource, run.cpuSource.isEmpty() ? QStringLiteral("–") : run.cpuSource,
                                                                  run.gpuSource.isEmpty() ? QStringLiteral("–") : run.gpuSource,
                                                                  run.ramSource.isEmpty() ? QStringLiteral("–") : run.ramSource, run.powerModel));
        default:
            return run.intensityOrigin;
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Status && run.status == QStringLiteral("failed"))
        return QColor(204, 121, 167);
    if (role != Qt::DisplayRole)
        return {};
    switch (index.column()) {
    case Id: return run.id;
    case Name: return run.name;
    case Status: return run.status;
    case Accuracy: return run.accuracy ? QVariant(QString::number(*run.accuracy * 100, 'f', 2) + QStringLiteral(" %")) : QVariant(QStringLiteral("–"));
    case Labels: return run.labelsUsed;
    case Duration: return optionalNumber(run.durationS, 1);
    case Energy: return optionalNumber(run.energyKwh, 4, 1000.0);
    case Emissions: return optionalNumber(run.emissionsG, 4);
    case Source: return run.energySource.isEmpty() ? QStringLiteral("–") : run.energySource;
    case Intensity: return optionalNumber(run.intensityGPerKwh, 0);
    case Started: return run.startedAt.toLocalTime().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    default: return {};
    }
}

QVariant RunsTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (section) {
    case Id: return QStringLiteral("ID");
    case Name: return QStringLiteral("Name");
    case Status: return QStringLiteral("Status");
    case Accuracy: return QStringLiteral("Test accuracy");
    case Labels: return QStringLiteral("Labels");
    case Duration: return QStringLiteral("Duration (s)");
    case Energy: return QStringLiteral("Energy (Wh)");
    case Emissions: return QStringLiteral("CO₂e (g)");
    case Source: return QStringLiteral("Measured / estimated");
    case Intensity: return QStringLiteral("Intensity (g/kWh)");
    case Started: return QStringLiteral("Started");
    default: return {};
    }
}

} // namespace gw
