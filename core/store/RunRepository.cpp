#include "store/RunRepository.h"

#include "Error.h"
#include "platform/ProcessIdentity.h"
#include "store/SqlValues.h"

#include <QDir>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QVariant>
#include <cmath>

namespace gw {

namespace {

const QString kRunSelect = QStringLiteral(
    "SELECT r.id, p.name, r.name, r.status, r.params_json, r.hardware_json, r.started_at, r.ended_at, r.accuracy,"
    " r.labels_used, r.duration_s, r.error, e.energy_kwh, e.emissions_g, e.energy_source, e.intensity_g_per_kwh,"
    " e.intensity_origin, e.pue, e.cpu_energy_kwh, e.gpu_energy_kwh, e.ram_energy_kwh, e.cpu_source, e.gpu_source,"
    " e.ram_source, e.sample_hz, e.power_model, e.predicted_energy_kwh, e.predicted_duration_s, e.predicted_emissions_g,"
    " e.budget_wh, e.budget_g, r.tags, r.notes"
    " FROM runs r JOIN projects p ON p.id = r.project_id LEFT JOIN energy_totals e ON e.run_id = r.id");

RunRecord readRun(const QSqlQuery &q)
{
    RunRecord r;
    r.id = q.value(0).toLongLong();
    r.project = q.value(1).toString();
    r.name = q.value(2).toString();
    r.status = q.value(3).toString();
    r.paramsJson = q.value(4).toString();
    r.hardwareJson = q.value(5).toString();
    r.startedAt = QDateTime::fromString(q.value(6).toString(), Qt::ISODateWithMs);
    r.endedAt = QDateTime::fromString(q.value(7).toString(), Qt::ISODateWithMs);
    r.accuracy = optionalDouble(q.value(8));
    r.labelsUsed = q.value(9).toLongLong();
    r.durationS = optionalDouble(q.value(10));
    r.error = q.value(11).toString();
    r.energyKwh = optionalDouble(q.value(12));
    r.emissionsG = optionalDouble(q.value(13));
    r.energySource = q.value(14).toString();
    r.intensityGPerKwh = optionalDouble(q.value(15));
    r.intensityOrigin = q.value(16).toString();
    r.pue = optionalDouble(q.value(17));
    r.cpuEnergyKwh = optionalDouble(q.value(18));
    r.gpuEnergyKwh = optionalDouble(q.value(19));
    r.ramEnergyKwh = optionalDouble(q.value(20));
    r.cpuSource = q.value(21).toString();
    r.gpuSource = q.value(22).toString();
    r.ramSource = q.value(23).toString();
    r.sampleHz = optionalDouble(q.value(24));
    r.powerModel = q.value(25).toString();
    r.predictedEnergyKwh = optionalDouble(q.value(26));
    r.predictedDurationS = optionalDouble(q.value(27));
    r.predictedEmissionsG = optionalDouble(q.value(28));
    r.budgetWh = optionalDouble(q.value(29));
    r.budgetG = optionalDouble(q.value(30));
    r.tags = q.value(31).toString().split(QLatin1Char(','), Qt::SkipEmptyParts);
    r.notes = q.value(32).toString();
    return r;
}
} // namespace

qint64 RunRepository::ensureProject(const QString &name)
{
    QSqlQuery insert(db_.connection());
    insert.prepare(QStringLiteral("INSERT OR IGNORE INTO projects(name, created_at) VALUES (?, ?)"));
    insert.addBindValue(name);
    insert.addBindValue(isoNow());
    db_.exec(insert, "create the project");
    QSqlQuery select(db_.connection());
    select.prepare(QStringLiteral("SELECT id FROM projects WHERE name = ?"));
    select.addBindValue(name);
    db_.exec(select, "find the project");
    select.next();
    return select.value(0).toLongLong();
}

qint64 RunRepository::createRun(qint64 projectId, const QString &name, const QString &paramsJson, const QString &hardwareJson)
{
    QSqlQuery q(db_.connection());
    // The process is recorded with the run, so if it dies the next opening of the store knows (OrphanedRuns).
    const ProcessIdentity process = ProcessIdentity::current();
    q.prepare(QStringLiteral("INSERT INTO runs(project_id, name, status, params_json, hardware_json, started_at, process_host, process_id, process_start)"
                             " VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(projectId);
    q.addBindValue(name);
    q.addBindValue(paramsJson);
    q.addBindValue(hardwareJson);
    q.addBindValue(isoNow());
    q.addBindValue(process.host);
    q.addBindValue(process.pid);
    q.addBindValue(process.startToken());
    db_.exec(q, "create the run");
    return q.lastInsertId().toLongLong();
}

void RunRepository::addMetric(qint64 runId, qint64 step, const QString &name, double value, const QString &scope)
{
    if (!std::isfinite(value))
        throw Error(QStringLiteral("the run's %1 at step %2 is %3, not a finite number: the model's outputs or its inputs are not finite "
                                   "(check the model file and its input normalisation, or lower the learning rate)")
                        .arg(name)
                        .arg(step)
                        .arg(value));
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT INTO metrics(run_id, step, name, value, scope) VALUES (?, ?, ?, ?, ?)"));
    q.addBindValue(runId);
    q.addBindValue(step);
    q.addBindValue(name);
    q.addBindValue(value);
    q.addBindValue(notNull(scope));
    db_.exec(q, "store a metric");
}

void RunRepository::addPowerSamples(qint64 runId, const std::vector<PowerSample> &samples)
{
    if (samples.empty())
        return;
    Database::Transaction transaction(db_);
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT INTO power_samples(run_id, elapsed_s, interval_s, cpu_power_w, ram_power_w,"
                             " total_power_w, energy_j, source, gpu_power_w, intensity_g_per_kwh, emissions_g, phase)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const PowerSample &s : samples) {
        q.bindValue(0, runId);
        q.bindValue(1, s.elapsedS);
        q.bindValue(2, s.intervalS);
        q.bindValue(3, s.cpuPowerW);
        q.bindValue(4, s.ramPowerW);
        q.bindValue(5, s.totalPowerW);
        q.bindValue(6, s.energyJ);
        q.bindValue(7, s.source);
        q.bindValue(8, s.gpuPowerW);
        q.bindValue(9, s.intensityGPerKwh);
        q.bindValue(10, s.emissionsG);
        q.bindValue(11, s.phase.isEmpty() ? QStringLiteral("idle") : s.phase);
        db_.exec(q, "store a power sample");
    }
    transaction.commit();
}

void RunRepository::markInterrupted(qint64 runId, const QString &note)
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("UPDATE runs SET status = 'interrupted', error = ? WHERE id = ? AND status = 'running'"));
    q.addBindValue(note);
    q.addBindValue(runId);
    db_.exec(q, "mark the run interrupted");
}

void RunRepository::describe(qint64 runId, const QString &name, const QStringList &tags, const QString &notes)
{
    if (name.trimmed().isEmpty())
        throw Error(QStringLiteral("%1: run %2 needs a name").arg(db_.path()).arg(runId));
    QStringList cleaned;
    for (const QString &tag : tags)
        if (const QString t = tag.trimmed().remove(QLatin1Char(',')); !t.isEmpty() && !cleaned.contains(t))
            cleaned << t;
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("UPDATE runs SET name = ?, tags = ?, notes = ? WHERE id = ?"));
    q.addBindValue(name.trimmed());
    q.addBindValue(cleaned.join(QLatin1Char(',')));
    q.addBindValue(notes);
    q.addBindValue(runId);
    db_.exec(q, "rename, tag or annotate the run");
    if (q.numRowsAffected() != 1)
        throw Error(QStringLiteral("%1: there is no run %2").arg(db_.path()).arg(runId));
}

