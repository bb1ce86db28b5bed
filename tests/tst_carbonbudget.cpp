#include "jobs/CarbonBudget.h"

#include <QtTest>

using namespace gw;

class TestCarbonBudget : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void checks_data()
    {
        QTest::addColumn<double>("budgetWh"); // < 0: none
        QTest::addColumn<double>("budgetG");
        QTest::addColumn<double>("energyJ");
        QTest::addColumn<double>("emissionsG");
        QTest::addColumn<QString>("expected"); // empty: within budget
        QTest::newRow("no budget") << -1.0 << -1.0 << 1e9 << 1e9 << "";
        QTest::newRow("within energy") << 1.0 << -1.0 << 3599.0 << 0.0 << "";
        QTest::newRow("over energy") << 1.0 << -1.0 << 3601.0 << 0.0 << "predicted total 1 Wh exceeds the energy budget of 1 Wh";
        QTest::newRow("within carbon") << -1.0 << 2.0 << 1e9 << 1.99 << "";
        QTest::newRow("over carbon") << -1.0 << 2.0 << 0.0 << 2.5 << "predicted total 2.5 g CO2e exceeds the carbon budget of 2 g";
        QTest::newRow("both, carbon crossed") << 10.0 << 2.0 << 3600.0 << 3.0 << "exceeds the carbon budget";
    }

    void checks()
    {
        QFETCH(double, budgetWh);
        QFETCH(double, budgetG);
        QFETCH(double, energyJ);
        QFETCH(double, emissionsG);
        QFETCH(QString, expected);
        const CarbonBudget budget(budgetWh < 0 ? std::nullopt : std::optional<double>(budgetWh),
                                  budgetG < 0 ? std::nullopt : std::optional<double>(budgetG));
        QCOMPARE(budget.isSet(), budgetWh >= 0 || budgetG >= 0);
        const std::optional<QString> why = budget.exceeded(energyJ, emissionsG, QStringLiteral("predicted total"));
        if (expected.isEmpty())
            QVERIFY2(!why, qPrintable(why.value_or(QString())));
        else
            QVERIFY2(why && why->contains(expected), qPrintable(why.value_or(QStringLiteral("(within budget)"))));
    }
};

QTEST_GUILESS_MAIN(TestCarbonBudget)
#include "tst_carbonbudget.moc"
