#include "store/RoundRepository.h"

#include "store/SqlValues.h"

#include <QSqlQuery>

namespace gw {

namespace {

QVariant nullableInt(const std::optional<int> &value)
{
    return value ? QVariant(*value) : QVariant(QMetaType::fromType<int>());
}

} // namespace

void RoundRepository::saveRound(qint64 runId, const RoundRecord &r)
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO al_rounds(run_id, round, labels, test_accuracy, val_accuracy, kappa,"
                             " train_energy_j, eval_energy_j, query_energy_j, label_wait_energy_j, emissions_g, query_s, label_wait_s)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const QVariant &v : {QVariant(runId), QVariant(r.round), QVariant(r.labels), nullable(r.testAccuracy), nullable(r.valAccuracy),
                              nullable(r.kappa), QVariant(r.trainEnergyJ), QVariant(r.evalEnergyJ), QVariant(r.queryEnergyJ),
                              QVariant(r.labelWaitEnergyJ), QVariant(r.emissionsG), QVariant(r.queryS), QVariant(r.labelWaitS)})
        q.addBindValue(v);
    db_.exec(q, "store a round");
}

std::vector<RoundRecord> RoundRepository::rounds(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT round, labels, test_accuracy, val_accuracy, kappa, train_energy_j, eval_energy_j, query_energy_j,"
                             " label_wait_energy_j, emissions_g, query_s, label_wait_s FROM al_rounds WHERE run_id = ? ORDER BY round"));
    q.addBindValue(runId);
    db_.exec(q, "read the rounds");
    std::vector<RoundRecord> out;
    while (q.next()) {
        RoundRecord r;
        r.round = q.value(0).toInt();
        r.labels = q.value(1).toLongLong();
        r.testAccuracy = optionalDouble(q.value(2));
        r.valAccuracy = optionalDouble(q.value(3));
        r.kappa = optionalDouble(q.value(4));
        r.trainEnergyJ = q.value(5).toDouble();
        r.evalEnergyJ = q.value(6).toDouble();
        r.queryEnergyJ = q.value(7).toDouble();
        r.labelWaitEnergyJ = q.value(8).toDouble();
        r.emissionsG = q.value(9).toDouble();
        r.queryS = q.value(10).toDouble();
        r.labelWaitS = q.value(11).toDouble();
        out.push_back(r);
    }
    return out;
}

void RoundRepository::addQueries(qint64 runId, const std::vector<QueryRecord> &queries)
{
    Database::Transaction transaction(db_);
    for (const QueryRecord &r : queries) {
        QSqlQuery q(db_.connection());
        q.prepare(QStringLiteral("INSERT INTO al_queries(run_id, round, position, sample_index, sample_key, predicted, confidence, skipped)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
        for (const QVariant &v : {QVariant(runId), QVariant(r.round), QVariant(r.position), QVariant(r.sampleIndex), QVariant(r.sampleKey),
                                  nullableInt(r.predicted), nullable(r.confidence), QVariant(r.skipped ? 1 : 0)})
            q.addBindValue(v);
        db_.exec(q, "store a queried sample");
    }
    transaction.commit();
}

void RoundRepository::markSkipped(qint64 runId, int round, qint64 sampleIndex)
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("UPDATE al_queries SET skipped = 1 WHERE run_id = ? AND round = ? AND sample_index = ?"));
    q.addBindValue(runId);
    q.addBindValue(round);
    q.addBindValue(sampleIndex);
    db_.exec(q, "mark a sample skipped");
}

std::vector<QueryRecord> RoundRepository::queries(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT round, position, sample_index, sample_key, predicted, confidence, skipped FROM al_queries"
                             " WHERE run_id = ? ORDER BY round, position"));
    q.addBindValue(runId);
    db_.exec(q, "read the queried samples");
    std::vector<QueryRecord> out;
    while (q.next()) {
        QueryRecord r;
        r.round = q.value(0).toInt();
        r.position = q.value(1).toInt();
        r.sampleIndex = q.value(2).toLongLong();
        r.sampleKey = q.value(3).toString();
        if (!q.value(4).isNull())
            r.predicted = q.value(4).toInt();
        r.confidence = optionalDouble(q.value(5));
        r.skipped = q.value(6).toInt() != 0;
        out.push_back(r);
    }
    return out;
}

void RoundRepository::copyRun(qint64 fromRun, qint64 toRun)
{
    const std::vector<RoundRecord> oldRounds = rounds(fromRun);
    const std::vector<QueryRecord> oldQueries = queries(fromRun);
    Database::Transaction transaction(db_);
    for (const RoundRecord &r : oldRounds)
        saveRound(toRun, r);
    transaction.commit();
    addQueries(toRun, oldQueries);
}

} // namespace gw
