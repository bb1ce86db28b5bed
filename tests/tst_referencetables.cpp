#include "Error.h"
#include "energy/ReferenceTables.h"

#include <QtTest>

using namespace gw;

class TestReferenceTables : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void bundledCarbonTable()
    {
        const CarbonIntensityTable &table = CarbonIntensityTable::bundled();
        QVERIFY(table.size() > 200);
        QVERIFY(table.source().contains(QStringLiteral("Our World in Data")));
        const auto france = table.find(QStringLiteral("fra"));
        QVERIFY(france);
        QCOMPARE(france->country, QStringLiteral("France"));
        QVERIFY(france->intensityGPerKwh > 0 && france->intensityGPerKwh < 200);
        QVERIFY(!table.find(QStringLiteral("XYZ")));
    }

    void resolvesWorldAverageAndCountries()
    {
        const auto world = CarbonIntensityTable::bundled().resolve(QString());
        QCOMPARE(world.intensityGPerKwh, 475.0);
        QVERIFY(world.origin.contains(QStringLiteral("world average")));
        const auto germany = CarbonIntensityTable::bundled().resolve(QStringLiteral("DEU"));
        QVERIFY(germany.origin.startsWith(QStringLiteral("DEU (Germany")));
        QVERIFY_THROWS_EXCEPTION(Error, CarbonIntensityTable::bundled().resolve(QStringLiteral("QQQ")));
    }

    void cpuModelsMatchTolerantly_data()
    {
        QTest::addColumn<QString>("model");
        QTest::addColumn<double>("tdp");
        QTest::newRow("exact") << "AMD EPYC 7251" << 120.0;
        QTest::newRow("intel decorations") << "Intel(R) Xeon(R) Platinum 8452Y CPU @ 2.00GHz" << 300.0;
        QTest::newRow("amd decorations") << "AMD EPYC 7252 8-Core Processor" << 120.0;
        QTest::newRow("unknown") << "AMD EPYC" << -1.0;
        QTest::newRow("empty") << "" << -1.0;
    }

    void cpuModelsMatchTolerantly()
    {
        QFETCH(QString, model);
        QFETCH(double, tdp);
        const std::optional<double> found = CpuTdpTable::bundled().find(model);
        if (tdp < 0)
            QVERIFY2(!found, qPrintable(QString::number(found.value_or(0))));
        else
            QCOMPARE(found.value_or(-1), tdp);
    }

    void malformedTablesNameFileAndLine()
    {
        try {
            CarbonIntensityTable::parse("# source: test\niso3,country,intensity_g_per_kwh,year\nFRA,France,abc,2023\n", QStringLiteral("ci.csv"));
            QFAIL("accepted a non-number");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(QStringLiteral("ci.csv:3:")), qPrintable(e.message()));
        }
        QVERIFY_THROWS_EXCEPTION(Error, CpuTdpTable::parse("model\nx\n", QStringLiteral("tdp.csv")));
        QVERIFY_THROWS_EXCEPTION(Error, CpuTdpTable::parse("model,tdp_w\n\"a, b\",0\n", QStringLiteral("tdp.csv")));
        const CpuTdpTable quoted = CpuTdpTable::parse("model,tdp_w\n\"Chip X, rev 2\",15\n", QStringLiteral("tdp.csv"));
        QCOMPARE(quoted.find(QStringLiteral("Chip X, rev 2")).value_or(0), 15.0);
    }
};

QTEST_GUILESS_MAIN(TestReferenceTables)
#include "tst_referencetables.moc"
