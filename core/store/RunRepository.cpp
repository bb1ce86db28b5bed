#include "store/RunRepository.h"

#include <QSqlQuery>
#include <QSqlRecord>
#include <QVariant>

namespace gw {

namespace {
QString isoNow()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

std::optional<double> optionalDouble(const QVariant &value)
{
    if (value.isNull())
        return std::nullopt;
    return value.toDouble();
}

QVariant nullable(const std::optional<double> &value)
{
    return value ? QVariant(*value) : QVariant(QMetaType::fromType<double>());
}

const QString kRunSelect = QStringLiteral(
    "SELECT r.id, p.name, r.name, r.status, r.params_json, r.hardware_json, r.started_at, r.ended_at, r.accuracy,"
    " r.labels_used, r.duration_s, r.error, e.energy_kwh, e.emissions_g, e.energy_source, e.intensity_g_per_kwh,"
    " e.intensity_origin, e.pue"
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
    q.prepare(QStringLiteral("INSERT INTO runs(project_id, name, status, params_json, hardware_json, started_at)"
                             " VALUES (?, ?, 'running', ?, ?, ?)"));
    q.addBindValue(projectId);
    q.addBindValue(name);
    q.addBindValue(paramsJson);
    q.addBindValue(hardwareJson);
    q.addBindValue(isoNow());
    db_.exec(q, "create the run");
    return q.lastInsertId().toLongLong();
}

void RunRepository::addMetric(qint64 runId, qint64 step, const QString &name, double value)
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT INTO metrics(run_id, step, name, value) VALUES (?, ?, ?, ?)"));
    q.addBindValue(runId);
    q.addBindValue(step);
    q.addBindValue(name);
    q.addBindValue(value);
    db_.exec(q, "store a metric");
}

void RunRepository::addPowerSamples(qint64 runId, const std::vector<PowerSample> &samples)
{
    if (samples.empty())
        return;
    Database::Transaction transaction(db_);
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT INTO power_samples(run_id, elapsed_s, interval_s, cpu_power_w, ram_power_w,"
                             " total_power_w, energy_j, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    for (const PowerSample &s : samples) {
        q.bindValue(0, runId);
        q.bindValue(1, s.elapsedS);
        q.bindValue(2, s.intervalS);
        q.bindValue(3, s.cpuPowerW);
        q.bindValue(4, s.ramPowerW);
        q.bindValue(5, s.totalPowerW);
        q.bindValue(6, s.energyJ);
        q.bindValue(7, s.source);
        db_.exec(q, "store a power sample");
    }
    transaction.commit();
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
                                 " intensity_g_per_kwh, intensity_origin, pue, sample_hz, power_model) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"));
        e.addBindValue(runId);
        e.addBindValue(totals->energyKwh);
        e.addBindValue(totals->emissionsG);
        e.addBindValue(totals->energySource);
        e.addBindValue(totals->intensityGPerKwh);
        e.addBindValue(totals->intensityOrigin);
        e.addBindValue(totals->pue);
        e.addBindValue(totals->sampleHz);
        e.addBindValue(totals->powerModel);
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

std::vector<MetricPoint> RunRepository::metrics(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT step, name, value FROM metrics WHERE run_id = ? ORDER BY name, step"));
    q.addBindValue(runId);
    db_.exec(q, "read the metrics");
    std::vector<MetricPoint> points;
    while (q.next())
        points.push_back({q.value(0).toLongLong(), q.value(1).toString(), q.value(2).toDouble()});
    return points;
}

std::vector<PowerSample> RunRepository::powerSamples(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT elapsed_s, interval_s, cpu_power_w, ram_power_w, total_power_w, energy_j, source"
                             " FROM power_samples WHERE run_id = ? ORDER BY elapsed_s"));
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
        samples.push_back(s);
    }
    return samples;
}

} // namespace gw