QStringList RunRepository::deleteRun(qint64 runId)
{
    const std::optional<RunRecord> record = run(runId);
    if (!record)
        throw Error(QStringLiteral("%1: there is no run %2").arg(db_.path()).arg(runId));
    if (record->status == QStringLiteral("running"))
        throw Error(QStringLiteral("run %1 is running: cancel it before deleting it").arg(runId));
    // Its samples, figures, labels, rounds and artifact records go with it (ON DELETE CASCADE);
    // the files in the cache folder are the caller's to remove, and are named here.
    const QString cache = Database::cacheDirectoryOf(db_.path());
    QStringList files{QDir(cache).filePath(QStringLiteral("checkpoints/run-%1.pt").arg(runId)),
                      QDir(cache).filePath(QStringLiteral("artifacts/run-%1").arg(runId))};
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("DELETE FROM runs WHERE id = ?"));
    q.addBindValue(runId);
    db_.exec(q, "delete the run");
    return files;
}

void RunRepository::finishRun(qint64 runId, const QString &status, std::optional<double> accuracy, qint64 labelsUsed,
                              double durationS, const QString &error, const std::optional<EnergyTotals> &totals)
{
    Database::Transaction transaction(db_);
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("UPDATE runs SET status = ?, ended_at = ?, accuracy = ?, labels_used = ?, duration_s = ?,"
                             " error = ? WHERE id = ?"));
    q.addBindValue(status);
    q.addBindValue(isoNow());
    q.addBindValue(nullable(accuracy));
    q.addBindValue(labelsUsed);
    q.addBindValue(durationS);
    q.addBindValue(error.isEmpty() ? QVariant(QMetaType::fromType<QString>()) : QVariant(error));
    q.addBindValue(runId);
    db_.exec(q, "finish the run");
    if (totals) {
        QSqlQuery e(db_.connection());
        e.prepare(QStringLiteral("INSERT OR REPLACE INTO energy_totals(run_id, energy_kwh, emissions_g, energy_source,"
                                 " intensity_g_per_kwh, intensity_origin, pue, sample_hz, power_model, cpu_energy_kwh, gpu_energy_kwh,"
                                 " ram_energy_kwh, cpu_source, gpu_source, ram_source, predicted_energy_kwh, predicted_duration_s,"
                                 " predicted_emissions_g, budget_wh, budget_g)"
                                 " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        e.addBindValue(runId);
        e.addBindValue(totals->energyKwh);
        e.addBindValue(totals->emissionsG);
        e.addBindValue(totals->energySource);
        e.addBindValue(totals->intensityGPerKwh);
        e.addBindValue(totals->intensityOrigin);
        e.addBindValue(totals->pue);
        e.addBindValue(totals->sampleHz);
        e.addBindValue(totals->powerModel);
        e.addBindValue(totals->cpuEnergyKwh);
        e.addBindValue(totals->gpuEnergyKwh);
        e.addBindValue(totals->ramEnergyKwh);
        e.addBindValue(totals->cpuSource);
        e.addBindValue(totals->gpuSource);
        e.addBindValue(totals->ramSource);
        e.addBindValue(nullable(totals->predictedEnergyKwh));
        e.addBindValue(nullable(totals->predictedDurationS));
        e.addBindValue(nullable(totals->predictedEmissionsG));
        e.addBindValue(nullable(totals->budgetWh));
        e.addBindValue(nullable(totals->budgetG));
        db_.exec(e, "store the energy totals");
    }
    transaction.commit();
}

QList<RunRecord> RunRepository::listRuns() const
{
    QSqlQuery q(db_.connection());
    q.prepare(kRunSelect + QStringLiteral(" ORDER BY r.id"));
    db_.exec(q, "list the runs");
    QList<RunRecord> runs;
    while (q.next())
        runs << readRun(q);
    return runs;
}

std::optional<RunRecord> RunRepository::run(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(kRunSelect + QStringLiteral(" WHERE r.id = ?"));
    q.addBindValue(runId);
    db_.exec(q, "read the run");
    if (!q.next())
        return std::nullopt;
    return readRun(q);
}

std::vector<MetricPoint> RunRepository::metrics(qint64 runId, const QString &scope) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT step, name, value FROM metrics WHERE run_id = ? AND scope = ? ORDER BY name, step, id"));
    q.addBindValue(runId);
    q.addBindValue(notNull(scope));
    db_.exec(q, "read the metrics");
    std::vector<MetricPoint> points;
    while (q.next())
        points.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toDouble()});
    return points;
}

