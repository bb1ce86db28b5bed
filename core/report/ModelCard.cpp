#include "report/ModelCard.h"

#include "Error.h"
#include "util/Files.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QLocale>
#include <QRegularExpression>
#include <QStringList>
#include <cmath>

namespace gw {

namespace {

constexpr double kJoulesPerWh = 3600.0;
constexpr double kJoulesPerKwh = 3.6e6;

// Fixed decimals in the C locale, never "-0.000" (a tiny negative rounding error would otherwise
// show a sign that means nothing).
QString fixed(double value, int decimals)
{
    if (!std::isfinite(value))
        return QStringLiteral("n/a");
    if (std::abs(value) < 0.5 * std::pow(10.0, -decimals))
        value = 0;
    return QString::number(value, 'f', decimals);
}

QString shortest(double value)
{
    return std::isfinite(value) ? QString::number(value, 'g', QLocale::FloatingPointShortest) : QStringLiteral("n/a");
}

QString cell(QString text)
{
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    text.replace(QLatin1Char('|'), QLatin1String("\\|"));
    return text;
}

QString row(const QStringList &cells)
{
    QStringList escaped;
    for (const QString &c : cells)
        escaped << cell(c);
    return QStringLiteral("| ") + escaped.join(QLatin1String(" | ")) + QStringLiteral(" |\n");
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

QString jsonText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
    case QJsonValue::Undefined:
        return QStringLiteral("(not set)");
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double:
        return shortest(value.toDouble());
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    }
    return QString();
}

// Nested config sections become dotted keys ("training.epochs"), the way the README and error
// messages name them. QJsonObject iterates in key order, which keeps the card deterministic.
void flatten(const QJsonObject &object, const QString &prefix, QStringList &lines)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = prefix.isEmpty() ? it.key() : prefix + QLatin1Char('.') + it.key();
        if (it.value().isObject())
            flatten(it.value().toObject(), key, lines);
        else
            lines << row({key, jsonText(it.value())});
    }
}

QString location(const RunReport &report)
{
    if (report.countryIso3.isEmpty())
        return QStringLiteral("unspecified (world-average grid intensity)");
    QString where = report.countryName.isEmpty() ? report.countryIso3
                                                 : QStringLiteral("%1 (%2)").arg(report.countryName, report.countryIso3);
    if (!report.region.isEmpty())
        where = report.region + QStringLiteral(", ") + where;
    return where;
}

QString hardwareUsed(const RunReport &report)
{
    QString cpu = report.hardware.value(QLatin1String("cpu_model")).toString();
    if (cpu.isEmpty())
        cpu = QStringLiteral("unknown CPU");
    const int cores = report.hardware.value(QLatin1String("logical_cores")).toInt();
    QString text = cores > 0 ? QStringLiteral("%1 (%2 logical cores)").arg(cpu).arg(cores) : cpu;
    if (report.gpuCount > 0)
        text += QStringLiteral(", %1 x %2").arg(report.gpuCount).arg(report.gpuModel.isEmpty() ? QStringLiteral("GPU") : report.gpuModel);
    return text;
}

QString componentRow(const QString &name, double energyKwh, double powerW, const QString &source)
{
    const QString value = source.isEmpty() ? QStringLiteral("%1 Wh").arg(fixed(energyKwh * 1000.0, 3))
                                           : QStringLiteral("%1 Wh (mean %2 W)").arg(fixed(energyKwh * 1000.0, 3), fixed(powerW, 1));
    return row({name + QStringLiteral(" energy"), value, sourceOf(source)});
}

