#pragma once
#include "report/RunComparison.h"

#include <QAbstractTableModel>
#include <memory>

namespace gw {

/// The Compare view's table: one row a run; columns: the run, then only the parameters that differ
/// between the runs, then best accuracy, labels used, energy (Wh), CO2e (g), duration (s),
/// measured/estimated, whether the run is on the Pareto frontier (accuracy against CO2e) and its
/// green score. Dominated runs are greyed. Sorts by the numbers, not their text (Qt::UserRole).
class CompareTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    explicit CompareTableModel(QObject *parent = nullptr);

    void setRuns(const QList<RunRecord> &runs);
    void setScore(const RunComparison::Score &score);
    const RunComparison &comparison() const { return *comparison_; }
    /// The first metric column (after the run and its differing parameters).
    int firstMetricColumn() const { return 1 + int(parameters_.size()); }
    /// The table as CSV (headers with units, values as shown, numbers unrounded).
    QByteArray toCsv() const;

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    enum Metric { Accuracy, Labels, Energy, Emissions, Duration, Source, Pareto, Score, MetricCount };
    QVariant metric(int row, Metric metric, int role) const;

    std::unique_ptr<RunComparison> comparison_;
    QStringList parameters_;
    std::vector<bool> frontier_;
    std::vector<std::optional<double>> scores_;
    RunComparison::Score score_;
};

} // namespace gw
