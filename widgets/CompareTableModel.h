#pragma once
#include "report/RunComparison.h"

#include <QAbstractTableModel>
#include <memory>

namespace gw {

/// The Compare view's table: one row a run; columns: the run, best accuracy, labels used, energy
/// (Wh), CO2e (g), CO2e of embeddings reused from another run (g), duration (s), measured/estimated, whether the run is on the Pareto frontier
/// (accuracy against CO2e), its green score, then only the parameters that differ between the runs. Dominated runs are greyed. Sorts by the numbers, not their text (Qt::UserRole).
class CompareTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Metric { Accuracy, Labels, Energy, Emissions, Reused, Duration, Source, Pareto, Score, MetricCount };
    explicit CompareTableModel(QObject *parent = nullptr);

    /// @p reused: by run id, what each run took from the embedding cache that another run paid for.
    void setRuns(const QList<RunRecord> &runs, const QMap<qint64, RunComparison::ReusedCost> &reused = {});
    void setScore(const RunComparison::Score &score);
    const RunComparison &comparison() const { return *comparison_; }
    static constexpr int kFirstMetricColumn = 1;
    /// The first of the differing parameters' columns (after the run and its metrics).
    static constexpr int firstParameterColumn() { return kFirstMetricColumn + MetricCount; }
    /// The score column (the leaderboard's sort key).
    static constexpr int scoreColumn() { return kFirstMetricColumn + Score; }
    /// The table as CSV (headers with units, values as shown, numbers unrounded).
    QByteArray toCsv() const;
    /// A stored parameter's JSON text as a person reads it: "–" when absent or null, text unquoted.
    static QString displayValue(const QString &json);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QVariant metric(int row, Metric metric, int role) const;

    std::unique_ptr<RunComparison> comparison_;
    QStringList parameters_;
    std::vector<bool> frontier_;
    std::vector<std::optional<double>> scores_;
    RunComparison::Score score_;
};

} // namespace gw
