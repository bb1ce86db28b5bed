#pragma once
#include "store/RunRecord.h"

#include <QAbstractTableModel>
#include <QList>

namespace gw {

/// Stored runs as a table: one row a run, units in the headers, energy with its provenance.
class RunsTableModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column { Id, Name, Status, Accuracy, Labels, Duration, Energy, Emissions, Source, Intensity, Started, ColumnCount };

    explicit RunsTableModel(QObject *parent = nullptr);
    void setRuns(const QList<RunRecord> &runs);
    const RunRecord &runAt(int row) const { return runs_.at(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role) const override;

private:
    QList<RunRecord> runs_;
};

} // namespace gw
