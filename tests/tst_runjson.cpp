#include "Error.h"
#include "report/RunJson.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QtTest>
#include <algorithm>
#include <functional>
#include <limits>

using namespace gw;

namespace {

RunReport fullReport()
{
    RunReport r;
    r.runId = 42;
    r.project = QStringLiteral("demo");
    r.name = QStringLiteral("fashion-scratch");
    r.status = QStringLiteral("completed");
    r.startedAt = QDateTime(QDate(2024, 5, 1), QTime(10, 0, 0), Qt::UTC);
    r.endedAt = QDateTime(QDate(2024, 5, 1), QTime(10, 10, 0, 250), Qt::UTC);
    r.durationS = 600.25;
    r.accuracy = 0.8712;
    r.labelsUsed = 60000;
    r.params = QJsonObject{{QStringLiteral("name"), QStringLiteral("fashion-scratch")},
                           {QStringLiteral("training"), QJsonObject{{QStringLiteral("mode"), QStringLiteral("scratch")},
                                                                    {QStringLiteral("epochs"), 2}}}};
    r.hardware = QJsonObject{{QStringLiteral("cpu_model"), QStringLiteral("Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz")},
                             {QStringLiteral("logical_cores"), 8}};
    r.energyKwh = 0.0125;
    r.emissionsG = 0.7125;
    r.energySource = QStringLiteral("estimated");
    r.cpuEnergyKwh = 0.012;
    r.ramEnergyKwh = 0.0005;
    r.cpuPowerW = 45;
    r.ramPowerW = 2.5;
    r.cpuSource = QStringLiteral("measured");
    r.ramSource = QStringLiteral("estimated");
    r.ramTotalGb = 31.3;
    r.ramUsedGb = 2.75;
    r.cpuUtilizationPercent = 71.25;
    r.intensityGPerKwh = 57;
    r.intensityOrigin = QStringLiteral("FRA (France, 2023, OWID/Ember)");
    r.countryIso3 = QStringLiteral("FRA");
    r.countryName = QStringLiteral("France");
    r.pue = 1.2;
    r.sampleHz = 2;
    r.powerModel = QStringLiteral("RAPL counters: package-0; RAM model");
    r.phases = {{QStringLiteral("train"), 36000, 500}, {QStringLiteral("idle"), 9000, 100.25}};
    for (int i = 1; i <= 3; ++i) {
        PowerSample s;
        s.elapsedS = 0.5 * i;
        s.intervalS = 0.5;
        s.cpuPowerW = 40 + i;
        s.ramPowerW = 2.5;
        s.totalPowerW = (40 + i + 2.5) * 1.2;
        s.energyJ = 30.0 * i;
        s.source = QStringLiteral("estimated");
        s.intensityGPerKwh = 57;
        s.emissionsG = s.energyJ / 3.6e6 * 57;
        s.phase = QStringLiteral("train");
        r.samples.push_back(s);
    }
    r.metrics = {{1, QStringLiteral("test_accuracy"), 0.85}, {2, QStringLiteral("test_accuracy"), 0.8712}};
    return r;
}

QJsonObject roundTrip(const RunReport &report)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(QJsonDocument(RunJson::toJson(report)).toJson(), &error);
    if (error.error != QJsonParseError::NoError)
        qFatal("RunJson output does not parse: %s", qPrintable(error.errorString()));
    return document.object();
}

bool isEnergyOrPowerKey(const QString &key)
{
    if (key.endsWith(QLatin1String("_per_kwh")))
        return false; // an intensity, which carries its origin instead
    return key.endsWith(QLatin1String("_kwh")) || key.endsWith(QLatin1String("_j")) || key.endsWith(QLatin1String("_w"))
           || key == QLatin1String("emissions_g");
}

