#include "report/RunJson.h"

#include "Error.h"
#include "util/Files.h"
#include "report/CodeCarbonCsv.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QStringList>
#include <cmath>

namespace gw {

namespace {

constexpr double kJoulesPerKwh = 3.6e6;

// JSON has no NaN or infinity; null says "no value" instead of a made-up 0.
QJsonValue num(double value)
{
    return std::isfinite(value) ? QJsonValue(value) : QJsonValue(QJsonValue::Null);
}

QString sourceOf(const QString &source)
{
    return source.isEmpty() ? QStringLiteral("not used") : source;
}

// The report's overall source, or, when it was not filled in, the one its components imply: a
// total is only as measured as its least measured part.
QString overallSource(const RunReport &report)
{
    if (!report.energySource.isEmpty())
        return report.energySource;
    const QStringList parts{report.cpuSource, report.gpuSource, report.ramSource};
    if (parts.contains(QStringLiteral("estimated")))
        return QStringLiteral("estimated");
    if (parts.contains(QStringLiteral("measured")))
        return QStringLiteral("measured");
    return report.energyKwh > 0 ? QStringLiteral("estimated") : QStringLiteral("not used");
}

QJsonValue timestamp(const QDateTime &when)
{
    return when.isValid() ? QJsonValue(when.toUTC().toString(Qt::ISODateWithMs)) : QJsonValue(QJsonValue::Null);
}

QJsonObject component(double energyKwh, double powerW, const QString &source)
{
    return QJsonObject{{QStringLiteral("energy_kwh"), num(energyKwh)},
                       {QStringLiteral("power_w"), num(powerW)},
                       {QStringLiteral("source"), sourceOf(source)}};
}

} // namespace

QJsonObject RunJson::toJson(const RunReport &report)
{
    const QString energySource = overallSource(report);

    const QJsonObject run{{QStringLiteral("id"), report.runId},
                          {QStringLiteral("codecarbon_run_id"), CodeCarbonCsv::runUuid(report).toString(QUuid::WithoutBraces)},
                          {QStringLiteral("project"), report.project},
                          {QStringLiteral("name"), report.name},
                          {QStringLiteral("status"), report.status},
                          {QStringLiteral("started_at"), timestamp(report.startedAt)},
                          {QStringLiteral("ended_at"), timestamp(report.endedAt)},
                          {QStringLiteral("duration_s"), num(report.durationS)},
                          {QStringLiteral("accuracy"), report.accuracy ? num(*report.accuracy) : QJsonValue(QJsonValue::Null)},
                          {QStringLiteral("labels_used"), report.labelsUsed}};

    QJsonObject hardware = report.hardware;
    hardware.insert(QStringLiteral("gpu_count"), report.gpuCount);
    hardware.insert(QStringLiteral("gpu_model"), report.gpuModel);
    hardware.insert(QStringLiteral("ram_total_gb"), num(report.ramTotalGb));

    const QJsonObject usage{{QStringLiteral("ram_used_gb"), num(report.ramUsedGb)},
                            {QStringLiteral("cpu_utilization_percent"), num(report.cpuUtilizationPercent)}};

    QJsonArray phases;
    for (const PhaseEnergy &phase : report.phases)
        phases.append(QJsonObject{{QStringLiteral("phase"), phase.phase},
                                  {QStringLiteral("energy_kwh"), num(phase.energyJ / kJoulesPerKwh)},
                                  {QStringLiteral("duration_s"), num(phase.durationS)},
                                  // A phase's energy mixes every component, so it is only as measured as the total.
                                  {QStringLiteral("source"), energySource}});

    const QJsonObject energy{
        {QStringLiteral("energy_kwh"), num(report.energyKwh)},
        {QStringLiteral("source"), energySource},
        {QStringLiteral("pue"), num(report.pue)},
        {QStringLiteral("sample_hz"), num(report.sampleHz)},
        {QStringLiteral("power_model"), report.powerModel},
        {QStringLiteral("components"),
         QJsonObject{{QStringLiteral("cpu"), component(report.cpuEnergyKwh, report.cpuPowerW, report.cpuSource)},
                     {QStringLiteral("gpu"), component(report.gpuEnergyKwh, report.gpuPowerW, report.gpuSource)},
                     {QStringLiteral("ram"), component(report.ramEnergyKwh, report.ramPowerW, report.ramSource)}}},
        {QStringLiteral("phases"), phases}};

    const QJsonObject carbon{{QStringLiteral("emissions_g"), num(report.emissionsG)},
                             {QStringLiteral("source"), energySource},
                             {QStringLiteral("intensity_g_per_kwh"), num(report.intensityGPerKwh)},
                             {QStringLiteral("intensity_origin"), report.intensityOrigin},
                             {QStringLiteral("country_iso3"), report.countryIso3},
                             {QStringLiteral("country_name"), report.countryName},
                             {QStringLiteral("region"), report.region}};

    QJsonArray samples;
    for (const PowerSample &s : report.samples)
        samples.append(QJsonObject{{QStringLiteral("elapsed_s"), num(s.elapsedS)},
                                   {QStringLiteral("interval_s"), num(s.intervalS)},
                                   {QStringLiteral("cpu_power_w"), num(s.cpuPowerW)},
                                   {QStringLiteral("gpu_power_w"), num(s.gpuPowerW)},
                                   {QStringLiteral("ram_power_w"), num(s.ramPowerW)},
                                   {QStringLiteral("total_power_w"), num(s.totalPowerW)},
                                   {QStringLiteral("energy_j"), num(s.energyJ)},
                                   {QStringLiteral("emissions_g"), num(s.emissionsG)},
                                   {QStringLiteral("intensity_g_per_kwh"), num(s.intensityGPerKwh)},
                                   {QStringLiteral("phase"), s.phase},
                                   {QStringLiteral("source"), sourceOf(s.source)}});

    QJsonArray metrics;
    for (const MetricPoint &m : report.metrics)
        metrics.append(QJsonObject{{QStringLiteral("step"), m.step},
                                   {QStringLiteral("name"), m.name},
                                   {QStringLiteral("value"), num(m.value)}});

    return QJsonObject{{QStringLiteral("format"), QStringLiteral("green-workbench-run")},
                       {QStringLiteral("format_version"), kFormatVersion},
                       {QStringLiteral("workbench_version"), QStringLiteral(GW_VERSION)},
                       {QStringLiteral("run"), run},
                       {QStringLiteral("params"), report.params},
                       {QStringLiteral("hardware"), hardware},
                       {QStringLiteral("usage"), usage},
                       {QStringLiteral("energy"), energy},
                       {QStringLiteral("carbon"), carbon},
                       {QStringLiteral("samples"), samples},
                       {QStringLiteral("metrics"), metrics}};
}

void RunJson::write(const RunReport &report, const QString &path)
{
    const QByteArray text = QJsonDocument(toJson(report)).toJson(QJsonDocument::Indented);
    AtomicFile::writeWhole(path, text, QStringLiteral("the run's JSON"));
}

} // namespace gw
