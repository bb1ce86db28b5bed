#include "Error.h"
#include "carbon/CarbonForecast.h"

#include <QTemporaryDir>
#include <QTimeZone>
#include <QtTest>

using namespace gw;

namespace {
QDateTime utc(const char *text)
{
    return QDateTime::fromString(QString::fromLatin1(text), Qt::ISODate).toUTC();
}
} // namespace

class TestCarbonForecast : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesCsv()
    {
        const CarbonForecast f = CarbonForecast::fromCsv("# from a test\n"
                                                         "datetime,intensity_g_per_kwh,note\n"
                                                         "2026-11-26T10:00Z,100,a\n"
                                                         "2026-11-26T11:00:00Z,200,b\n"
                                                         "2026-11-26T13:00+01:00,50.5,c\n",
                                                         QStringLiteral("f.csv"));
        QCOMPARE(f.points().size(), std::size_t(3));
        QCOMPARE(f.stepS(), qint64(3600));
        QCOMPARE(f.origin(), QStringLiteral("f.csv"));
        QCOMPARE(f.startUtc(), utc("2026-11-26T10:00:00Z"));
        QCOMPARE(f.endUtc(), utc("2026-11-26T13:00:00Z"));
        QCOMPARE(f.points()[2].intensityGPerKwh, 50.5);
        QCOMPARE(f.intensityAt(utc("2026-11-26T11:59:59Z")), 200.0);
        QCOMPARE(f.intensityAt(utc("2026-11-26T12:00:00Z")), 50.5);
    }

    void meanIsTimeWeighted()
    {
        const CarbonForecast f = CarbonForecast::fromCsv("datetime,intensity_g_per_kwh\n"
                                                         "2026-01-01T00:00Z,100\n2026-01-01T01:00Z,200\n2026-01-01T02:00Z,0\n",
                                                         QStringLiteral("f.csv"));
        QCOMPARE(f.meanIntensity(utc("2026-01-01T00:30:00Z"), 3600), 150.0);
        QCOMPARE(f.meanIntensity(utc("2026-01-01T00:00:00Z"), 3 * 3600), 100.0);
        // Ending exactly at the end of the forecast is covered.
        QCOMPARE(f.meanIntensity(utc("2026-01-01T01:30:00Z"), 5400), 200.0 / 3);
        QVERIFY_THROWS_EXCEPTION(Error, f.meanIntensity(utc("2026-01-01T02:30:00Z"), 3600));
        QVERIFY_THROWS_EXCEPTION(Error, f.meanIntensity(utc("2025-12-31T23:59:00Z"), 60));
        QVERIFY_THROWS_EXCEPTION(Error, f.meanIntensity(utc("2026-01-01T00:00:00Z"), 0));
        QVERIFY_THROWS_EXCEPTION(Error, f.intensityAt(utc("2026-01-01T03:00:00Z")));
    }

    void parsesTimes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("utcText"); // empty: refused
        QTest::newRow("Z minutes") << "2026-11-26T10:00Z" << "2026-11-26T10:00:00Z";
        QTest::newRow("Z milliseconds") << "2026-11-26T10:00:00.000Z" << "2026-11-26T10:00:00Z";
        QTest::newRow("offset") << "2026-11-26T11:30:00+01:30" << "2026-11-26T10:00:00Z";
        QTest::newRow("no zone") << "2026-11-26T10:00:00" << "";
        QTest::newRow("garbage") << "tomorrow" << "";
    }

    void parsesTimes()
    {
        QFETCH(QString, text);
        QFETCH(QString, utcText);
        QString problem;
        const QDateTime time = CarbonForecast::parseTime(text, &problem);
        if (utcText.isEmpty()) {
            QVERIFY(!time.isValid());
            QVERIFY2(problem.contains(text), qPrintable(problem));
        } else {
            QCOMPARE(CarbonForecast::formatTime(time), utcText);
        }
    }

    void badCsvNamesFileAndLine_data()
    {
        QTest::addColumn<QByteArray>("csv");
        QTest::addColumn<QString>("expected");
        const QByteArray header = "datetime,intensity_g_per_kwh\n";
        QTest::newRow("no column") << QByteArray("time,intensity_g_per_kwh\n2026-01-01T00:00Z,1\n") << "bad.csv: no column 'datetime'";
        QTest::newRow("bad time") << header + "2026-01-01T00:00Z,1\nnoon,2\n" << "bad.csv:3: 'noon' is not an ISO 8601 time";
        QTest::newRow("no zone") << header + "2026-01-01T00:00,1\n2026-01-01T01:00Z,2\n" << "bad.csv:2: '2026-01-01T00:00' has no time zone";
        QTest::newRow("bad number") << header + "2026-01-01T00:00Z,1\n2026-01-01T01:00Z,lots\n" << "bad.csv:3: 'lots' is not a non-negative number";
        QTest::newRow("negative") << header + "2026-01-01T00:00Z,-1\n2026-01-01T01:00Z,2\n" << "bad.csv:2: '-1' is not a non-negative number";
        QTest::newRow("out of order") << header + "2026-01-01T01:00Z,1\n2026-01-01T00:00Z,2\n" << "bad.csv:3: 2026-01-01T00:00:00Z is not after";
        QTest::newRow("gap") << header + "2026-01-01T00:00Z,1\n2026-01-01T01:00Z,2\n2026-01-01T03:00Z,2\n" << "bad.csv:4: 2026-01-01T03:00:00Z comes 2 h after the previous row; the step is 1 h";
        QTest::newRow("one row") << header + "2026-01-01T00:00Z,1\n" << "bad.csv: a forecast needs at least two rows";
        QTest::newRow("empty") << QByteArray() << "bad.csv: no column";
        QTest::newRow("field count") << header + "2026-01-01T00:00Z,1,3\n" << "bad.csv:2: 3 fields";
    }

    void badCsvNamesFileAndLine()
    {
        QFETCH(QByteArray, csv);
        QFETCH(QString, expected);
        try {
            CarbonForecast::fromCsv(csv, QStringLiteral("bad.csv"));
            QFAIL("accepted a bad forecast");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(expected), qPrintable(e.message()));
        }
    }

    void readsFilesAndNamesMissingOnes()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("forecast.csv"));
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write("datetime,intensity_g_per_kwh\n2026-01-01T00:00Z,1\n2026-01-01T00:15Z,2\n");
        file.close();
        const CarbonForecast f = CarbonForecast::fromCsvFile(path);
        QCOMPARE(f.stepS(), qint64(900));
        QCOMPARE(f.origin(), path);
        try {
            CarbonForecast::fromCsvFile(dir.filePath(QStringLiteral("missing.csv")));
            QFAIL("opened a missing file");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("missing.csv: cannot open")), qPrintable(e.message()));
        }
    }

    void parsesElectricityMapsForecast()
    {
        const CarbonForecast f = CarbonForecast::fromElectricityMapsJson(
            R"({"zone":"DE","forecast":[{"carbonIntensity":300,"datetime":"2026-11-26T10:00:00.000Z"},)"
            R"({"carbonIntensity":250.5,"datetime":"2026-11-26T11:00:00.000Z"}],"updatedAt":"2026-11-26T09:47:00.000Z"})",
            QStringLiteral("em"));
        QCOMPARE(f.points().size(), std::size_t(2));
        QCOMPARE(f.points()[1].intensityGPerKwh, 250.5);
        QCOMPARE(f.stepS(), qint64(3600));
    }

    void refusesMalformedElectricityMapsForecast_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not json") << QByteArray("{\"forecast\": [") << "em: malformed JSON";
        QTest::newRow("no array") << QByteArray("{\"zone\":\"DE\"}") << "em: malformed answer: no 'forecast' array";
        QTest::newRow("null value") << QByteArray(R"({"forecast":[{"carbonIntensity":null,"datetime":"2026-11-26T10:00:00Z"}]})")
                                    << "em: malformed answer: forecast[0] has no number 'carbonIntensity'";
        QTest::newRow("no time") << QByteArray(R"({"forecast":[{"carbonIntensity":1}]})") << "em: malformed answer: forecast[0] 'datetime'";
        QTest::newRow("one value") << QByteArray(R"({"forecast":[{"carbonIntensity":1,"datetime":"2026-11-26T10:00:00Z"}]})")
                                   << "em: a forecast needs at least two values";
    }

    void refusesMalformedElectricityMapsForecast()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, expected);
        try {
            CarbonForecast::fromElectricityMapsJson(json, QStringLiteral("em"));
            QFAIL("accepted a malformed answer");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(expected), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestCarbonForecast)
#include "tst_carbonforecast.moc"
