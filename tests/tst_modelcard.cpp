#include "Error.h"
#include "report/ModelCard.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

namespace {

// Every field set, with the awkward cases a card must survive: a mixed measured/estimated run,
// ':' and '@' in YAML values, a non-ASCII region, a '|' inside a table cell.
RunReport fullReport()
{
    RunReport r;
    r.runId = 42;
    r.project = QStringLiteral("demo");
    r.name = QStringLiteral("fashion-scratch");
    r.status = QStringLiteral("completed");
    r.startedAt = QDateTime(QDate(2024, 5, 1), QTime(10, 0, 0), Qt::UTC);
    r.endedAt = QDateTime(QDate(2024, 5, 1), QTime(10, 10, 0), Qt::UTC);
    r.durationS = 600;
    r.accuracy = 0.8712;
    r.labelsUsed = 60000;
    r.params = QJsonObject{
        {QStringLiteral("name"), QStringLiteral("fashion-scratch")},
        {QStringLiteral("seed"), 1},
        {QStringLiteral("dataset"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("fashion-mnist")},
                                                {QStringLiteral("path"), QJsonValue(QJsonValue::Null)},
                                                {QStringLiteral("train_subset"), 0}}},
        {QStringLiteral("model"), QJsonObject{{QStringLiteral("source"), QStringLiteral("scratch")}}},
        {QStringLiteral("training"), QJsonObject{{QStringLiteral("mode"), QStringLiteral("scratch")},
                                                 {QStringLiteral("epochs"), 2},
                                                 {QStringLiteral("batch_size"), 128},
                                                 {QStringLiteral("lr"), 0.001},
                                                 {QStringLiteral("optimizer"), QStringLiteral("adam")},
                                                 {QStringLiteral("threads"), 0}}},
        {QStringLiteral("energy"), QJsonObject{{QStringLiteral("sample_hz"), 1},
                                               {QStringLiteral("country"), QStringLiteral("FRA")},
                                               {QStringLiteral("pue"), 1.2}}}};
    r.hardware = QJsonObject{{QStringLiteral("cpu_model"), QStringLiteral("Intel(R) Xeon(R) Platinum 8481C CPU @ 2.70GHz")},
                             {QStringLiteral("logical_cores"), 8},
                             {QStringLiteral("instruction_sets"), QJsonArray{QStringLiteral("avx2"), QStringLiteral("avx512f"), QStringLiteral("amx_tile")}},
                             {QStringLiteral("blas_library"), QStringLiteral("libopenblasp-r0.3.21.so")},
                             {QStringLiteral("blas_core_type"), QStringLiteral("Prescott")},
                             {QStringLiteral("blas_core_type_override"), QStringLiteral("SKYLAKEX")},
                             {QStringLiteral("torch_threads"), 8},
                             {QStringLiteral("torch_version"), QStringLiteral("1.13.1")}};

    r.energyKwh = 0.0125;
    r.emissionsG = 0.7125;
    r.energySource = QStringLiteral("estimated");
    r.cpuEnergyKwh = 0.009;
    r.gpuEnergyKwh = 0.003;
    r.ramEnergyKwh = 0.0005;
    r.cpuPowerW = 45;
    r.gpuPowerW = 15;
    r.ramPowerW = 2.5;
    r.cpuSource = QStringLiteral("measured");
    r.gpuSource = QStringLiteral("measured");
    r.ramSource = QStringLiteral("estimated");
    r.gpuCount = 1;
    r.gpuModel = QStringLiteral("NVIDIA H100 80GB HBM3");
    r.ramTotalGb = 31.3;
    r.ramUsedGb = 2.75;
    r.cpuUtilizationPercent = 71.25;

    r.intensityGPerKwh = 57;
    r.intensityOrigin = QStringLiteral("FRA (France, 2023, OWID/Ember)");
    r.countryIso3 = QStringLiteral("FRA");
    r.countryName = QStringLiteral("France");
    r.region = QStringLiteral("Île-de-France");
    r.pue = 1.2;
    r.sampleHz = 1;
    r.powerModel = QStringLiteral("RAPL counters: package-0, dram | NVML; RAM: 0.375 W per GiB resident");

