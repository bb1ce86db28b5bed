#include "Error.h"
#include "report/CodeCarbonCsv.h"
#include "util/CsvTable.h"
#include "util/Files.h"
#include "FileChecks.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace gw;
using gw::test::verifyErrorNames;

namespace {

// Copied by hand from CodeCarbon's output columns, not generated from the code under test.
const char *const kCodeCarbonHeader =
    "timestamp,project_name,run_id,experiment_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,"
    "cpu_energy,gpu_energy,ram_energy,energy_consumed,water_consumed,country_name,country_iso_code,region,"
    "cloud_provider,cloud_region,os,python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,"
    "longitude,latitude,ram_total_size,tracking_mode,cpu_utilization_percent,gpu_utilization_percent,"
    "ram_utilization_percent,ram_used_gb,on_cloud,pue,wue";

RunReport sampleReport()
{
    RunReport r;
    r.runId = 42;
    r.project = QStringLiteral("demo");
    r.name = QStringLiteral("fashion-scratch");
    r.status = QStringLiteral("completed");
    r.startedAt = QDateTime(QDate(2024, 5, 1), QTime(10, 0, 0), Qt::UTC);
    r.endedAt = QDateTime(QDate(2024, 5, 1), QTime(10, 10, 0), Qt::UTC);
    r.durationS = 600;
    r.hardware = QJsonObject{{QStringLiteral("cpu_model"), QStringLiteral("Intel(R) Xeon(R) CPU, rev 2 @ 2.00GHz")},
                             {QStringLiteral("logical_cores"), 8}};
    r.energyKwh = 0.012;
    r.emissionsG = 0.84;
    r.energySource = QStringLiteral("estimated");
    r.cpuEnergyKwh = 0.011;
    r.ramEnergyKwh = 0.001;
    r.cpuPowerW = 55;
    r.ramPowerW = 5;
    r.cpuSource = QStringLiteral("estimated");
    r.ramSource = QStringLiteral("estimated");
    r.ramTotalGb = 32;
    r.ramUsedGb = 4;
    r.cpuUtilizationPercent = 80;
    r.intensityGPerKwh = 70;
    r.countryIso3 = QStringLiteral("FRA");
    r.countryName = QStringLiteral("France");
    r.pue = 1.2;
    return r;
}

CsvTable readTable(const QString &path)
{
    return CsvTable::parse(readWholeFile(path), path, CodeCarbonCsv::columns());
}

QByteArray readBytes(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

class TestCodeCarbonCsv : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void headerIsCodeCarbons()
    {
        QCOMPARE(CodeCarbonCsv::headerLine(), QByteArray(kCodeCarbonHeader));
        QCOMPARE(CodeCarbonCsv::columns().size(), 38);

        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("emissions.csv"));
        CodeCarbonCsv::append(sampleReport(), path);
        QCOMPARE(readBytes(path).split('\n').first(), QByteArray(kCodeCarbonHeader));
    }