QString method(const RunReport &report)
{
    QStringList measured, estimated;
    const std::pair<const char *, const QString *> components[] = {
        {"CPU", &report.cpuSource}, {"GPU", &report.gpuSource}, {"RAM", &report.ramSource}};
    for (const auto &[name, source] : components) {
        if (*source == QLatin1String("measured"))
            measured << QString::fromLatin1(name);
        else if (*source == QLatin1String("estimated"))
            estimated << QString::fromLatin1(name);
    }
    const QString model = report.powerModel.isEmpty() ? QStringLiteral("the workbench's power sources") : report.powerModel;
    QString text = QStringLiteral("Power was sampled at %1 Hz from %2. ").arg(shortest(report.sampleHz), model);
    if (!measured.isEmpty())
        text += QStringLiteral("Measured (hardware energy counters): %1. ").arg(measured.join(QStringLiteral(", ")));
    if (!estimated.isEmpty())
        text += QStringLiteral("Estimated (a model, not a meter; read it as an order of magnitude): %1. ")
                    .arg(estimated.join(QStringLiteral(", ")));
    text += QStringLiteral("Energy is that power integrated over time and multiplied by the PUE (%1); the emissions are "
                           "each sampling interval's energy multiplied by the grid carbon intensity in force then "
                           "(energy-weighted mean %2 g CO2eq/kWh, from %3).")
                .arg(fixed(report.pue, 2), fixed(report.intensityGPerKwh, 1),
                     report.intensityOrigin.isEmpty() ? QStringLiteral("an unrecorded origin") : report.intensityOrigin);
    return text;
}

bool looksLikeNumber(const QString &text)
{
    static const QRegularExpression number(QStringLiteral(R"(^[-+]?(\.[0-9]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?$)"));
    static const QRegularExpression special(QStringLiteral(R"(^([-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)|0x[0-9a-fA-F]+|0o[0-7]+)$)"));
    return number.match(text).hasMatch() || special.match(text).hasMatch();
}

} // namespace

QString ModelCard::yamlScalar(const QString &text)
{
    static const QStringList reservedWords = {QStringLiteral("true"), QStringLiteral("false"), QStringLiteral("yes"),
                                              QStringLiteral("no"),   QStringLiteral("on"),    QStringLiteral("off"),
                                              QStringLiteral("y"),    QStringLiteral("n"),     QStringLiteral("null"),
                                              QStringLiteral("~")};
    // In block context only ':' and '#' can end a plain scalar early; the other indicators matter
    // only as its first character.
    static const QString leadingIndicators = QStringLiteral("-?:,[]{}#&*!|>'\"%@`");
    bool plain = !text.isEmpty() && text.trimmed() == text && !leadingIndicators.contains(text.front())
                 && !reservedWords.contains(text.toLower()) && !looksLikeNumber(text);
    for (const QChar c : text)
        if (c == QLatin1Char(':') || c == QLatin1Char('#') || c.unicode() < 0x20 || c.unicode() == 0x7f)
            plain = false;
    if (plain)
        return text;

    QString quoted = QStringLiteral("\"");
    for (const QChar c : text) {
        if (c == QLatin1Char('"') || c == QLatin1Char('\\'))
            quoted += QLatin1Char('\\') + c;
        else if (c == QLatin1Char('\n'))
            quoted += QLatin1String("\\n");
        else if (c == QLatin1Char('\t'))
            quoted += QLatin1String("\\t");
        else if (c.unicode() < 0x20 || c.unicode() == 0x7f)
            quoted += QStringLiteral("\\x%1").arg(c.unicode(), 2, 16, QLatin1Char('0'));
        else
            quoted += c;
    }
    return quoted + QLatin1Char('"');
}

namespace {

/// "kind \"finetune\", training.mode \"linear-probe\"": what the stored config says the run did
/// (stores from before run kinds have only the mode).
QString kindAndMode(const QJsonObject &params)
{
    const QString kind = params.value(QLatin1String("kind")).toString();
    const QJsonValue mode = params.value(QLatin1String("training")).toObject().value(QLatin1String("mode"));
    QStringList parts;
    if (!kind.isEmpty())
        parts << QStringLiteral("kind \"%1\"").arg(kind);
    if (mode.isString() || kind.isEmpty())
        parts << QStringLiteral("training.mode \"%1\"").arg(mode.toString(QStringLiteral("scratch")));
    return parts.join(QStringLiteral(", "));
}

} // namespace

