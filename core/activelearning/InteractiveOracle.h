#pragma once
#include "activelearning/Oracle.h"

#include <QMutex>
#include <QObject>
#include <QVariantList>
#include <QWaitCondition>
#include <deque>

namespace gw {

/// A person answers: the loop's thread waits in answer() while decisions arrive from another
/// thread (the labeling view, or a terminal) through the thread-safe slots; each is applied to
/// the store on the loop's thread, in order, and acknowledged by a signal once committed.
class InteractiveOracle : public QObject, public Oracle {
    Q_OBJECT
public:
    explicit InteractiveOracle(QString annotator, QObject *parent = nullptr);
    /// The name under which whoever starts an active-learning run with oracle "human" attaches the
    /// person to it (RunJob::attach); the run fails with a clear message when nobody is attached.
    static QString attachmentName() { return QStringLiteral("human-oracle"); }

    QString annotator() const override { return annotator_; }
    bool needsImages() const override { return true; }
    void answer(const std::vector<LabelQuery> &batch, const LabelingContext &context, LabelSink &sink, const std::atomic_bool &cancel) override;

    /// Whether a batch is waiting for answers now.
    bool waiting() const;

public Q_SLOTS:
    // Callable from any thread.
    void assign(qint64 sampleIndex, int label);
    void undo(qint64 sampleIndex);
    void skip(qint64 sampleIndex);
    void renameClass(int classIndex, const QString &name);
    /// Ends the batch: samples neither labelled nor skipped count as skipped.
    void submit();

Q_SIGNALS:
    /// A batch to label: items are maps with sample_index, sample_key, round, predicted (-1: none),
    /// confidence and image (QImage); status has class_names, labels_so_far, budget and round.
    /// Emitted on the loop's thread.
    void batchRequested(const QVariantList &items, const QVariantMap &status);
    void labelStored(qint64 sampleIndex, int label);
    void labelUndone(qint64 sampleIndex);
    void sampleSkipped(qint64 sampleIndex);
    void classRenamed(int classIndex, const QString &name);
    void batchFinished(int round);
    /// A decision that could not be applied (a sample not in the batch, a store error).
    void refused(const QString &reason);

private:
    struct Event {
        enum class Kind { Assign, Undo, Skip, Rename, Submit } kind;
        qint64 sampleIndex = 0;
        int value = 0;
        QString text;
    };
    void post(Event event);

    QString annotator_;
    mutable QMutex mutex_;
    QWaitCondition arrived_;
    std::deque<Event> events_;
    bool waiting_ = false;
};

} // namespace gw