    void secondExportAppendsOneRow()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("emissions.csv"));
        CodeCarbonCsv::append(sampleReport(), path);
        const QByteArray first = readBytes(path);
        CodeCarbonCsv::append(sampleReport(), path);
        const QByteArray second = readBytes(path);
        QVERIFY(second.startsWith(first));
        QCOMPARE(second.count('\n'), 3);
        QCOMPARE(second.count(kCodeCarbonHeader), 1);
        QCOMPARE(readTable(path).rows.size(), std::size_t(2));
    }

    void rowValues_data()
    {
        QTest::addColumn<QString>("column");
        QTest::addColumn<QString>("expected");
        QTest::newRow("timestamp: end of run, UTC") << "timestamp" << "2024-05-01T10:10:00";
        QTest::newRow("project") << "project_name" << "demo";
        QTest::newRow("duration s") << "duration" << "600";
        QTest::newRow("emissions kg = g / 1000") << "emissions" << "0.00084";
        QTest::newRow("emissions_rate kg/s") << "emissions_rate" << "1.4e-06";
        QTest::newRow("cpu_power W") << "cpu_power" << "55";
        QTest::newRow("gpu_power W") << "gpu_power" << "0";
        QTest::newRow("cpu_energy kWh") << "cpu_energy" << "0.011";
        QTest::newRow("ram_energy kWh") << "ram_energy" << "0.001";
        QTest::newRow("energy_consumed kWh") << "energy_consumed" << "0.012";
        QTest::newRow("water unknown") << "water_consumed" << "";
        QTest::newRow("country_name") << "country_name" << "France";
        QTest::newRow("country ISO3") << "country_iso_code" << "FRA";
        QTest::newRow("cpu_count") << "cpu_count" << "8";
        QTest::newRow("cpu_model with comma") << "cpu_model" << "Intel(R) Xeon(R) CPU, rev 2 @ 2.00GHz";
        QTest::newRow("no gpu count") << "gpu_count" << "";
        QTest::newRow("no gpu model") << "gpu_model" << "";
        QTest::newRow("no gpu utilisation") << "gpu_utilization_percent" << "";
        QTest::newRow("ram_total_size GB") << "ram_total_size" << "32";
        QTest::newRow("tracking_mode") << "tracking_mode" << "process";
        QTest::newRow("cpu_utilization_percent") << "cpu_utilization_percent" << "80";
        QTest::newRow("ram_utilization_percent") << "ram_utilization_percent" << "12.5";
        QTest::newRow("ram_used_gb") << "ram_used_gb" << "4";
        QTest::newRow("on_cloud") << "on_cloud" << "N";
        QTest::newRow("pue") << "pue" << "1.2";
        QTest::newRow("wue unknown") << "wue" << "";
        QTest::newRow("python_version n/a") << "python_version" << "";
        QTest::newRow("codecarbon_version n/a") << "codecarbon_version" << "";
    }

    void rowValues()
    {
        QFETCH(QString, column);
        QFETCH(QString, expected);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("emissions.csv"));
        CodeCarbonCsv::append(sampleReport(), path);
        const CsvTable table = readTable(path);
        QCOMPARE(table.rows.size(), std::size_t(1));
        const QString actual = table.rows[0].value(table.column(column));
        bool numeric = false;
        const double expectedValue = expected.toDouble(&numeric);
        if (!numeric) {
            QCOMPARE(actual, expected);
            return;
        }
        // Divisions (g to kg, kg per s) need not give the decimal we wrote exactly.
        bool ok = false;
        const double actualValue = actual.toDouble(&ok);
        QVERIFY2(ok, qPrintable(actual));
        QVERIFY2(qAbs(actualValue - expectedValue) <= 1e-12 * qAbs(expectedValue), qPrintable(actual));
    }

    void commaInCpuModelIsQuoted()
    {
        const QByteArray line = CodeCarbonCsv::formatLine(CodeCarbonCsv::rowValues(sampleReport()));
        QVERIFY2(line.contains(",\"Intel(R) Xeon(R) CPU, rev 2 @ 2.00GHz\","), line.constData());
        QCOMPARE(CodeCarbonCsv::formatLine({QStringLiteral("say \"hi\""), QStringLiteral("plain")}), QByteArray("\"say \"\"hi\"\"\",plain"));
    }

    void idsAreStableUuids()
    {
        const QStringList a = CodeCarbonCsv::rowValues(sampleReport());
        const QStringList b = CodeCarbonCsv::rowValues(sampleReport());
        const int runId = CodeCarbonCsv::columns().indexOf(QStringLiteral("run_id"));
        const int experimentId = CodeCarbonCsv::columns().indexOf(QStringLiteral("experiment_id"));
        QCOMPARE(a[runId], b[runId]);
        QVERIFY(!QUuid::fromString(a[runId]).isNull());
        QVERIFY(!QUuid::fromString(a[experimentId]).isNull());
        RunReport other = sampleReport();
        other.runId = 43;
        QVERIFY(CodeCarbonCsv::rowValues(other)[runId] != a[runId]);
        QCOMPARE(CodeCarbonCsv::rowValues(other)[experimentId], a[experimentId]);
    }

    void gpuAndTrackingMode_data()
    {
        QTest::addColumn<QString>("cpuSource");
        QTest::addColumn<int>("gpuCount");
        QTest::addColumn<QString>("trackingMode");
        QTest::addColumn<QString>("gpuModel");
        QTest::newRow("RAPL, no GPU") << "measured" << 0 << "machine" << "";
        QTest::newRow("CPU-time model, no GPU") << "estimated" << 0 << "process" << "";
        QTest::newRow("RAPL, two GPUs") << "measured" << 2 << "machine" << "2 x NVIDIA H100";
    }

    void gpuAndTrackingMode()
    {
        QFETCH(QString, cpuSource);
        QFETCH(int, gpuCount);
        QFETCH(QString, trackingMode);
        QFETCH(QString, gpuModel);
        RunReport report = sampleReport();
        report.cpuSource = cpuSource;
        report.gpuCount = gpuCount;
        report.gpuModel = gpuCount > 0 ? QStringLiteral("NVIDIA H100") : QString();
        const QStringList values = CodeCarbonCsv::rowValues(report);
        const QStringList &columns = CodeCarbonCsv::columns();
        QCOMPARE(values[columns.indexOf(QStringLiteral("tracking_mode"))], trackingMode);
        QCOMPARE(values[columns.indexOf(QStringLiteral("gpu_model"))], gpuModel);
        QCOMPARE(values[columns.indexOf(QStringLiteral("gpu_count"))], gpuCount > 0 ? QString::number(gpuCount) : QString());
    }

    void mismatchingHeaderIsRefusedAndFileKept()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("emissions.csv"));
        const QByteArray foreign("timestamp,project_name,run_id,duration,emissions\n2024-01-01T00:00:00,x,1,2,3\n");
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(foreign);
        }
        try {
            CodeCarbonCsv::append(sampleReport(), path);
            QFAIL("appended to a file with another header");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(path), qPrintable(e.message()));
            QVERIFY2(e.message().contains(QStringLiteral("header")), qPrintable(e.message()));
        }
        QCOMPARE(readBytes(path), foreign);
    }

    void emptyFileGetsHeaderAndMissingLineEndIsRepaired()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("emissions.csv"));
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
        }
        CodeCarbonCsv::append(sampleReport(), path);
        QVERIFY(readBytes(path).startsWith(QByteArray(kCodeCarbonHeader) + '\n'));

        QByteArray text = readBytes(path);
        text.chop(1); // someone's editor dropped the last line end
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write(text);
        }
        CodeCarbonCsv::append(sampleReport(), path);
        QCOMPARE(readTable(path).rows.size(), std::size_t(2));
    }

    void unwritablePathIsAClearError()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("no-such-folder/emissions.csv"));
        try {
            CodeCarbonCsv::append(sampleReport(), path);
            QFAIL("wrote into a missing folder");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(path + QLatin1Char(':')), qPrintable(e.message()));
        }
        QVERIFY(!QFile::exists(path));
    }

    // The append check on content alone (what the fuzz target drives): rows kept, CRLF kept.
    void appendedContentKeepsRowsAndLineEnds()
    {
        const QByteArray first = CodeCarbonCsv::withRowAppended(QByteArray(), sampleReport(), QStringLiteral("mem"));
        QVERIFY(first.startsWith(QByteArray(kCodeCarbonHeader) + '\n'));
        QByteArray crlf = first;
        crlf.replace("\n", "\r\n");
        const QByteArray second = CodeCarbonCsv::withRowAppended(crlf, sampleReport(), QStringLiteral("mem"));
        QVERIFY(second.startsWith(crlf));
        QVERIFY(second.endsWith("\r\n"));
        QCOMPARE(second.count('\n'), 3);
        verifyErrorNames([] { CodeCarbonCsv::withRowAppended("a,b\n", sampleReport(), QStringLiteral("mine.csv")); }, QStringLiteral("mine.csv"));
    }

    void aFifoIsNotAppendedTo()
    {
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("emissions.csv"));
        QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
        verifyErrorNames([&] { CodeCarbonCsv::append(sampleReport(), fifo); }, QStringLiteral("not a regular file"));
    }
};

QTEST_GUILESS_MAIN(TestCodeCarbonCsv)
#include "tst_codecarboncsv.moc"
