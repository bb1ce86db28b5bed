// Each stopping rule of the active-learning loop on its own, and Cohen's kappa on labelings whose
// value is known by hand.
#include "Error.h"
#include "activelearning/StoppingRules.h"

#include <QtTest>

using namespace gw;

class TestStoppingRules : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void labelBudgetStops()
    {
        StoppingRules rules({100, {}, {}, {}, 3});
        QVERIFY(!rules.check({80, 0.5, {}, 1.0}));
        QCOMPARE(rules.check({100, 0.5, {}, 1.0}).value_or(QString()), QStringLiteral("label_budget"));
    }

    void carbonBudgetStops()
    {
        StoppingRules rules({1000, 0.5, {}, {}, 3});
        QVERIFY(!rules.check({40, {}, {}, 0.49}));
        QCOMPARE(rules.check({60, {}, {}, 0.5}).value_or(QString()), QStringLiteral("carbon_budget"));
    }

    void targetAccuracyStops()
    {
        StoppingRules rules({1000, {}, 0.9, {}, 3});
        QVERIFY(!rules.check({40, std::nullopt, {}, 0}));  // no validation figure yet: go on
        QVERIFY(!rules.check({60, 0.89, {}, 0}));
        QCOMPARE(rules.check({80, 0.9, {}, 0}).value_or(QString()), QStringLiteral("target_accuracy"));
    }

    void stablePredictionsNeedConsecutiveRounds()
    {
        StoppingRules rules({1000, {}, {}, 0.95, 3});
        QVERIFY(!rules.check({20, {}, std::nullopt, 0}));
        QVERIFY(!rules.check({40, {}, 0.96, 0}));
        QVERIFY(!rules.check({60, {}, 0.97, 0}));
        QVERIFY(!rules.check({80, {}, 0.90, 0})); // the streak breaks
        QVERIFY(!rules.check({100, {}, 0.99, 0}));
        QVERIFY(!rules.check({120, {}, 0.99, 0}));
        QCOMPARE(rules.check({140, {}, 0.95, 0}).value_or(QString()), QStringLiteral("stable_predictions"));
    }

    void noKappaThresholdNeverStopsOnKappa()
    {
        StoppingRules rules({1000, {}, {}, std::nullopt, 1});
        for (int i = 0; i < 5; ++i)
            QVERIFY(!rules.check({20 * i, {}, 1.0, 0}));
    }

    void kappaValues()
    {
        QCOMPARE(StoppingRules::cohenKappa({0, 1, 2, 0}, {0, 1, 2, 0}), 1.0);
        // 2 of 4 agree; chance agreement: each side half 0 and half 1 -> 0.5; kappa = (0.5 - 0.5) / 0.5 = 0.
        QCOMPARE(StoppingRules::cohenKappa({0, 0, 1, 1}, {0, 1, 0, 1}), 0.0);
        // Always opposite on a balanced pair: (0 - 0.5) / 0.5 = -1.
        QCOMPARE(StoppingRules::cohenKappa({0, 1}, {1, 0}), -1.0);
        // 8 of 10 agree; both six 0 and four 1 -> chance 0.6*0.6 + 0.4*0.4 = 0.52 -> kappa 0.28 / 0.48.
        QVERIFY(qAbs(StoppingRules::cohenKappa({0, 0, 0, 0, 0, 0, 1, 1, 1, 1}, {0, 0, 0, 0, 0, 1, 1, 1, 1, 0}) - 0.28 / 0.48) < 1e-12);
        QCOMPARE(StoppingRules::cohenKappa({3, 3}, {3, 3}), 1.0);
        QVERIFY_THROWS_EXCEPTION(Error, StoppingRules::cohenKappa({0}, {0, 1}));
    }
};

QTEST_GUILESS_MAIN(TestStoppingRules)
#include "tst_stoppingrules.moc"
