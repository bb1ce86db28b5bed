#pragma once
#include "store/Database.h"

#include <QString>
#include <optional>
#include <vector>

namespace gw {

/// One active-learning round as stored: the labels the head was trained on, what it scored, and
/// the energy of each phase of the round (J, PUE included); emissions are the run's so far.
struct RoundRecord {
    int round = 0;
    qint64 labels = 0;
    std::optional<double> testAccuracy;
    std::optional<double> valAccuracy; ///< cross-validated on the labels so far
    std::optional<double> kappa;       ///< agreement with the previous round's predictions on the pool
    double trainEnergyJ = 0, evalEnergyJ = 0, queryEnergyJ = 0, labelWaitEnergyJ = 0;
    double emissionsG = 0;
    double queryS = 0, labelWaitS = 0;
};

/// A sample a round asked to label, with the model's guess shown to the person.
struct QueryRecord {
    int round = 0;
    int position = 0;
    qint64 sampleIndex = 0;
    QString sampleKey;
    std::optional<int> predicted;
    std::optional<double> confidence;
    bool skipped = false;
};

/// The rounds of active-learning runs and the batch each round queried, so a run killed in the
/// middle of a round continues with the same batch.
class RoundRepository {
public:
    explicit RoundRepository(const Database &db) : db_(db) {}

    /// Inserts or replaces round @p record.round.
    void saveRound(qint64 runId, const RoundRecord &record);
    std::vector<RoundRecord> rounds(qint64 runId) const;
    /// Stores a queried batch in one transaction (before anyone is asked).
    void addQueries(qint64 runId, const std::vector<QueryRecord> &queries);
    void markSkipped(qint64 runId, int round, qint64 sampleIndex);
    /// Every queried sample, by round and position.
    std::vector<QueryRecord> queries(qint64 runId) const;
    /// Copies rounds and queries of @p fromRun into @p toRun (a resumed run carries its history).
    void copyRun(qint64 fromRun, qint64 toRun);

private:
    const Database &db_;
};

} // namespace gw
