#include "jobs/TimeLeft.h"

#include <QtTest>

using namespace gw;

class TestTimeLeft : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void thePredictionWinsOverExtrapolation()
    {
        // 10 s in, 50 % done, but the prediction knows the second half is slower (evaluation to come).
        QCOMPARE(TimeLeft::estimateS(10, 0.5, 30.0).value_or(-1), 20.0);
        QCOMPARE(TimeLeft::estimateS(40, 0.9, 30.0).value_or(-1), 0.0); // overrun: never negative
    }

    void withoutAPredictionTheRateDoneExtrapolates()
    {
        QCOMPARE(TimeLeft::estimateS(10, 0.25, std::nullopt).value_or(-1), 30.0);
        QCOMPARE(TimeLeft::estimateS(5, 1.0, std::nullopt).value_or(-1), 0.0);
    }

    void tooEarlyToTellIsUnknown()
    {
        QVERIFY(!TimeLeft::estimateS(10, 0.01, std::nullopt)); // 1 % done: a guess
        QVERIFY(!TimeLeft::estimateS(0.5, 0.5, std::nullopt)); // half a second in: a guess
        QCOMPARE(TimeLeft::format(std::nullopt), QStringLiteral("estimating…"));
    }

    void formatsForPeople()
    {
        QCOMPARE(TimeLeft::format(44.6), QStringLiteral("45 s"));
        QCOMPARE(TimeLeft::format(200), QStringLiteral("3 min 20 s"));
        QCOMPARE(TimeLeft::format(2 * 3600 + 5 * 60 + 9), QStringLiteral("2 h 05 min"));
    }
};

QTEST_GUILESS_MAIN(TestTimeLeft)
#include "tst_timeleft.moc"