QString ModelCard::trainingType(const QJsonObject &params)
{
    const QString kind = params.value(QLatin1String("kind")).toString();
    const QString mode = params.value(QLatin1String("training")).toObject().value(QLatin1String("mode")).toString(QStringLiteral("scratch"));
    const bool fromRandomWeights = kind == QLatin1String("train") || kind == QLatin1String("pretrain") ||
                                   (kind.isEmpty() && (mode == QLatin1String("scratch") || mode == QLatin1String("pretrain")));
    return fromRandomWeights ? QStringLiteral("pre-training") : QStringLiteral("fine-tuning");
}

QString ModelCard::render(const RunReport &report, const QString &workbenchVersion)
{
    const QString version = workbenchVersion.isEmpty() ? QStringLiteral(GW_VERSION) : workbenchVersion;
    const QString energySource = overallSource(report);
    const QString powerModel = report.powerModel.isEmpty() ? QString() : QStringLiteral(": ") + report.powerModel;
    const QString title = report.name.isEmpty() ? QStringLiteral("Run %1").arg(report.runId) : report.name;

    QString md;
    md += QStringLiteral("---\n");
    md += QStringLiteral("co2_eq_emissions:\n");
    md += QStringLiteral("  emissions: %1\n").arg(fixed(report.emissionsG, 4));
    md += QStringLiteral("  source: %1\n").arg(yamlScalar(QStringLiteral("Green AI Workbench %1 (%2%3)").arg(version, energySource, powerModel)));
    md += QStringLiteral("  training_type: %1\n").arg(yamlScalar(trainingType(report.params)));
    md += QStringLiteral("  geographical_location: %1\n").arg(yamlScalar(location(report)));
    md += QStringLiteral("  hardware_used: %1\n").arg(yamlScalar(hardwareUsed(report)));
    md += QStringLiteral("---\n\n");

    md += QStringLiteral("# %1\n\n").arg(title);
    md += QStringLiteral("Run %1 of project \"%2\", trained with the Green AI Workbench %3 (status: %4).\n")
              .arg(report.runId)
              .arg(report.project, version, report.status.isEmpty() ? QStringLiteral("unknown") : report.status);
    if (report.startedAt.isValid())
        md += QStringLiteral("Started %1").arg(report.startedAt.toUTC().toString(Qt::ISODate))
              + (report.endedAt.isValid() ? QStringLiteral(", ended %1.\n").arg(report.endedAt.toUTC().toString(Qt::ISODate))
                                          : QStringLiteral(".\n"));
    md += QLatin1Char('\n');

    md += QStringLiteral("## Environmental impact\n\n");
    md += QStringLiteral("Energy figures include the PUE. Each says whether it was **measured** (hardware energy counters) "
                         "or **estimated** (a model).\n\n");
    md += row({QStringLiteral("Quantity"), QStringLiteral("Value"), QStringLiteral("Source")});
    md += QStringLiteral("|---|---:|---|\n");
    md += componentRow(QStringLiteral("CPU"), report.cpuEnergyKwh, report.cpuPowerW, report.cpuSource);
    md += componentRow(QStringLiteral("GPU"), report.gpuEnergyKwh, report.gpuPowerW, report.gpuSource);
    md += componentRow(QStringLiteral("RAM"), report.ramEnergyKwh, report.ramPowerW, report.ramSource);
    md += row({QStringLiteral("Total energy"),
               QStringLiteral("%1 Wh (%2 kWh)").arg(fixed(report.energyKwh * 1000.0, 3), fixed(report.energyKwh, 6)), energySource});
    md += row({QStringLiteral("Emissions"), QStringLiteral("%1 g CO2eq").arg(fixed(report.emissionsG, 4)), energySource});
    md += row({QStringLiteral("Carbon intensity"), QStringLiteral("%1 g CO2eq/kWh").arg(fixed(report.intensityGPerKwh, 1)),
               report.intensityOrigin.isEmpty() ? QStringLiteral("origin not recorded") : report.intensityOrigin});
    md += row({QStringLiteral("PUE"), fixed(report.pue, 2), QStringLiteral("run configuration")});
    md += row({QStringLiteral("Duration"), QStringLiteral("%1 s").arg(fixed(report.durationS, 1)), QStringLiteral("clock")});
    md += QLatin1Char('\n');

    if (!report.phases.empty()) {
        const double totalJ = report.energyKwh * kJoulesPerKwh;
        md += QStringLiteral("### Energy per phase\n\n");
        md += QStringLiteral("Nested phases count in the innermost one; \"idle\" is time outside every phase. Source: %1.\n\n").arg(energySource);
        md += row({QStringLiteral("Phase"), QStringLiteral("Energy (Wh)"), QStringLiteral("Share of total"), QStringLiteral("Time (s)")});
        md += QStringLiteral("|---|---:|---:|---:|\n");
        for (const PhaseEnergy &phase : report.phases)
            md += row({phase.phase, fixed(phase.energyJ / kJoulesPerWh, 3),
                       totalJ > 0 ? QStringLiteral("%1 %").arg(fixed(100.0 * phase.energyJ / totalJ, 1)) : QStringLiteral("n/a"),
                       fixed(phase.durationS, 1)});
        md += QLatin1Char('\n');
    }

    md += QStringLiteral("### Method\n\n") + method(report) + QStringLiteral("\n\n");

    md += QStringLiteral("## Hardware\n\n");
    md += row({QStringLiteral("Item"), QStringLiteral("Value")});
    md += QStringLiteral("|---|---|\n");
    QStringList hardwareRows;
    flatten(report.hardware, QString(), hardwareRows);
    md += hardwareRows.join(QString());
    md += row({QStringLiteral("gpu"), report.gpuCount > 0 ? QStringLiteral("%1 x %2").arg(report.gpuCount).arg(report.gpuModel)
                                                          : QStringLiteral("none")});
    md += row({QStringLiteral("ram_total_gb"), fixed(report.ramTotalGb, 1)});
    md += row({QStringLiteral("ram_used_gb (peak, this run)"), fixed(report.ramUsedGb, 2)});
    md += row({QStringLiteral("cpu_utilization_percent (mean, this run)"), fixed(report.cpuUtilizationPercent, 1)});
    md += QLatin1Char('\n');

    md += QStringLiteral("## Training\n\n");
    md += QStringLiteral("Training type: %1 (%2).\n\n").arg(trainingType(report.params), kindAndMode(report.params));
    md += row({QStringLiteral("Parameter"), QStringLiteral("Value")});
    md += QStringLiteral("|---|---|\n");
    QStringList paramRows;
    flatten(report.params, QString(), paramRows);
    md += paramRows.join(QString());
    md += QLatin1Char('\n');

    md += QStringLiteral("## Results\n\n");
    md += report.accuracy ? QStringLiteral("- Test accuracy: %1 (%2 %)\n").arg(fixed(*report.accuracy, 4), fixed(*report.accuracy * 100.0, 2))
                          : QStringLiteral("- Test accuracy: not evaluated\n");
    md += QStringLiteral("- Labels used: %1\n").arg(report.labelsUsed);
    return md;
}

void ModelCard::write(const RunReport &report, const QString &path, const QString &workbenchVersion)
{
    const QByteArray text = render(report, workbenchVersion).toUtf8();
    AtomicFile::writeWhole(path, text, QStringLiteral("the model card"));
}

QString ModelCard::withoutFrontMatter(const QString &card)
{
    if (!card.startsWith(QStringLiteral("---\n")))
        return card;
    const int end = card.indexOf(QStringLiteral("\n---\n"), 4);
    return end > 0 ? card.mid(end + 5) : card;
}

} // namespace gw