    r.phases = {{QStringLiteral("data"), 2160, 30},
                {QStringLiteral("train"), 39600, 540},
                {QStringLiteral("eval"), 2700, 25},
                {QStringLiteral("idle"), 540, 5}};
    PowerSample s;
    s.elapsedS = 1;
    s.intervalS = 1;
    s.cpuPowerW = 45;
    s.gpuPowerW = 15;
    s.ramPowerW = 2.5;
    s.totalPowerW = 75;
    s.energyJ = 75;
    s.source = QStringLiteral("estimated");
    s.intensityGPerKwh = 57;
    s.emissionsG = 75 / 3.6e6 * 57;
    s.phase = QStringLiteral("train");
    r.samples = {s};
    r.metrics = {{1, QStringLiteral("test_accuracy"), 0.85}, {2, QStringLiteral("test_accuracy"), 0.8712}};
    return r;
}

QString goldenPath()
{
    return QStringLiteral(GW_GOLDEN_DIR "/model_card.md");
}

QString frontMatterValue(const QString &card, const QString &key)
{
    const QString prefix = QStringLiteral("  %1: ").arg(key);
    for (const QString &line : card.section(QStringLiteral("---\n"), 1, 1).split(QLatin1Char('\n')))
        if (line.startsWith(prefix))
            return line.mid(prefix.size());
    return QString();
}

} // namespace

