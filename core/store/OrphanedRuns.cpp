#include "store/OrphanedRuns.h"

#include "platform/ProcessIdentity.h"
#include "store/Database.h"
#include "store/SqlValues.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlQuery>
#include <QVariant>

namespace gw {

namespace {

struct Candidate {
    qint64 id = 0;
    QString startedAt;
    QString paramsJson;
    ProcessIdentity process;
    bool processKnown = false;
};

QString whyInterrupted(const Candidate &run)
{
    if (!run.processKnown)
        return QStringLiteral("interrupted: started by a workbench that did not record its process, which is no longer running it");
    return QStringLiteral("interrupted: its process (pid %1) ended without finishing the run (killed, crashed or its terminal closed); "
                          "energy and duration are counted to its last power sample")
        .arg(run.process.pid);
}

/// @p sql run with the run's id as its one parameter, on its first row (values null when none).
QSqlQuery firstRow(const Database &db, const QString &sql, qint64 runId, const char *what)
{
    QSqlQuery query(db.connection());
    query.prepare(sql);
    query.addBindValue(runId);
    db.exec(query, what);
    query.next();
    return query;
}

/// Marks one run and stores its totals from its samples, in one transaction; false when another
/// process got there first.
bool markOne(const Database &db, const Candidate &run)
{
    Database::Transaction transaction(db);
    QSqlQuery mark(db.connection());
    mark.prepare(QStringLiteral("UPDATE runs SET status = 'interrupted', error = ? WHERE id = ? AND status = 'running'"));
    mark.addBindValue(whyInterrupted(run));
    mark.addBindValue(run.id);
    db.exec(mark, "mark an orphaned run interrupted");
    if (mark.numRowsAffected() != 1)
        return false;

    const QSqlQuery totals = firstRow(db, QStringLiteral("SELECT count(*), max(elapsed_s), sum(cpu_power_w * interval_s), sum(gpu_power_w * interval_s),"
                                                        " sum(ram_power_w * interval_s), sum(source = 'measured') FROM power_samples WHERE run_id = ?"),
                                      run.id, "sum an orphaned run's power samples");
    const qint64 samples = totals.value(0).toLongLong();
    const double durationS = totals.value(1).toDouble();
    // The cumulative figures of the last sample are the run's energy and CO2 so far.
    const QSqlQuery last = firstRow(db, QStringLiteral("SELECT energy_j, emissions_g, intensity_g_per_kwh FROM power_samples WHERE run_id = ?"
                                                      " ORDER BY elapsed_s DESC, id DESC LIMIT 1"),
                                    run.id, "read an orphaned run's last power sample");
    const QSqlQuery labels = firstRow(db, QStringLiteral("SELECT count(DISTINCT sample_index) FROM labels WHERE run_id = ? AND undone = 0"), run.id,
                                      "count an orphaned run's labels");

    QSqlQuery finish(db.connection());
    finish.prepare(QStringLiteral("UPDATE runs SET ended_at = ?, duration_s = ?, labels_used = max(labels_used, ?) WHERE id = ?"));
    const QDateTime started = QDateTime::fromString(run.startedAt, Qt::ISODateWithMs);
    finish.addBindValue(samples > 0 && started.isValid() ? started.addMSecs(qint64(durationS * 1000)).toString(Qt::ISODateWithMs) : isoNow());
    finish.addBindValue(samples > 0 ? QVariant(durationS) : QVariant(QMetaType::fromType<double>()));
    finish.addBindValue(labels.value(0).toLongLong());
    finish.addBindValue(run.id);
    db.exec(finish, "record an orphaned run's duration");

    if (samples > 0) {
        const QJsonObject energy = QJsonDocument::fromJson(run.paramsJson.toUtf8()).object().value(QStringLiteral("energy")).toObject();
        const double pue = energy.value(QStringLiteral("pue")).toDouble(1.0);
        const QString source = totals.value(5).toLongLong() == samples ? QStringLiteral("measured") : QStringLiteral("estimated");
        QSqlQuery store(db.connection());
        store.prepare(QStringLiteral("INSERT OR REPLACE INTO energy_totals(run_id, energy_kwh, emissions_g, energy_source, intensity_g_per_kwh,"
                                     " intensity_origin, pue, sample_hz, power_model, cpu_energy_kwh, gpu_energy_kwh, ram_energy_kwh,"
                                     " cpu_source, gpu_source, ram_source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        store.addBindValue(run.id);
        store.addBindValue(last.value(0).toDouble() / 3.6e6);
        store.addBindValue(last.value(1).toDouble());
        store.addBindValue(source);
        store.addBindValue(last.value(2).toDouble());
        store.addBindValue(QStringLiteral("the intensity of its last power sample (the run was interrupted)"));
        store.addBindValue(pue);
        store.addBindValue(samples / std::max(durationS, 1e-9));
        store.addBindValue(QStringLiteral("its power samples (the run was interrupted before it stored its totals)"));
        store.addBindValue(totals.value(2).toDouble() * pue / 3.6e6);
        store.addBindValue(totals.value(3).toDouble() * pue / 3.6e6);
        store.addBindValue(totals.value(4).toDouble() * pue / 3.6e6);
        store.addBindValue(source);
        store.addBindValue(totals.value(3).toDouble() > 0 ? source : QString());
        store.addBindValue(source);
        db.exec(store, "store an orphaned run's energy totals");

        QSqlQuery phases(db.connection());
        phases.prepare(QStringLiteral("INSERT OR REPLACE INTO energy_phases(run_id, phase, energy_j, duration_s)"
                                      " SELECT run_id, phase, sum(total_power_w * interval_s), sum(interval_s) FROM power_samples"
                                      " WHERE run_id = ? GROUP BY phase"));
        phases.addBindValue(run.id);
        db.exec(phases, "store an orphaned run's energy per phase");
    }
    transaction.commit();
    return true;
}

} // namespace

int OrphanedRuns::markInterrupted(const Database &db)
{
    QSqlQuery query(db.connection());
    query.prepare(QStringLiteral("SELECT id, started_at, params_json, process_host, process_id, process_start FROM runs WHERE status = 'running'"));
    db.exec(query, "look for runs whose process is gone");
    std::vector<Candidate> orphans;
    while (query.next()) {
        Candidate run;
        run.id = query.value(0).toLongLong();
        run.startedAt = query.value(1).toString();
        run.paramsJson = query.value(2).toString();
        run.processKnown = !query.value(4).isNull();
        run.process = ProcessIdentity::fromStored(query.value(3).toString(), query.value(4).toLongLong(), query.value(5).toString());
        if (!run.processKnown || run.process.state() == ProcessIdentity::State::Gone)
            orphans.push_back(run);
    }
    query.finish();
    int marked = 0;
    for (const Candidate &run : orphans)
        marked += markOne(db, run) ? 1 : 0;
    return marked;
}

} // namespace gw
