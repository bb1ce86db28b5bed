#pragma once
#include "store/RunRecord.h"

#include <QList>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace gw {

/// Several runs side by side, as the Compare view shows them: the parameters that differ between
/// them, their outcome and cost, which of them are Pareto-optimal (no other run is at least as
/// accurate for at most the same CO2, and better in one), and a green leaderboard.
class RunComparison {
public:
    /// How the leaderboard ranks runs.
    struct Score {
        enum class Kind {
            AccuracyPerGram, ///< test accuracy / g CO2e (higher is better); runs without emissions rank last
            Weighted         ///< accuracy - weight x emissions_g / (largest emissions_g among the runs)
        } kind = Kind::AccuracyPerGram;
        double weight = 0.5;
        /// Ranks each run as if it had computed the embeddings it reused itself: their CO2e is added
        /// to its own. Off, a run that found them in the cache looks as cheap as its own work was.
        bool chargeReused = false;
    };

    /// What a run took from the embedding cache that another run paid for (not in its own totals).
    struct ReusedCost {
        double energyKwh = 0;
        double emissionsG = 0;
        qint64 computedByRun = 0; ///< 0 when the store does not say
        /// From a run's final metrics (RunSeries::results); nothing when it reused nothing. Runs
        /// stored before the reused CO2e was kept are charged their reused energy at their own intensity.
        static std::optional<ReusedCost> of(const RunRecord &run, const QMap<QString, double> &results);
    };

    explicit RunComparison(QList<RunRecord> runs, QMap<qint64, ReusedCost> reused = {});

    const QList<RunRecord> &runs() const { return runs_; }
    /// Every parameter of the run's config as "dotted.key" -> its JSON text ("0.001", "\"adam\"", "null").
    static QMap<QString, QString> flattenParameters(const QString &paramsJson);
    /// The dotted keys whose values are not the same in every run (a key one run lacks differs), sorted.
    QStringList differingParameters() const;
    /// The value of @p key in run @p row, as flattenParameters writes it; empty when the run has none.
    QString parameter(int row, const QString &key) const;
    /// What run @p row reused, or nothing.
    std::optional<ReusedCost> reused(int row) const;
    /// The CO2e the leaderboard counts for run @p row under @p score.
    std::optional<double> chargedEmissionsG(int row, const Score &score) const;

    /// Per run: true when it is on the frontier of accuracy (higher better) against emissions (lower
    /// better). Runs without accuracy or emissions are never on it.
    std::vector<bool> paretoFrontier() const;
    /// The same for any points (x: cost, lower better; y: value, higher better); equal points are
    /// all on the frontier.
    static std::vector<bool> paretoFrontier(const std::vector<std::pair<double, double>> &costAndValue);

    /// The leaderboard score of each run (nothing for a run that cannot be scored).
    std::vector<std::optional<double>> scores(const Score &score) const;
    /// Row indices best first; unscored runs last, ties by run id.
    std::vector<int> leaderboard(const Score &score) const;

private:
    QList<RunRecord> runs_;
    QMap<qint64, ReusedCost> reused_;
    std::vector<QMap<QString, QString>> parameters_;
};

} // namespace gw