QMap<QString, double> RunRepository::finalMetrics(qint64 runId, const QString &scope) const
{
    QMap<QString, double> last;
    for (const MetricPoint &m : metrics(runId, scope)) // by name, then step: the last one stays
        last.insert(m.name, m.value);
    return last;
}

QStringList RunRepository::metricScopes(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    // In the order the run reported them (a compress run's input before its variants).
    q.prepare(QStringLiteral("SELECT scope FROM metrics WHERE run_id = ? AND scope <> '' GROUP BY scope ORDER BY MIN(id)"));
    q.addBindValue(runId);
    db_.exec(q, "read the metric scopes");
    QStringList scopes;
    while (q.next())
        scopes << q.value(0).toString();
    return scopes;
}

std::vector<PowerSample> RunRepository::powerSamples(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT elapsed_s, interval_s, cpu_power_w, ram_power_w, total_power_w, energy_j, source,"
                             " gpu_power_w, intensity_g_per_kwh, emissions_g, phase"
                             " FROM power_samples WHERE run_id = ? ORDER BY elapsed_s, id"));
    q.addBindValue(runId);
    db_.exec(q, "read the power samples");
    std::vector<PowerSample> samples;
    while (q.next()) {
        PowerSample s;
        s.elapsedS = q.value(0).toDouble();
        s.intervalS = q.value(1).toDouble();
        s.cpuPowerW = q.value(2).toDouble();
        s.ramPowerW = q.value(3).toDouble();
        s.totalPowerW = q.value(4).toDouble();
        s.energyJ = q.value(5).toDouble();
        s.source = q.value(6).toString();
        s.gpuPowerW = q.value(7).toDouble();
        s.intensityGPerKwh = q.value(8).toDouble();
        s.emissionsG = q.value(9).toDouble();
        s.phase = q.value(10).toString();
        samples.push_back(s);
    }
    return samples;
}

