#pragma once
#include "store/Database.h"

#include <QDateTime>
#include <QMap>
#include <QString>
#include <vector>

namespace gw {

/// One label as it was given: who gave it, when, in which round, and whether it was undone later.
struct LabelRecord {
    qint64 id = 0;
    qint64 runId = 0;
    qint64 sampleIndex = 0;
    QString sampleKey; ///< "train/123" for IDX data, the image's path for an image folder
    int label = 0;
    QString annotator;
    int round = 0;
    QDateTime createdAt;
    QString origin = QStringLiteral("oracle"); ///< oracle, imported, resumed
    bool undone = false;
};

/// The labels of active-learning runs. Append-only: each label is its own row, committed at once
/// (each statement is its own transaction in WAL mode); an undo marks the row undone with the time,
/// never deletes it, so a person's every decision can be traced.
class LabelRepository {
public:
    explicit LabelRepository(const Database &db) : db_(db) {}

    /// Stores @p label (its id, runId and undone are ignored) and returns its row id. An empty
    /// createdAt means now.
    qint64 add(qint64 runId, const LabelRecord &label);
    /// Marks the latest live label of @p sampleIndex undone; false when it has none.
    bool undoLatest(qint64 runId, qint64 sampleIndex);
    /// Every label of the run in the order given, undone ones included.
    std::vector<LabelRecord> history(qint64 runId) const;
    /// The label in force per sample: the latest one not undone.
    QMap<qint64, LabelRecord> current(qint64 runId) const;
    /// Copies the labels in force of @p fromRun into @p toRun with origin "resumed" and their
    /// annotator, round and time, in one transaction.
    void copyCurrent(qint64 fromRun, qint64 toRun);

    void setClassName(qint64 runId, int classIndex, const QString &name);
    QMap<int, QString> classNames(qint64 runId) const;

private:
    const Database &db_;
};

} // namespace gw
