#pragma once
#include <QImage>
#include <QString>
#include <QStringList>
#include <atomic>
#include <optional>
#include <vector>

namespace gw {

/// One sample an active-learning round asks to label, with the model's current guess.
struct LabelQuery {
    qint64 sampleIndex = 0;
    QString sampleKey;
    int round = 0;
    std::optional<int> predicted;
    double confidence = 0;
    QImage image; ///< filled only for oracles that show images (Oracle::needsImages)
};

/// What an oracle is told with a batch: the class names and where the labeling stands.
struct LabelingContext {
    QStringList classNames;
    qint64 labelsSoFar = 0; ///< labels in force before this batch
    qint64 budget = 0;      ///< labels the run may use in all
};

/// Where an oracle's answers go, one at a time: each call returns once the decision is committed
/// to the store, so what an oracle acknowledges survives a crash.
class LabelSink {
public:
    virtual ~LabelSink() = default;
    virtual void give(qint64 sampleIndex, int label, const QString &annotator) = 0;
    /// Marks the latest label of the sample undone; false when it had none.
    virtual bool undo(qint64 sampleIndex) = 0;
    virtual void skip(qint64 sampleIndex) = 0;
    virtual void renameClass(int classIndex, const QString &name) = 0;
    /// Whether the sample has a label in force (one a person may correct outside its batch).
    virtual bool hasLabel(qint64 sampleIndex) const { return false; }
};

/// Who answers the queries: a person (InteractiveOracle) or the dataset's own labels
/// (SimulatedOracle).
class Oracle {
public:
    virtual ~Oracle() = default;
    virtual QString annotator() const = 0;
    virtual bool needsImages() const { return false; }
    /// Asks for labels of @p batch; every answer goes to @p sink as it comes. Returns when the batch
    /// is submitted, or early when @p cancel is set.
    virtual void answer(const std::vector<LabelQuery> &batch, const LabelingContext &context, LabelSink &sink,
                        const std::atomic_bool &cancel) = 0;
};

} // namespace gw
