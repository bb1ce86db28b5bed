#include "report/RunReportBuilder.h"

#include "Error.h"
#include "energy/ReferenceTables.h"
#include "store/RunRepository.h"

#include <QJsonDocument>

namespace gw {

namespace {
QJsonObject parseObject(const QString &json)
{
    return QJsonDocument::fromJson(json.toUtf8()).object();
}

// Interval-weighted mean of one power figure.
template <typename Field>
double meanPower(const std::vector<PowerSample> &samples, Field field)
{
    double joules = 0, seconds = 0;
    for (const PowerSample &s : samples) {
        joules += field(s) * s.intervalS;
        seconds += s.intervalS;
    }
    return seconds > 0 ? joules / seconds : 0.0;
}
} // namespace

RunReport RunReportBuilder::fromStore(const RunRepository &repository, qint64 runId, const QString &storePath)
{
    const std::optional<RunRecord> run = repository.run(runId);
    if (!run)
        throw Error(QStringLiteral("%1: no run with id %2").arg(storePath).arg(runId));

    RunReport r;
    r.runId = run->id;
    r.project = run->project;
    r.name = run->name;
    r.tags = run->tags;
    r.notes = run->notes;
    r.status = run->status;
    r.startedAt = run->startedAt.toUTC();
    r.endedAt = run->endedAt.toUTC();
    r.durationS = run->durationS.value_or(0);
    r.accuracy = run->accuracy;
    r.labelsUsed = run->labelsUsed;
    r.params = parseObject(run->paramsJson);
    r.hardware = parseObject(run->hardwareJson);
    r.energyKwh = run->energyKwh.value_or(0);
    r.emissionsG = run->emissionsG.value_or(0);
    r.energySource = run->energySource;
    r.cpuEnergyKwh = run->cpuEnergyKwh.value_or(0);
    r.gpuEnergyKwh = run->gpuEnergyKwh.value_or(0);
    r.ramEnergyKwh = run->ramEnergyKwh.value_or(0);
    r.cpuSource = run->cpuSource;
    r.gpuSource = run->gpuSource;
    r.ramSource = run->ramSource;
    r.gpuCount = r.hardware.value(QStringLiteral("gpu_count")).toInt();
    r.gpuModel = r.hardware.value(QStringLiteral("gpu_model")).toString();
    r.ramTotalGb = r.hardware.value(QStringLiteral("ram_total_gb")).toDouble();
    r.pue = run->pue.value_or(1.0);
    r.sampleHz = run->sampleHz.value_or(0);
    r.powerModel = run->powerModel;
    r.intensityOrigin = run->intensityOrigin;
    r.countryIso3 = r.params.value(QStringLiteral("energy")).toObject().value(QStringLiteral("country")).toString();
    if (const auto entry = CarbonIntensityTable::bundled().find(r.countryIso3))
        r.countryName = entry->country;
    r.region = r.params.value(QStringLiteral("energy")).toObject().value(QStringLiteral("zone")).toString();

    r.samples = repository.powerSamples(runId);
    r.metrics = repository.metrics(runId);
    r.phases = repository.phaseSplit(runId);
    for (const QString &scope : repository.metricScopes(runId))
        r.parts.push_back({scope, repository.finalMetrics(runId, scope)});
    r.cpuPowerW = meanPower(r.samples, [](const PowerSample &s) { return s.cpuPowerW; });
    r.gpuPowerW = meanPower(r.samples, [](const PowerSample &s) { return s.gpuPowerW; });
    r.ramPowerW = meanPower(r.samples, [](const PowerSample &s) { return s.ramPowerW; });
    // Energy-weighted, so a run that spanned a change of intensity reports what it really emitted per kWh.
    r.intensityGPerKwh = r.energyKwh > 0 ? r.emissionsG / r.energyKwh : run->intensityGPerKwh.value_or(0);
    const int cores = std::max(1, r.hardware.value(QStringLiteral("logical_cores")).toInt());
    for (const MetricPoint &m : r.metrics) {
        if (m.name == QStringLiteral("peak_rss_gb"))
            r.ramUsedGb = m.value;
        if (m.name == QStringLiteral("process_cpu_s") && r.durationS > 0)
            r.cpuUtilizationPercent = 100.0 * m.value / (r.durationS * cores);
    }
    return r;
}

} // namespace gw
