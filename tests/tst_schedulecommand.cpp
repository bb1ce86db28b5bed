#include "ScheduleCommand.h"
#include "carbon/CarbonIntensityProvider.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTextStream>
#include <QtTest>

using namespace gw;

namespace {
struct Result {
    int code = -1;
    QString out;
    QString err;
};

Result schedule(const QStringList &arguments)
{
    Result r;
    QTextStream out(&r.out);
    QTextStream err(&r.err);
    r.code = ScheduleCommand::execute(arguments, out, err);
    out.flush();
    err.flush();
    return r;
}
} // namespace

class TestScheduleCommand : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString config_;
    QString forecast_;

    QString write(const QString &name, const QByteArray &content)
    {
        const QString path = dir_.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly))
            qFatal("cannot write %s", qPrintable(path));
        file.write(content);
        return path;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        qunsetenv(CarbonIntensityProvider::kTokenVariable);
        config_ = write(QStringLiteral("run.json"), R"({"name": "sched", "energy": {"country": "FRA"}})");
        forecast_ = write(QStringLiteral("forecast.csv"), "# test forecast\n"
                                                          "datetime,intensity_g_per_kwh\n"
                                                          "2026-11-26T10:00Z,120\n"
                                                          "2026-11-26T11:00Z,110\n"
                                                          "2026-11-26T12:00Z,60\n"
                                                          "2026-11-26T13:00Z,30\n"
                                                          "2026-11-26T14:00Z,40\n"
                                                          "2026-11-26T15:00Z,150\n");
    }

    void plansAndPrints()
    {
        const Result r = schedule({config_, QStringLiteral("--forecast"), forecast_, QStringLiteral("--deadline"), QStringLiteral("2026-11-26T16:00Z"),
                                   QStringLiteral("--duration-s"), QStringLiteral("7200"), QStringLiteral("--now"), QStringLiteral("2026-11-26T10:00Z")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QVERIFY(r.err.isEmpty());
        QVERIFY2(r.out.contains(QStringLiteral("Best start: 2026-11-26T13:00:00Z (in 3 h 0 min)\n")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("Mean intensity if started then: 35.0 g CO2e/kWh\n")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("Mean intensity if started now:  115.0 g CO2e/kWh\n")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("Saving: 80.0 g CO2e/kWh (69.6%)\n")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("6 values every 1 h")), qPrintable(r.out));
        QVERIFY2(r.out.contains(QStringLiteral("country FRA")), qPrintable(r.out));
    }

    void jsonIsTheLastLine()
    {
        const Result r = schedule({config_, QStringLiteral("--forecast=") + forecast_, QStringLiteral("--deadline=+6h"), QStringLiteral("--duration-s=3600"),
                                   QStringLiteral("--now=2026-11-26T10:00:00Z"), QStringLiteral("--json")});
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QString last = r.out.trimmed().split(QLatin1Char('\n')).last();
        QJsonParseError error;
        const QJsonObject o = QJsonDocument::fromJson(last.toUtf8(), &error).object();
        QVERIFY2(error.error == QJsonParseError::NoError, qPrintable(last));
        QCOMPARE(o.value(QStringLiteral("best_start")).toString(), QStringLiteral("2026-11-26T13:00:00Z"));
        QCOMPARE(o.value(QStringLiteral("delay_s")).toDouble(), 3.0 * 3600);
        QCOMPARE(o.value(QStringLiteral("deadline")).toString(), QStringLiteral("2026-11-26T16:00:00Z"));
        QCOMPARE(o.value(QStringLiteral("best_mean_intensity_g_per_kwh")).toDouble(), 30.0);
        QCOMPARE(o.value(QStringLiteral("now_mean_intensity_g_per_kwh")).toDouble(), 120.0);
        QCOMPARE(o.value(QStringLiteral("saving_g_per_kwh")).toDouble(), 90.0);
        QCOMPARE(o.value(QStringLiteral("saving_percent")).toDouble(), 75.0);
        QCOMPARE(o.value(QStringLiteral("duration_s")).toDouble(), 3600.0);
        QCOMPARE(o.value(QStringLiteral("country")).toString(), QStringLiteral("FRA"));
        QCOMPARE(o.value(QStringLiteral("forecast_origin")).toString(), forecast_);
    }

    void badInputIsExplained_data()
    {
        QTest::addColumn<QStringList>("extra");
        QTest::addColumn<QString>("expected");
        const QString now = QStringLiteral("--now=2026-11-26T10:00Z");
        QTest::newRow("no duration") << QStringList{QStringLiteral("--deadline=+3h"), now} << "no run duration: give --duration-s N";
        QTest::newRow("bad duration") << QStringList{QStringLiteral("--duration-s=soon"), QStringLiteral("--deadline=+3h"), now}
                                      << "--duration-s: 'soon' is not a positive number";
        QTest::newRow("no deadline") << QStringList{QStringLiteral("--duration-s=60"), now} << "--deadline is required";
        QTest::newRow("bad deadline") << QStringList{QStringLiteral("--duration-s=60"), QStringLiteral("--deadline=tomorrow"), now}
                                      << "--deadline: 'tomorrow' is not an ISO 8601 time";
        QTest::newRow("deadline too early") << QStringList{QStringLiteral("--duration-s=7200"), QStringLiteral("--deadline=+1h"), now}
                                            << "a run of 7200 s started now";
        QTest::newRow("forecast too short") << QStringList{QStringLiteral("--duration-s=60"), QStringLiteral("--deadline=+12h"), now}
                                            << "covers 2026-11-26T10:00:00Z to 2026-11-26T16:00:00Z, not the whole window";
        QTest::newRow("unknown option") << QStringList{QStringLiteral("--fast")} << "unknown option --fast";
        QTest::newRow("missing value") << QStringList{QStringLiteral("--duration-s")} << "--duration-s needs a value";
    }

    void badInputIsExplained()
    {
        QFETCH(QStringList, extra);
        QFETCH(QString, expected);
        const Result r = schedule(QStringList{config_, QStringLiteral("--forecast"), forecast_} + extra);
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.startsWith(QStringLiteral("green-workbench schedule: ")), qPrintable(r.err));
        QVERIFY2(r.err.contains(expected), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void badFilesAreNamed()
    {
        const QString broken = write(QStringLiteral("broken.csv"), "datetime,intensity_g_per_kwh\n2026-11-26T10:00Z,1\n2026-11-26T11:00Z,x\n");
        Result r = schedule({config_, QStringLiteral("--forecast"), broken, QStringLiteral("--deadline=+1h"), QStringLiteral("--duration-s=60")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(broken + QStringLiteral(":3: 'x' is not a non-negative number")), qPrintable(r.err));

        r = schedule({dir_.filePath(QStringLiteral("nope.json")), QStringLiteral("--forecast"), forecast_, QStringLiteral("--deadline=+1h"),
                      QStringLiteral("--duration-s=60")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("nope.json")), qPrintable(r.err));
    }

    void withoutForecastFileNeedsElectricityMaps()
    {
        // No token in the environment (initTestCase), so nothing is fetched.
        const Result r = schedule({config_, QStringLiteral("--deadline=+1h"), QStringLiteral("--duration-s=60")});
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("Electricity Maps forecast for FR: no token")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("--forecast FILE.csv")), qPrintable(r.err));
    }

    void helpPrintsUsage()
    {
        const Result r = schedule({QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY(r.out.startsWith(QStringLiteral("Usage: green-workbench schedule")));
    }
};

QTEST_GUILESS_MAIN(TestScheduleCommand)
#include "tst_schedulecommand.moc"
