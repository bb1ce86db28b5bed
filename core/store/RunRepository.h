#pragma once
#include "energy/EnergyMonitor.h"
#include "energy/PowerSample.h"
#include "report/RunReport.h"
#include "store/Database.h"
#include "store/RunRecord.h"

#include <QList>
#include <vector>

namespace gw {

/// Runs, their metrics, power samples and energy totals in a workbench store.
class RunRepository {
public:
    explicit RunRepository(const Database &db) : db_(db) {}
    const Database &database() const { return db_; }

    qint64 ensureProject(const QString &name);
    /// Creates a run in state "running" and returns its id.
    qint64 createRun(qint64 projectId, const QString &name, const QString &paramsJson, const QString &hardwareJson);
    /// A figure of the run at @p step; @p scope names what part it is of ("variant int8", "client 17"),
    /// empty for the run as a whole.
    void addMetric(qint64 runId, qint64 step, const QString &name, double value, const QString &scope = QString());
    void addPowerSamples(qint64 runId, const std::vector<PowerSample> &samples);
    void addEnergyWindows(qint64 runId, const std::vector<EnergyWindow> &windows);
    /// Replaces the run's per-phase split (energy J and time s per phase, "idle" included).
    void setPhaseSplit(qint64 runId, const QMap<QString, double> &energyJ, const QMap<QString, double> &durationS);
    /// Records how a run ended; totals are stored when given.
    void finishRun(qint64 runId, const QString &status, std::optional<double> accuracy, qint64 labelsUsed,
                   double durationS, const QString &error, const std::optional<EnergyTotals> &totals);

    /// A run left "running" by a process that died is marked "interrupted" (with @p note), so the
    /// store no longer claims it is going on. Runs with any other status are left as they are.
    void markInterrupted(qint64 runId, const QString &note);
    /// What a person writes on a run: its name, tags (trimmed, without commas, each once) and notes.
    void describe(qint64 runId, const QString &name, const QStringList &tags, const QString &notes);
    /// Deletes run @p runId and everything the store keeps of it; refused while it runs. Returns
    /// the files of it in the cache folder (checkpoint, artifact folder), for the caller to remove.
    QStringList deleteRun(qint64 runId);
    QList<RunRecord> listRuns() const;
    std::optional<RunRecord> run(qint64 runId) const;
    /// The run's figures of @p scope (empty: the run as a whole), by name then step.
    std::vector<MetricPoint> metrics(qint64 runId, const QString &scope = QString()) const;
    /// The last value (highest step) of each figure of @p scope: what the run ended with.
    QMap<QString, double> finalMetrics(qint64 runId, const QString &scope = QString()) const;
    /// The scopes the run reported figures for, besides the whole run, in the order it first did.
    QStringList metricScopes(qint64 runId) const;
    std::vector<PowerSample> powerSamples(qint64 runId) const;
    std::vector<EnergyWindow> energyWindows(qint64 runId) const;
    std::vector<PhaseEnergy> phaseSplit(qint64 runId) const;
    /// The run @p runId continued (run --resume), or 0.
    qint64 resumedFrom(qint64 runId) const;
    /// The run that continued @p runId (run --resume), or 0 when none did.
    qint64 resumedAs(qint64 runId) const;
    /// Duration of the most recent completed run with exactly these params, if any.
    std::optional<double> lastCompletedDuration(const QString &paramsJson) const;

private:
    const Database &db_;
};

} // namespace gw
