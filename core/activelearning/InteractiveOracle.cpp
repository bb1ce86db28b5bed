#include "activelearning/InteractiveOracle.h"

#include "Error.h"

#include <QSet>
#include <QVariantMap>

namespace gw {

InteractiveOracle::InteractiveOracle(QString annotator, QObject *parent) : QObject(parent), annotator_(std::move(annotator)) {}

bool InteractiveOracle::waiting() const
{
    const QMutexLocker lock(&mutex_);
    return waiting_;
}

void InteractiveOracle::assign(qint64 sampleIndex, int label) { post({Event::Kind::Assign, sampleIndex, label, {}}); }
void InteractiveOracle::undo(qint64 sampleIndex) { post({Event::Kind::Undo, sampleIndex, 0, {}}); }
void InteractiveOracle::skip(qint64 sampleIndex) { post({Event::Kind::Skip, sampleIndex, 0, {}}); }
void InteractiveOracle::renameClass(int classIndex, const QString &name) { post({Event::Kind::Rename, 0, classIndex, name}); }
void InteractiveOracle::submit() { post({Event::Kind::Submit, 0, 0, {}}); }

void InteractiveOracle::post(Event event)
{
    const QMutexLocker lock(&mutex_);
    events_.push_back(std::move(event));
    arrived_.wakeAll();
}

void InteractiveOracle::answer(const std::vector<LabelQuery> &batch, const LabelingContext &context, LabelSink &sink, const std::atomic_bool &cancel)
{
    if (batch.empty())
        return;
    QSet<qint64> inBatch, decided;
    QVariantList items;
    for (const LabelQuery &q : batch) {
        inBatch.insert(q.sampleIndex);
        items.push_back(QVariantMap{{QStringLiteral("sample_index"), q.sampleIndex},
                                    {QStringLiteral("sample_key"), q.sampleKey},
                                    {QStringLiteral("round"), q.round},
                                    {QStringLiteral("predicted"), q.predicted.value_or(-1)},
                                    {QStringLiteral("confidence"), q.confidence},
                                    {QStringLiteral("image"), q.image}});
    }
    {
        const QMutexLocker lock(&mutex_);
        // Decisions left over from a batch that was cancelled belong to no batch now.
        events_.clear();
        waiting_ = true;
    }
    const int round = batch.front().round;
    Q_EMIT batchRequested(items, QVariantMap{{QStringLiteral("class_names"), context.classNames},
                                             {QStringLiteral("labels_so_far"), context.labelsSoFar},
                                             {QStringLiteral("budget"), context.budget},
                                             {QStringLiteral("round"), round}});
    for (;;) {
        std::deque<Event> pending;
        const bool cancelled = cancel.load();
        {
            QMutexLocker lock(&mutex_);
            if (events_.empty() && !cancelled)
                arrived_.wait(&mutex_, 100); // wakes to look at the cancel flag
            pending.swap(events_);
            // Decisions a person gave before the cancel are still applied below: nothing typed is lost.
            if (cancelled && pending.empty()) {
                waiting_ = false;
                return;
            }
        }
        for (const Event &e : pending) {
            if (e.kind == Event::Kind::Submit) {
                for (const LabelQuery &q : batch)
                    if (!decided.contains(q.sampleIndex)) {
                        sink.skip(q.sampleIndex);
                        Q_EMIT sampleSkipped(q.sampleIndex);
                    }
                {
                    const QMutexLocker lock(&mutex_);
                    waiting_ = false;
                }
                Q_EMIT batchFinished(round);
                return;
            }
            if (e.kind == Event::Kind::Rename) {
                try {
                    sink.renameClass(e.value, e.text);
                    Q_EMIT classRenamed(e.value, e.text);
                } catch (const Error &error) {
                    Q_EMIT refused(error.message());
                }
                continue;
            }
            // Labels of earlier batches may be corrected; any other sample is not a question asked.
            if (e.kind == Event::Kind::Skip && !inBatch.contains(e.sampleIndex)) {
                Q_EMIT refused(QStringLiteral("sample %1 is not in this round's batch").arg(e.sampleIndex));
                continue;
            }
            if (e.kind == Event::Kind::Assign && !inBatch.contains(e.sampleIndex) && !sink.hasLabel(e.sampleIndex)) {
                Q_EMIT refused(QStringLiteral("sample %1 is not in this round's batch and has no earlier label to correct").arg(e.sampleIndex));
                continue;
            }
            try {
                switch (e.kind) {
                case Event::Kind::Assign:
                    sink.give(e.sampleIndex, e.value, annotator_);
                    if (inBatch.contains(e.sampleIndex))
                        decided.insert(e.sampleIndex);
                    Q_EMIT labelStored(e.sampleIndex, e.value);
                    break;
                case Event::Kind::Undo:
                    if (sink.undo(e.sampleIndex)) {
                        decided.remove(e.sampleIndex);
                        Q_EMIT labelUndone(e.sampleIndex);
                    } else {
                        Q_EMIT refused(QStringLiteral("sample %1 has no label to undo").arg(e.sampleIndex));
                    }
                    break;
                case Event::Kind::Skip:
                    sink.skip(e.sampleIndex);
                    decided.insert(e.sampleIndex);
                    Q_EMIT sampleSkipped(e.sampleIndex);
                    break;
                default:
                    break;
                }
            } catch (const Error &error) {
                Q_EMIT refused(error.message());
            }
        }
    }
}

} // namespace gw
