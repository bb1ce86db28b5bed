// Runs side by side: only the parameters that differ, the Pareto frontier of accuracy against CO2 on
// crafted runs, and the leaderboard's order under both scores.
#include "report/RunComparison.h"

#include <QtTest>

using namespace gw;

namespace {

RunRecord run(qint64 id, const QString &params, std::optional<double> accuracy, std::optional<double> emissionsG)
{
    RunRecord r;
    r.id = id;
    r.name = QStringLiteral("run %1").arg(id);
    r.paramsJson = params;
    r.accuracy = accuracy;
    r.emissionsG = emissionsG;
    return r;
}

} // namespace

class TestRunComparison : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void onlyDifferingParameters()
    {
        const RunComparison c({run(1, R"({"name": "a", "seed": 1, "training": {"lr": 0.001, "mode": "scratch"}, "energy": {"budget_g": null}})", 0.9, 1),
                               run(2, R"({"name": "b", "seed": 1, "training": {"lr": 0.01, "mode": "scratch"}, "energy": {"budget_g": null}})", 0.8, 1),
                               run(3, R"({"name": "c", "seed": 1, "training": {"lr": 0.001, "mode": "scratch"}, "energy": {"budget_g": 2},
                                         "active_learning": {"strategy": "margin"}})", 0.7, 1)});
        QCOMPARE(c.differingParameters(),
                 (QStringList{QStringLiteral("active_learning.strategy"), QStringLiteral("energy.budget_g"), QStringLiteral("training.lr")}));
        QCOMPARE(c.parameter(1, QStringLiteral("training.lr")), QStringLiteral("0.01"));
        QCOMPARE(c.parameter(0, QStringLiteral("energy.budget_g")), QStringLiteral("null"));
        QCOMPARE(c.parameter(2, QStringLiteral("active_learning.strategy")), QStringLiteral("\"margin\""));
        QCOMPARE(c.parameter(0, QStringLiteral("active_learning.strategy")), QString()); // absent
        QVERIFY(RunComparison({run(1, R"({"seed": 1})", 0.5, 1), run(2, R"({"seed": 1})", 0.6, 2)}).differingParameters().isEmpty());
        // Keys only one kind reads, the same in its runs, are not differences: "kind" says it.
        const RunComparison kinds({run(1, R"({"kind": "active-learning", "active_learning": {"strategy": "margin"}, "seed": 1})", 0.7, 1),
                                   run(2, R"({"kind": "active-learning", "active_learning": {"strategy": "margin"}, "seed": 2})", 0.7, 1),
                                   run(3, R"({"kind": "finetune", "seed": 1})", 0.8, 1)});
        QCOMPARE(kinds.differingParameters(), (QStringList{QStringLiteral("kind"), QStringLiteral("seed")}));
    }

    void paretoFrontierOfCraftedRuns()
    {
        // (g CO2, accuracy): 1 cheap and decent, 2 dear and best, 3 dominated by 1, 4 equal to 1,
        // 5 dominated by 2, 6 without emissions (never on it), 7 cheapest and worst.
        const RunComparison c({run(1, "{}", 0.80, 1.0), run(2, "{}", 0.90, 5.0), run(3, "{}", 0.75, 2.0), run(4, "{}", 0.80, 1.0),
                               run(5, "{}", 0.85, 6.0), run(6, "{}", 0.99, std::nullopt), run(7, "{}", 0.50, 0.1)});
        const std::vector<bool> frontier = c.paretoFrontier();
        QCOMPARE(frontier, (std::vector<bool>{true, true, false, true, false, false, true}));
    }

    void leaderboardOrder()
    {
        const RunComparison c({run(1, "{}", 0.80, 1.0), run(2, "{}", 0.90, 5.0), run(3, "{}", std::nullopt, 1.0), run(4, "{}", 0.60, 0.5)});
        // Accuracy per gram: 4 (1.2), 1 (0.8), 2 (0.18), then the unscored 3.
        QCOMPARE(c.leaderboard({}), (std::vector<int>{3, 0, 1, 2}));
        // Weighted, weight 0.5: 1: 0.8 - 0.1 = 0.7; 2: 0.9 - 0.5 = 0.4; 4: 0.6 - 0.05 = 0.55.
        RunComparison::Score weighted;
        weighted.kind = RunComparison::Score::Kind::Weighted;
        weighted.weight = 0.5;
        QCOMPARE(c.leaderboard(weighted), (std::vector<int>{0, 3, 1, 2}));
        QVERIFY(qAbs(c.scores(weighted)[1].value_or(-1) - 0.4) < 1e-12);
        // With no weight on CO2 the most accurate leads.
        weighted.weight = 0;
        QCOMPARE(c.leaderboard(weighted).front(), 1);
    }

    // A run that found its embeddings in the cache looks greenest until what another run paid is charged.
    void reusedEmbeddingsAreShownAndMayBeCharged()
    {
        RunRecord reuser = run(5, "{}", 0.80, 0.1);
        reuser.intensityGPerKwh = 400;
        QVERIFY(!RunComparison::ReusedCost::of(reuser, {}));
        QVERIFY(!RunComparison::ReusedCost::of(reuser, {{QStringLiteral("embedding_energy_reused_j"), 0.0}}));
        const std::optional<RunComparison::ReusedCost> cost = RunComparison::ReusedCost::of(
            reuser, {{QStringLiteral("embedding_energy_reused_j"), 3600.0}, {QStringLiteral("embedding_emissions_reused_g"), 0.5},
                     {QStringLiteral("embedding_computed_by_run"), 1.0}});
        QVERIFY(cost);
        QCOMPARE(cost->energyKwh, 0.001);
        QCOMPARE(cost->emissionsG, 0.5);
        QCOMPARE(cost->computedByRun, qint64(1));
        // Stored before the reused CO2e was kept: the reused energy at the run's own intensity.
        const std::optional<RunComparison::ReusedCost> older = RunComparison::ReusedCost::of(reuser, {{QStringLiteral("embedding_energy_reused_j"), 3600.0}});
        QVERIFY(older && qAbs(older->emissionsG - 0.4) < 1e-12);

        const RunComparison c({run(1, "{}", 0.80, 0.6), reuser}, {{5, *cost}});
        QVERIFY(!c.reused(0));
        QVERIFY(c.reused(1));
        RunComparison::Score score;
        QCOMPARE(c.leaderboard(score).front(), 1); // 0.8 per 0.1 g: the cache made it look eight times greener
        score.chargeReused = true;
        QCOMPARE(c.chargedEmissionsG(1, score).value_or(0), 0.6);
        QCOMPARE(c.leaderboard(score).front(), 0); // the same accuracy for the same CO2e: ties go to the older run
        QCOMPARE(c.scores(score)[1].value_or(0), c.scores(score)[0].value_or(-1));
    }
};

QTEST_GUILESS_MAIN(TestRunComparison)
#include "tst_runcomparison.moc"