void RunRepository::addEnergyWindows(qint64 runId, const std::vector<EnergyWindow> &windows)
{
    if (windows.empty())
        return;
    Database::Transaction transaction(db_);
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT INTO energy_windows(run_id, phase, scope, depth, start_s, end_s, energy_j, own_energy_j)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const EnergyWindow &w : windows) {
        q.bindValue(0, runId);
        q.bindValue(1, w.phase);
        q.bindValue(2, notNull(w.scope));
        q.bindValue(3, w.depth);
        q.bindValue(4, w.startS);
        q.bindValue(5, w.endS);
        q.bindValue(6, w.energyJ);
        q.bindValue(7, w.ownEnergyJ);
        db_.exec(q, "store an energy window");
    }
    transaction.commit();
}

void RunRepository::setPhaseSplit(qint64 runId, const QMap<QString, double> &energyJ, const QMap<QString, double> &durationS)
{
    Database::Transaction transaction(db_);
    QSqlQuery clear(db_.connection());
    clear.prepare(QStringLiteral("DELETE FROM energy_phases WHERE run_id = ?"));
    clear.addBindValue(runId);
    db_.exec(clear, "replace the phase split");
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT INTO energy_phases(run_id, phase, energy_j, duration_s) VALUES (?, ?, ?, ?)"));
    for (auto it = energyJ.constBegin(); it != energyJ.constEnd(); ++it) {
        q.bindValue(0, runId);
        q.bindValue(1, it.key());
        q.bindValue(2, it.value());
        q.bindValue(3, durationS.value(it.key()));
        db_.exec(q, "store the phase split");
    }
    transaction.commit();
}

std::vector<EnergyWindow> RunRepository::energyWindows(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT phase, scope, depth, start_s, end_s, energy_j, own_energy_j FROM energy_windows"
                             " WHERE run_id = ? ORDER BY start_s, depth"));
    q.addBindValue(runId);
    db_.exec(q, "read the energy windows");
    std::vector<EnergyWindow> windows;
    while (q.next())
        windows.push_back({q.value(0).toString(), q.value(1).toString(), q.value(2).toInt(), q.value(3).toDouble(),
                           q.value(4).toDouble(), q.value(5).toDouble(), q.value(6).toDouble()});
    return windows;
}

std::vector<PhaseEnergy> RunRepository::phaseSplit(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT phase, energy_j, duration_s FROM energy_phases WHERE run_id = ? ORDER BY energy_j DESC, phase"));
    q.addBindValue(runId);
    db_.exec(q, "read the phase split");
    std::vector<PhaseEnergy> phases;
    while (q.next())
        phases.push_back({q.value(0).toString(), q.value(1).toDouble(), q.value(2).toDouble()});
    return phases;
}

} // namespace gw

namespace gw {

qint64 RunRepository::resumedFrom(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT value FROM metrics WHERE name = 'resumed_from_run' AND run_id = ? LIMIT 1"));
    q.addBindValue(runId);
    db_.exec(q, "look for the run this one continued");
    return q.next() ? qint64(q.value(0).toDouble()) : 0;
}

qint64 RunRepository::resumedAs(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT run_id FROM metrics WHERE name = 'resumed_from_run' AND value = ? ORDER BY run_id DESC LIMIT 1"));
    q.addBindValue(double(runId));
    db_.exec(q, "look for the run that continued this one");
    return q.next() ? q.value(0).toLongLong() : 0;
}

std::optional<double> RunRepository::lastCompletedDuration(const QString &paramsJson) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT duration_s FROM runs WHERE status = 'completed' AND params_json = ? AND duration_s IS NOT NULL"
                             " ORDER BY id DESC LIMIT 1"));
    q.addBindValue(paramsJson);
    db_.exec(q, "look up the last run of this config");
    if (!q.next())
        return std::nullopt;
    return q.value(0).toDouble();
}

} // namespace gw