// Collects "path: problem" for every object holding an energy, power or emissions figure without
// a proper source next to it; counts the figures seen so the walk cannot pass by seeing nothing.
void checkSources(const QJsonValue &value, const QString &path, QStringList &problems, int &figures)
{
    if (value.isArray()) {
        const QJsonArray array = value.toArray();
        for (int i = 0; i < array.size(); ++i)
            checkSources(array[i], QStringLiteral("%1[%2]").arg(path).arg(i), problems, figures);
        return;
    }
    if (!value.isObject())
        return;
    const QJsonObject object = value.toObject();
    bool hasFigure = false;
    bool nonZero = false;
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (isEnergyOrPowerKey(it.key())) {
            hasFigure = true;
            ++figures;
            nonZero = nonZero || it.value().toDouble() != 0;
        }
        checkSources(it.value(), path + QLatin1Char('.') + it.key(), problems, figures);
    }
    if (!hasFigure)
        return;
    const QString source = object.value(QLatin1String("source")).toString();
    if (source != QLatin1String("measured") && source != QLatin1String("estimated")
        && !(source == QLatin1String("not used") && !nonZero))
        problems << QStringLiteral("%1: source '%2'").arg(path, source);
}

} // namespace

class TestRunJson : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void roundTripsTheImportantValues()
    {
        const RunReport report = fullReport();
        const QJsonObject json = roundTrip(report);
        QCOMPARE(json.value(QLatin1String("format")).toString(), QStringLiteral("green-workbench-run"));
        QCOMPARE(json.value(QLatin1String("format_version")).toInt(), RunJson::kFormatVersion);

        const QJsonObject run = json.value(QLatin1String("run")).toObject();
        QCOMPARE(run.value(QLatin1String("id")).toInteger(), report.runId);
        QCOMPARE(run.value(QLatin1String("project")).toString(), report.project);
        QCOMPARE(run.value(QLatin1String("name")).toString(), report.name);
        QCOMPARE(run.value(QLatin1String("status")).toString(), report.status);
        QCOMPARE(QDateTime::fromString(run.value(QLatin1String("started_at")).toString(), Qt::ISODateWithMs), report.startedAt);
        QCOMPARE(QDateTime::fromString(run.value(QLatin1String("ended_at")).toString(), Qt::ISODateWithMs), report.endedAt);
        QCOMPARE(run.value(QLatin1String("duration_s")).toDouble(), report.durationS);
        QCOMPARE(run.value(QLatin1String("accuracy")).toDouble(), *report.accuracy);
        QCOMPARE(run.value(QLatin1String("labels_used")).toInteger(), report.labelsUsed);
        QVERIFY(!QUuid::fromString(run.value(QLatin1String("codecarbon_run_id")).toString()).isNull());

        QCOMPARE(json.value(QLatin1String("params")).toObject(), report.params);
        const QJsonObject hardware = json.value(QLatin1String("hardware")).toObject();
        QCOMPARE(hardware.value(QLatin1String("cpu_model")).toString(), report.hardware.value(QLatin1String("cpu_model")).toString());
        QCOMPARE(hardware.value(QLatin1String("gpu_count")).toInt(), 0);
        QCOMPARE(hardware.value(QLatin1String("ram_total_gb")).toDouble(), report.ramTotalGb);
        const QJsonObject usage = json.value(QLatin1String("usage")).toObject();
        QCOMPARE(usage.value(QLatin1String("ram_used_gb")).toDouble(), report.ramUsedGb);
        QCOMPARE(usage.value(QLatin1String("cpu_utilization_percent")).toDouble(), report.cpuUtilizationPercent);

        const QJsonObject energy = json.value(QLatin1String("energy")).toObject();
        QCOMPARE(energy.value(QLatin1String("energy_kwh")).toDouble(), report.energyKwh);
        QCOMPARE(energy.value(QLatin1String("source")).toString(), QStringLiteral("estimated"));
        QCOMPARE(energy.value(QLatin1String("pue")).toDouble(), report.pue);
        QCOMPARE(energy.value(QLatin1String("sample_hz")).toDouble(), report.sampleHz);
        QCOMPARE(energy.value(QLatin1String("power_model")).toString(), report.powerModel);
        const QJsonObject components = energy.value(QLatin1String("components")).toObject();
        const QJsonObject cpu = components.value(QLatin1String("cpu")).toObject();
        QCOMPARE(cpu.value(QLatin1String("energy_kwh")).toDouble(), report.cpuEnergyKwh);
        QCOMPARE(cpu.value(QLatin1String("power_w")).toDouble(), report.cpuPowerW);
        QCOMPARE(cpu.value(QLatin1String("source")).toString(), QStringLiteral("measured"));
        QCOMPARE(components.value(QLatin1String("ram")).toObject().value(QLatin1String("source")).toString(), QStringLiteral("estimated"));
        QCOMPARE(components.value(QLatin1String("gpu")).toObject().value(QLatin1String("source")).toString(), QStringLiteral("not used"));

        const QJsonArray phases = energy.value(QLatin1String("phases")).toArray();
        QCOMPARE(phases.size(), 2);
        QCOMPARE(phases[0].toObject().value(QLatin1String("phase")).toString(), QStringLiteral("train"));
        QCOMPARE(phases[0].toObject().value(QLatin1String("energy_kwh")).toDouble(), 0.01);
        QCOMPARE(phases[1].toObject().value(QLatin1String("duration_s")).toDouble(), 100.25);

        const QJsonObject carbon = json.value(QLatin1String("carbon")).toObject();
        QCOMPARE(carbon.value(QLatin1String("emissions_g")).toDouble(), report.emissionsG);
        QCOMPARE(carbon.value(QLatin1String("intensity_g_per_kwh")).toDouble(), report.intensityGPerKwh);
        QCOMPARE(carbon.value(QLatin1String("intensity_origin")).toString(), report.intensityOrigin);
        QCOMPARE(carbon.value(QLatin1String("country_iso3")).toString(), QStringLiteral("FRA"));

        const QJsonArray samples = json.value(QLatin1String("samples")).toArray();
        QCOMPARE(samples.size(), 3);
        const QJsonObject last = samples[2].toObject();
        QCOMPARE(last.value(QLatin1String("elapsed_s")).toDouble(), 1.5);
        QCOMPARE(last.value(QLatin1String("cpu_power_w")).toDouble(), 43.0);
        QCOMPARE(last.value(QLatin1String("total_power_w")).toDouble(), report.samples[2].totalPowerW);
        QCOMPARE(last.value(QLatin1String("energy_j")).toDouble(), 90.0);
        QCOMPARE(last.value(QLatin1String("emissions_g")).toDouble(), report.samples[2].emissionsG);
        QCOMPARE(last.value(QLatin1String("phase")).toString(), QStringLiteral("train"));

        const QJsonArray metrics = json.value(QLatin1String("metrics")).toArray();
        QCOMPARE(metrics.size(), 2);
        QCOMPARE(metrics[1].toObject().value(QLatin1String("step")).toInteger(), qint64(2));
        QCOMPARE(metrics[1].toObject().value(QLatin1String("name")).toString(), QStringLiteral("test_accuracy"));
        QCOMPARE(metrics[1].toObject().value(QLatin1String("value")).toDouble(), 0.8712);
    }

    void everyEnergyFigureCarriesItsSource()
    {
        QStringList problems;
        int figures = 0;
        checkSources(roundTrip(fullReport()), QStringLiteral("$"), problems, figures);
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        // 3 components x 2, total, emissions, 2 phases, 3 samples x 6
        QCOMPARE(figures, 6 + 1 + 1 + 2 + 18);

        // A component in use without a source must be caught by the check itself.
        QJsonObject broken{{QStringLiteral("energy_kwh"), 1.0}, {QStringLiteral("source"), QStringLiteral("")}};
        problems.clear();
        checkSources(broken, QStringLiteral("$"), problems, figures);
        QCOMPARE(problems.size(), 1);
    }

    void numericKeysCarryUnits()
    {
        static const QStringList units = {QStringLiteral("_s"), QStringLiteral("_kwh"), QStringLiteral("_w"), QStringLiteral("_j"),
                                          QStringLiteral("_g"), QStringLiteral("_gb"), QStringLiteral("_percent"), QStringLiteral("_hz")};
        // Counts and dimensionless numbers.
        static const QStringList unitless = {QStringLiteral("format_version"), QStringLiteral("id"), QStringLiteral("labels_used"),
                                             QStringLiteral("accuracy"), QStringLiteral("pue"), QStringLiteral("step"),
                                             QStringLiteral("value"), QStringLiteral("gpu_count")};
        const QJsonObject json = roundTrip(fullReport());
        QStringList bad;
        std::function<void(const QJsonValue &, const QString &)> walk = [&](const QJsonValue &v, const QString &key) {
            if (v.isArray()) {
                for (const QJsonValue &item : v.toArray())
                    walk(item, key);
            } else if (v.isObject()) {
                const QJsonObject o = v.toObject();
                for (auto it = o.begin(); it != o.end(); ++it)
                    walk(it.value(), it.key());
            } else if (v.isDouble()) {
                const bool hasUnit = std::any_of(units.begin(), units.end(), [&](const QString &u) { return key.endsWith(u); });
                if (!hasUnit && !unitless.contains(key))
                    bad << key;
            }
        };
        for (const char *section : {"run", "energy", "carbon", "usage", "samples", "metrics"})
            walk(json.value(QLatin1String(section)), QString());
        QVERIFY2(bad.isEmpty(), qPrintable(bad.join(QStringLiteral(", "))));
    }

    void overallSourceFallsBackToComponents_data()
    {
        QTest::addColumn<QString>("cpu");
        QTest::addColumn<QString>("ram");
        QTest::addColumn<QString>("expected");
        QTest::newRow("all measured") << "measured" << "measured" << "measured";
        QTest::newRow("one estimated") << "measured" << "estimated" << "estimated";
        QTest::newRow("nothing recorded") << "" << "" << "estimated";
    }

    void overallSourceFallsBackToComponents()
    {
        QFETCH(QString, cpu);
        QFETCH(QString, ram);
        QFETCH(QString, expected);
        RunReport report = fullReport();
        report.energySource.clear();
        report.cpuSource = cpu;
        report.ramSource = ram;
        const QJsonObject json = roundTrip(report);
        QCOMPARE(json.value(QLatin1String("energy")).toObject().value(QLatin1String("source")).toString(), expected);
        QCOMPARE(json.value(QLatin1String("carbon")).toObject().value(QLatin1String("source")).toString(), expected);
    }

    void missingValuesAreNullNotZero()
    {
        RunReport report = fullReport();
        report.accuracy.reset();
        report.endedAt = QDateTime();
        report.intensityGPerKwh = std::numeric_limits<double>::quiet_NaN();
        const QJsonObject json = roundTrip(report);
        QVERIFY(json.value(QLatin1String("run")).toObject().value(QLatin1String("accuracy")).isNull());
        QVERIFY(json.value(QLatin1String("run")).toObject().value(QLatin1String("ended_at")).isNull());
        QVERIFY(json.value(QLatin1String("carbon")).toObject().value(QLatin1String("intensity_g_per_kwh")).isNull());
    }

    void writesAndReportsFailures()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("run.json"));
        RunJson::write(fullReport(), path);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(QJsonDocument::fromJson(file.readAll()).object(), RunJson::toJson(fullReport()));

        const QString bad = dir.filePath(QStringLiteral("missing/run.json"));
        try {
            RunJson::write(fullReport(), bad);
            QFAIL("wrote into a missing folder");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(bad + QLatin1Char(':')), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestRunJson)
#include "tst_runjson.moc"
