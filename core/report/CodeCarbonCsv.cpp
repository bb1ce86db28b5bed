#include "report/CodeCarbonCsv.h"

#include "util/CsvTable.h"

#include "Error.h"
#include "util/Files.h"

#include <QFileInfo>
#include <cmath>

namespace gw {

namespace {

// Fixed once and for all: changing it would change every exported run_id.
const QUuid kWorkbenchNamespace(QStringLiteral("160f58b8-498f-492c-a782-0519011da466"));

// 15 significant digits: what a double holds reliably, so a unit conversion (g to kg) gives
// 0.00084 rather than 0.0008399999999999999. A value that is not a number is written as missing
// rather than as "nan".
QString number(double value)
{
    if (!std::isfinite(value))
        return QString();
    return QString::number(value, 'g', 15);
}

QByteArray withoutLineEnd(QByteArray line)
{
    while (line.endsWith('\n') || line.endsWith('\r'))
        line.chop(1);
    return line;
}

} // namespace

const QStringList &CodeCarbonCsv::columns()
{
    static const QStringList names = QString::fromLatin1(
        "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,"
        "ram_power,cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,country_name,country_iso_code,"
        "region,cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,"
        "gpu_model,longitude,latitude,ram_total_size,tracking_mode,cpu_utilization_percent,"
        "gpu_utilization_percent,ram_utilization_percent,ram_used_gb,on_cloud,pue,wue")
                                         .split(QLatin1Char(','));
    return names;
}

QByteArray CodeCarbonCsv::headerLine()
{
    return columns().join(QLatin1Char(',')).toUtf8();
}

QUuid CodeCarbonCsv::runUuid(const RunReport &report)
{
    // The start time keeps run 1 of one database apart from run 1 of another.
    const QString key = QStringLiteral("run/%1/%2/%3")
                            .arg(report.project)
                            .arg(report.runId)
                            .arg(report.startedAt.toUTC().toString(Qt::ISODateWithMs));
    return QUuid::createUuidV5(kWorkbenchNamespace, key);
}

QUuid CodeCarbonCsv::experimentUuid(const RunReport &report)
{
    return QUuid::createUuidV5(kWorkbenchNamespace, QStringLiteral("experiment/%1/%2").arg(report.project, report.name));
}

QString CodeCarbonCsv::trackingMode(const RunReport &report)
{
    return report.cpuSource == QLatin1String("estimated") ? QStringLiteral("process") : QStringLiteral("machine");
}

QStringList CodeCarbonCsv::rowValues(const RunReport &report)
{
    const QDateTime when = report.endedAt.isValid() ? report.endedAt : report.startedAt;
    const double emissionsKg = report.emissionsG / 1000.0;
    const bool hasGpu = report.gpuCount > 0;
    const QString gpuModel = hasGpu && !report.gpuModel.isEmpty()
                                 ? QStringLiteral("%1 x %2").arg(report.gpuCount).arg(report.gpuModel) // CodeCarbon's form
                                 : QString();
    const int cpuCount = report.hardware.value(QLatin1String("logical_cores")).toInt();

    QStringList values;
    values.reserve(columns().size());
    values << (when.isValid() ? when.toUTC().toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss")) : QString()) // timestamp
           << report.project                                                                  // project_name
           << runUuid(report).toString(QUuid::WithoutBraces)                                   // run_id
           << experimentUuid(report).toString(QUuid::WithoutBraces)                            // experiment_id
           << number(report.durationS)                                                         // duration
           << number(emissionsKg)                                                              // emissions
           << number(report.durationS > 0 ? emissionsKg / report.durationS : 0.0)              // emissions_rate
           << number(report.cpuPowerW) << number(report.gpuPowerW) << number(report.ramPowerW)
           << number(report.cpuEnergyKwh) << number(report.gpuEnergyKwh) << number(report.ramEnergyKwh)
           << number(report.energyKwh)                                                         // energy_consumed
           << QString()                                                                        // water_consumed
           << report.countryName << report.countryIso3 << report.region
           << QString() << QString()                                                           // cloud_provider, cloud_region
           << report.hardware.value(QLatin1String("os")).toString()                            // os
           << QString() << QString()                                                           // python_version, codecarbon_version
           << (cpuCount > 0 ? QString::number(cpuCount) : QString())                           // cpu_count
           << report.hardware.value(QLatin1String("cpu_model")).toString()                     // cpu_model
           << (hasGpu ? QString::number(report.gpuCount) : QString())                          // gpu_count
           << gpuModel                                                                         // gpu_model
           << QString() << QString()                                                           // longitude, latitude
           << (report.ramTotalGb > 0 ? number(report.ramTotalGb) : QString())                  // ram_total_size
           << trackingMode(report)                                                             // tracking_mode
           << number(report.cpuUtilizationPercent)                                             // cpu_utilization_percent
           << QString()                                                                        // gpu_utilization_percent
           << (report.ramTotalGb > 0 ? number(100.0 * report.ramUsedGb / report.ramTotalGb) : QString())
           << number(report.ramUsedGb)                                                         // ram_used_gb
           << QStringLiteral("N")                                                              // on_cloud
           << number(report.pue)                                                               // pue
           << QString();                                                                       // wue
    Q_ASSERT(values.size() == columns().size());
    return values;
}

QByteArray CodeCarbonCsv::formatLine(const QStringList &values)
{
    QStringList fields;
    fields.reserve(values.size());
    for (const QString &value : values)
        fields << csvField(value);
    return fields.join(QLatin1Char(',')).toUtf8();
}

QByteArray CodeCarbonCsv::withRowAppended(QByteArray existing, const RunReport &report, const QString &origin)
{
    QByteArray lineEnd("\n");
    if (existing.isEmpty())
        return headerLine() + lineEnd + formatLine(rowValues(report)) + lineEnd;
    const qsizetype firstEnd = existing.indexOf('\n');
    const QByteArray firstLine = firstEnd < 0 ? existing : existing.left(firstEnd + 1);
    QByteArray header = withoutLineEnd(firstLine);
    if (header.startsWith("\xEF\xBB\xBF"))
        header.remove(0, 3);
    if (header != headerLine())
        throw Error(QStringLiteral("%1: exists with a different header, not CodeCarbon's 38 columns (%2, ...); "
                                   "refusing to append to it. Choose another file name.")
                        .arg(origin, QString::fromLatin1(headerLine().left(60))));
    // Keep the file's own line ends (pandas on Windows writes CRLF).
    if (firstLine.endsWith("\r\n"))
        lineEnd = "\r\n";
    // A last row without its line end would otherwise swallow ours.
    if (!existing.endsWith('\n'))
        existing += lineEnd;
    return existing + formatLine(rowValues(report)) + lineEnd;
}

void CodeCarbonCsv::append(const RunReport &report, const QString &path)
{
    // Appending replaces the file with its old rows plus ours (AtomicFile): a full disk or a kill
    // leaves the old file whole, never half a row.
    AtomicFile::requireWritableTarget(path, QStringLiteral("the emissions rows"));
    const QByteArray existing = QFileInfo::exists(path) ? readWholeFile(path) : QByteArray();
    AtomicFile::writeWhole(path, withRowAppended(existing, report, path), QStringLiteral("the emissions rows"));
}

} // namespace gw