class TestModelCard : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void matchesGoldenFile()
    {
        const QString card = ModelCard::render(fullReport(), QStringLiteral("0.1.0-test"));
        // Set GW_UPDATE_GOLDEN=1 to rewrite the golden file after an intended change (then read the diff).
        if (qEnvironmentVariableIsSet("GW_UPDATE_GOLDEN")) {
            ModelCard::write(fullReport(), goldenPath(), QStringLiteral("0.1.0-test"));
            QSKIP("golden file rewritten");
        }
        QFile golden(goldenPath());
        QVERIFY2(golden.open(QIODevice::ReadOnly), qPrintable(goldenPath()));
        const QString expected = QString::fromUtf8(golden.readAll());
        if (card != expected) {
            const QStringList got = card.split(QLatin1Char('\n'));
            const QStringList want = expected.split(QLatin1Char('\n'));
            for (int i = 0; i < qMax(got.size(), want.size()); ++i)
                if (got.value(i) != want.value(i))
                    QFAIL(qPrintable(QStringLiteral("line %1 differs:\n got: %2\nwant: %3").arg(i + 1).arg(got.value(i), want.value(i))));
        }
        QCOMPARE(card, expected);
    }

    void renderingIsDeterministic()
    {
        QCOMPARE(ModelCard::render(fullReport(), QStringLiteral("x")), ModelCard::render(fullReport(), QStringLiteral("x")));
    }

    void frontMatterFollowsTheHub()
    {
        const QString card = ModelCard::render(fullReport(), QStringLiteral("0.1.0"));
        QVERIFY(card.startsWith(QStringLiteral("---\nco2_eq_emissions:\n")));
        QCOMPARE(frontMatterValue(card, QStringLiteral("emissions")), QStringLiteral("0.7125"));
        QCOMPARE(frontMatterValue(card, QStringLiteral("training_type")), QStringLiteral("pre-training"));
        QCOMPARE(frontMatterValue(card, QStringLiteral("geographical_location")), QStringLiteral("Île-de-France, France (FRA)"));
        const QString source = frontMatterValue(card, QStringLiteral("source"));
        QVERIFY2(source.startsWith(QStringLiteral("\"Green AI Workbench 0.1.0 (estimated: RAPL")), qPrintable(source));
        const QString hardware = frontMatterValue(card, QStringLiteral("hardware_used"));
        QVERIFY2(hardware.contains(QStringLiteral("8 logical cores")) && hardware.contains(QStringLiteral("1 x NVIDIA H100")),
                 qPrintable(hardware));
        // Every value with ':' or '#' is quoted.
        const QStringList front = card.section(QStringLiteral("---\n"), 1, 1).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        for (const QString &line : front) {
            const QString value = line.section(QStringLiteral(": "), 1);
            if (value.contains(QLatin1Char(':')) || value.contains(QLatin1Char('#')))
                QVERIFY2(value.startsWith(QLatin1Char('"')) && value.endsWith(QLatin1Char('"')), qPrintable(line));
        }
    }

    void minimalRunSaysWhatIsMissing()
    {
        RunReport r;
        r.runId = 7;
        r.project = QStringLiteral("p");
        r.name = QStringLiteral("bare");
        r.hardware = QJsonObject{{QStringLiteral("cpu_model"), QStringLiteral("AMD EPYC 7B13")}, {QStringLiteral("logical_cores"), 2}};
        r.energySource = QStringLiteral("estimated");
        r.cpuSource = QStringLiteral("estimated");
        const QString card = ModelCard::render(r, QStringLiteral("0.1.0"));
        QCOMPARE(frontMatterValue(card, QStringLiteral("geographical_location")), QStringLiteral("unspecified (world-average grid intensity)"));
        QCOMPARE(frontMatterValue(card, QStringLiteral("hardware_used")), QStringLiteral("AMD EPYC 7B13 (2 logical cores)"));
        QVERIFY(card.contains(QStringLiteral("| GPU energy | 0.000 Wh | not used |")));
        QVERIFY(card.contains(QStringLiteral("- Test accuracy: not evaluated")));
        QVERIFY(!card.contains(QStringLiteral("### Energy per phase")));
    }

    void yamlScalar_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("yaml");
        QTest::newRow("plain") << "France (FRA)" << "France (FRA)";
        QTest::newRow("colon") << "a: b" << "\"a: b\"";
        QTest::newRow("colon no space") << "x86:64" << "\"x86:64\"";
        QTest::newRow("hash") << "run #3" << "\"run #3\"";
        QTest::newRow("inner at and comma") << "CPU @ 2.70GHz, 8 cores" << "CPU @ 2.70GHz, 8 cores";
        QTest::newRow("leading at") << "@home" << "\"@home\"";
        QTest::newRow("leading bracket") << "[x]" << "\"[x]\"";
        QTest::newRow("leading quote") << "'x'" << "\"'x'\"";
        QTest::newRow("inner quote stays plain") << "a\"b" << "a\"b";
        QTest::newRow("escaped quote and backslash") << "a: \"b\" \\c" << "\"a: \\\"b\\\" \\\\c\"";
        QTest::newRow("newline") << "a\nb" << "\"a\\nb\"";
        QTest::newRow("empty") << "" << "\"\"";
        QTest::newRow("number") << "1.5" << "\"1.5\"";
        QTest::newRow("boolean") << "yes" << "\"yes\"";
        QTest::newRow("null") << "null" << "\"null\"";
        QTest::newRow("leading dash") << "-x" << "\"-x\"";
        QTest::newRow("leading space") << " x" << "\" x\"";
        QTest::newRow("inner dash") << "pre-training" << "pre-training";
    }

    void yamlScalar()
    {
        QFETCH(QString, text);
        QFETCH(QString, yaml);
        QCOMPARE(ModelCard::yamlScalar(text), yaml);
    }

    void trainingType_data()
    {
        QTest::addColumn<QString>("params");
        QTest::addColumn<QString>("type");
        QTest::newRow("scratch") << R"({"training":{"mode":"scratch"}})" << "pre-training";
        QTest::newRow("default mode") << R"({"training":{}})" << "pre-training";
        QTest::newRow("no training section") << "{}" << "pre-training";
        QTest::newRow("fine-tune") << R"({"training":{"mode":"fine-tune"}})" << "fine-tuning";
        QTest::newRow("linear probe") << R"({"training":{"mode":"linear-probe"}})" << "fine-tuning";
    }

    void trainingType()
    {
        QFETCH(QString, params);
        QFETCH(QString, type);
        QCOMPARE(ModelCard::trainingType(QJsonDocument::fromJson(params.toUtf8()).object()), type);
    }

    void unwritablePathIsAClearError()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("missing/README.md"));
        try {
            ModelCard::write(fullReport(), path);
            QFAIL("wrote into a missing folder");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(path + QLatin1Char(':')), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestModelCard)
#include "tst_modelcard.moc"
