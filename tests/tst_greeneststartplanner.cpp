#include "Error.h"
#include "carbon/GreenestStartPlanner.h"

#include <QtTest>
#include <cmath>

using namespace gw;

namespace {
const QDateTime kMidnight = QDateTime::fromString(QStringLiteral("2026-01-01T00:00:00Z"), Qt::ISODate).toUTC();

// An hourly forecast from midnight with the given values.
CarbonForecast hourly(const std::vector<double> &values)
{
    std::vector<CarbonForecast::Point> points;
    for (std::size_t i = 0; i < values.size(); ++i)
        points.push_back({kMidnight.addSecs(qint64(i) * 3600), values[i]});
    return CarbonForecast(std::move(points), QStringLiteral("test forecast"));
}

QDateTime at(double hours)
{
    return kMidnight.addMSecs(qint64(hours * 3600 * 1000));
}
} // namespace

class TestGreenestStartPlanner : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void picksTheBestStart_data()
    {
        QTest::addColumn<std::vector<double>>("values");
        QTest::addColumn<double>("nowH");
        QTest::addColumn<double>("deadlineH");
        QTest::addColumn<double>("durationH");
        QTest::addColumn<double>("bestStartH");
        QTest::addColumn<double>("bestMean");
        QTest::addColumn<double>("nowMean");
        const std::vector<double> valley{300, 300, 250, 40, 30, 200, 300, 300};
        QTest::newRow("valley") << valley << 0.0 << 8.0 << 1.0 << 4.0 << 30.0 << 300.0;
        QTest::newRow("two-step run in the valley") << valley << 0.0 << 8.0 << 2.0 << 3.0 << 35.0 << 300.0;
        QTest::newRow("deadline before the valley") << valley << 0.0 << 3.0 << 1.0 << 2.0 << 250.0 << 300.0;
        // 2.5 h from 03:00: 40, 30, then half an hour at 200 (02:30 would take 250 instead of 200).
        QTest::newRow("longer than a step") << valley << 0.0 << 8.0 << 2.5 << 3.0 << (40 + 30 + 0.5 * 200) / 2.5
                                            << (2 * 300 + 0.5 * 250) / 2.5;
        QTest::newRow("now is best") << std::vector<double>{10, 20, 30, 40} << 0.0 << 4.0 << 1.0 << 0.0 << 10.0 << 10.0;
        QTest::newRow("now in mid-step") << std::vector<double>{100, 100, 10, 500} << 0.5 << 4.0 << 1.0 << 2.0 << 10.0 << 100.0;
        // The best window ends on a boundary instead of starting on one: 01:30-03:00.
        QTest::newRow("end on a boundary") << std::vector<double>{100, 100, 10, 500} << 0.0 << 3.0 << 1.5 << 1.5 << 40.0 << 100.0;
        QTest::newRow("flat: no waiting") << std::vector<double>{50, 50, 50} << 0.25 << 3.0 << 1.0 << 0.25 << 50.0 << 50.0;
    }

    void picksTheBestStart()
    {
        QFETCH(std::vector<double>, values);
        QFETCH(double, nowH);
        QFETCH(double, deadlineH);
        QFETCH(double, durationH);
        QFETCH(double, bestStartH);
        QFETCH(double, bestMean);
        QFETCH(double, nowMean);
        const StartPlan plan = GreenestStartPlanner::plan(hourly(values), durationH * 3600, at(nowH), at(deadlineH));
        QCOMPARE(plan.bestStartUtc, at(bestStartH));
        QVERIFY(qFuzzyCompare(plan.bestMeanIntensityGPerKwh, bestMean));
        QVERIFY(qFuzzyCompare(plan.nowMeanIntensityGPerKwh, nowMean));
        QVERIFY(qFuzzyCompare(1 + plan.savingGPerKwh, 1 + nowMean - bestMean));
        QVERIFY(qFuzzyCompare(1 + plan.savingPercent, 1 + 100 * (nowMean - bestMean) / nowMean));
        QVERIFY(plan.bestStartUtc.addMSecs(qint64(durationH * 3600 * 1000)) <= at(deadlineH));
        QCOMPARE(plan.delayS(at(nowH)), (bestStartH - nowH) * 3600);
        QCOMPARE(plan.forecastOrigin, QStringLiteral("test forecast"));
    }

    void delayCountsFromWhenAsked()
    {
        const StartPlan plan = GreenestStartPlanner::plan(hourly({300, 300, 10, 300}), 3600, at(0), at(4));
        QCOMPARE(plan.bestStartUtc, at(2));
        QCOMPARE(plan.delayS(at(0)), 7200.0);
        QCOMPARE(plan.delayS(at(1.5)), 1800.0);
        QCOMPARE(plan.delayS(at(3)), 0.0);
    }

    void refusesWhatItCannotPlan_data()
    {
        QTest::addColumn<double>("nowH");
        QTest::addColumn<double>("deadlineH");
        QTest::addColumn<double>("durationS");
        QTest::addColumn<QString>("expected");
        QTest::newRow("forecast too short") << 0.0 << 6.0 << 3600.0 << "test forecast covers 2026-01-01T00:00:00Z to 2026-01-01T04:00:00Z, not the whole window";
        QTest::newRow("forecast starts later") << -1.0 << 3.0 << 3600.0 << "test forecast covers";
        QTest::newRow("cannot finish in time") << 0.0 << 1.0 << 7200.0 << "a run of 7200 s started now";
        QTest::newRow("no duration") << 0.0 << 3.0 << 0.0 << "the run duration must be a positive number";
        QTest::newRow("negative duration") << 0.0 << 3.0 << -5.0 << "the run duration must be a positive number";
    }

    void refusesWhatItCannotPlan()
    {
        QFETCH(double, nowH);
        QFETCH(double, deadlineH);
        QFETCH(double, durationS);
        QFETCH(QString, expected);
        try {
            GreenestStartPlanner::plan(hourly({1, 2, 3, 4}), durationS, at(nowH), at(deadlineH));
            QFAIL("planned the impossible");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(expected), qPrintable(e.message()));
        }
    }

    void emptyForecastIsAnError()
    {
        QVERIFY_THROWS_EXCEPTION(Error, GreenestStartPlanner::plan(CarbonForecast(), 60, at(0), at(1)));
    }

    void aLongForecastPlansQuickly()
    {
        // A year of hourly values; prefix sums keep this well under a second.
        std::vector<double> values(24 * 365);
        for (std::size_t i = 0; i < values.size(); ++i)
            values[i] = 200 + 100 * std::sin(double(i) * 0.26) + double(i % 97);
        values[5000] = 0;
        values[5001] = 0;
        const StartPlan plan = GreenestStartPlanner::plan(hourly(values), 7200, at(0), at(24 * 365));
        QCOMPARE(plan.bestStartUtc, at(5000));
        QCOMPARE(plan.bestMeanIntensityGPerKwh, 0.0);
    }
};

QTEST_GUILESS_MAIN(TestGreenestStartPlanner)
#include "tst_greeneststartplanner.moc"
