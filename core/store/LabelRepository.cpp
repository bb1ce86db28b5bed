#include "store/LabelRepository.h"

#include "store/SqlValues.h"

#include <QSqlQuery>

namespace gw {

namespace {

const QString kLabelColumns = QStringLiteral("id, run_id, sample_index, sample_key, label, annotator, round, created_at, origin, undone");

LabelRecord readLabel(const QSqlQuery &q)
{
    LabelRecord r;
    r.id = q.value(0).toLongLong();
    r.runId = q.value(1).toLongLong();
    r.sampleIndex = q.value(2).toLongLong();
    r.sampleKey = q.value(3).toString();
    r.label = q.value(4).toInt();
    r.annotator = q.value(5).toString();
    r.round = q.value(6).toInt();
    r.createdAt = QDateTime::fromString(q.value(7).toString(), Qt::ISODateWithMs);
    r.origin = q.value(8).toString();
    r.undone = q.value(9).toInt() != 0;
    return r;
}

} // namespace

qint64 LabelRepository::add(qint64 runId, const LabelRecord &label)
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT INTO labels(run_id, sample_index, sample_key, label, annotator, round, created_at, origin)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(runId);
    q.addBindValue(label.sampleIndex);
    q.addBindValue(label.sampleKey);
    q.addBindValue(label.label);
    q.addBindValue(label.annotator);
    q.addBindValue(label.round);
    q.addBindValue(label.createdAt.isValid() ? label.createdAt.toUTC().toString(Qt::ISODateWithMs) : isoNow());
    q.addBindValue(label.origin);
    db_.exec(q, "store a label");
    return q.lastInsertId().toLongLong();
}

bool LabelRepository::undoLatest(qint64 runId, qint64 sampleIndex)
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("UPDATE labels SET undone = 1, undone_at = ? WHERE id = (SELECT max(id) FROM labels"
                             " WHERE run_id = ? AND sample_index = ? AND undone = 0)"));
    q.addBindValue(isoNow());
    q.addBindValue(runId);
    q.addBindValue(sampleIndex);
    db_.exec(q, "mark a label undone");
    return q.numRowsAffected() > 0;
}

std::vector<LabelRecord> LabelRepository::history(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT %1 FROM labels WHERE run_id = ? ORDER BY id").arg(kLabelColumns));
    q.addBindValue(runId);
    db_.exec(q, "read the labels");
    std::vector<LabelRecord> out;
    while (q.next())
        out.push_back(readLabel(q));
    return out;
}

QMap<qint64, LabelRecord> LabelRepository::current(qint64 runId) const
{
    QMap<qint64, LabelRecord> out;
    for (const LabelRecord &label : history(runId)) // in id order: a later label replaces an earlier one
        if (!label.undone)
            out.insert(label.sampleIndex, label);
    return out;
}

void LabelRepository::copyCurrent(qint64 fromRun, qint64 toRun)
{
    const QMap<qint64, LabelRecord> labels = current(fromRun);
    Database::Transaction transaction(db_);
    for (LabelRecord label : labels) {
        label.origin = QStringLiteral("resumed");
        add(toRun, label);
    }
    transaction.commit();
}

void LabelRepository::setClassName(qint64 runId, int classIndex, const QString &name)
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO class_names(run_id, class_index, name) VALUES (?, ?, ?)"));
    q.addBindValue(runId);
    q.addBindValue(classIndex);
    q.addBindValue(name);
    db_.exec(q, "store a class name");
}

QMap<int, QString> LabelRepository::classNames(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT class_index, name FROM class_names WHERE run_id = ?"));
    q.addBindValue(runId);
    db_.exec(q, "read the class names");
    QMap<int, QString> out;
    while (q.next())
        out.insert(q.value(0).toInt(), q.value(1).toString());
    return out;
}

} // namespace gw
