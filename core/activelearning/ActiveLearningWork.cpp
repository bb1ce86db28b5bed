#include "activelearning/ActiveLearningWork.h"
#include "activelearning/InteractiveOracle.h"

#include "Error.h"
#include "activelearning/LabelTransfer.h"
#include "activelearning/ProbeHead.h"
#include "jobs/ModelArtifacts.h"
#include "activelearning/QueryStrategy.h"
#include "activelearning/SimulatedOracle.h"
#include "activelearning/StoppingRules.h"
#include "config/RunConfig.h"
#include "jobs/DatasetEmbedding.h"
#include "models/ImageTensors.h"
#include "models/TorchRuntime.h"
#include "store/LabelRepository.h"
#include "store/RoundRepository.h"

#include <QDir>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QJsonArray>
#include <QHash>
#include <QSet>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw {

namespace {

// Progress counts a label as much as a forward pass, so the bar moves with the labels once the
// features are there. A person's label counts as the forward passes of the time it takes them
// (about a second an image, some thousand passes on two cores): a bar at 98 % once the features
// are computed would say the run is nearly done when the person's whole work is still to come.
constexpr double kLabelWork = 1.0;
constexpr double kPersonLabelWork = 1000.0;
constexpr int kValidationFolds = 5;

/// What a person is shown: the image file itself when the sample has one (in colour and in its own
/// proportions, even when the backbone sees it grey and resized), else the pixels the model sees.
QImage sampleImage(const ImageDataset &data, std::int64_t index)
{
    if (index < data.sourcePaths.size()) {
        const QImage original(data.sourcePaths.at(int(index)));
        if (!original.isNull())
            return original.width() > 256 || original.height() > 256 ? original.scaled(256, 256, Qt::KeepAspectRatio, Qt::SmoothTransformation)
                                                                      : original;
    }
    const std::uint8_t *pixels = data.pixels.data() + index * data.imageBytes();
    if (data.channels == 1) {
        QImage image(data.cols, data.rows, QImage::Format_Grayscale8);
        for (int y = 0; y < data.rows; ++y)
            std::copy_n(pixels + y * data.cols, data.cols, image.scanLine(y));
        return image;
    }
    QImage image(data.cols, data.rows, QImage::Format_RGB888);
    const std::int64_t plane = std::int64_t(data.rows) * data.cols;
    for (int y = 0; y < data.rows; ++y) {
        uchar *line = image.scanLine(y);
        for (int x = 0; x < data.cols; ++x)
            for (int c = 0; c < 3; ++c)
                line[x * 3 + c] = pixels[std::min(c, data.channels - 1) * plane + y * data.cols + x];
    }
    return image;
}

/// The loop's side of the oracle: every decision goes to the store before it is acknowledged.
class StoreLabelSink : public LabelSink {
public:
    StoreLabelSink(LabelRepository &labels, RoundRepository &rounds, qint64 runId, const ImageDataset &pool, QStringList &classNames)
        : labels_(labels), rounds_(rounds), runId_(runId), pool_(pool), classNames_(classNames)
    {
        current_ = labels_.current(runId_);
    }

    void setRound(int round) { round_ = round; }
    const QMap<qint64, LabelRecord> &current() const { return current_; }
    qint64 givenNow() const { return given_; }

    void give(qint64 sampleIndex, int label, const QString &annotator) override
    {
        if (sampleIndex < 0 || sampleIndex >= pool_.size())
            throw Error(QStringLiteral("sample %1 is not in the pool (%2 samples)").arg(sampleIndex).arg(pool_.size()));
        if (label < 0 || label >= std::max(1, pool_.classCount()))
            throw Error(QStringLiteral("label %1 is not a class of %2 (0..%3)").arg(label).arg(pool_.name).arg(pool_.classCount() - 1));
        LabelRecord record;
        record.sampleIndex = sampleIndex;
        record.sampleKey = sampleKey(pool_, sampleIndex);
        record.label = label;
        record.annotator = annotator;
        record.round = round_;
        record.createdAt = QDateTime::currentDateTimeUtc();
        record.id = labels_.add(runId_, record);
        current_.insert(sampleIndex, record);
        ++given_;
    }
    bool undo(qint64 sampleIndex) override
    {
        if (!labels_.undoLatest(runId_, sampleIndex))
            return false;
        // An earlier label of the same sample may be in force again.
        current_ = labels_.current(runId_);
        --given_;
        return true;
    }
    bool hasLabel(qint64 sampleIndex) const override { return current_.contains(sampleIndex); }
    void skip(qint64 sampleIndex) override
    {
        rounds_.markSkipped(runId_, round_, sampleIndex);
        skipped_.insert(sampleIndex);
    }
    void renameClass(int classIndex, const QString &name) override
    {
        if (classIndex < 0 || classIndex >= classNames_.size())
            throw Error(QStringLiteral("class %1 does not exist (0..%2)").arg(classIndex).arg(classNames_.size() - 1));
        labels_.setClassName(runId_, classIndex, name);
        classNames_[classIndex] = name;
    }
    void addImported(const LabelRecord &record)
    {
        labels_.add(runId_, record);
        current_.insert(record.sampleIndex, record);
    }
    QSet<qint64> &skipped() { return skipped_; }

private:
    LabelRepository &labels_;
    RoundRepository &rounds_;
    qint64 runId_;
    const ImageDataset &pool_;
    QStringList &classNames_;
    QMap<qint64, LabelRecord> current_;
    QSet<qint64> skipped_;
    int round_ = 0;
    qint64 given_ = 0;
};

std::unique_ptr<Oracle> makeSimulatedOracle(const RunConfig &config, const ImageDataset &pool)
{
    return std::make_unique<SimulatedOracle>(pool.labels, std::max(1, pool.classCount()), config.activeLearning.noise, config.seed ^ 0x5eed0fULL);
}

/// Labels from another experiment, matched by sample key; keys this pool does not have are counted.
std::int64_t importLabels(const QString &path, const ImageDataset &pool, StoreLabelSink &sink, RunContext &context)
{
    QHash<QString, std::int64_t> byKey;
    for (std::int64_t i = 0; i < pool.size(); ++i)
        byKey.insert(sampleKey(pool, i), i);
    std::int64_t imported = 0, unknown = 0;
    for (LabelRecord record : LabelTransfer::read(path)) {
        const auto it = byKey.constFind(record.sampleKey);
        if (it == byKey.cend()) {
            ++unknown;
            continue;
        }
        if (record.label >= pool.classCount())
            throw Error(QStringLiteral("%1: %2 has label %3, but %4 has %5 classes").arg(path, record.sampleKey).arg(record.label).arg(pool.name).arg(pool.classCount()));
        if (sink.current().contains(it.value()))
            continue;
        record.sampleIndex = it.value();
        record.origin = QStringLiteral("imported");
        record.round = 0;
        sink.addImported(record);
        ++imported;
    }
    context.notice(QStringLiteral("imported %1 labels from %2%3").arg(imported).arg(path,
                   unknown > 0 ? QStringLiteral(" (%1 name samples this dataset does not have)").arg(unknown) : QString()));
    const std::int64_t budget = context.config().activeLearning.budget;
    if (sink.current().size() >= budget)
        context.notice(QStringLiteral("the %1 labels in hand (imported from %2) already reach the label budget of %3: no sample will be queried; "
                                      "raise active_learning.budget to label more")
                           .arg(sink.current().size())
                           .arg(path)
                           .arg(budget));
    return imported;
}

QJsonObject roundJson(const RoundRecord &r)
{
    QJsonObject o{{QStringLiteral("round"), r.round},
                  {QStringLiteral("labels"), double(r.labels)},
                  {QStringLiteral("train_energy_j"), r.trainEnergyJ},
                  {QStringLiteral("eval_energy_j"), r.evalEnergyJ},
                  {QStringLiteral("query_energy_j"), r.queryEnergyJ},
                  {QStringLiteral("label_wait_energy_j"), r.labelWaitEnergyJ},
                  {QStringLiteral("emissions_g"), r.emissionsG},
                  {QStringLiteral("query_s"), r.queryS},
                  {QStringLiteral("label_wait_s"), r.labelWaitS}};
    if (r.testAccuracy)
        o.insert(QStringLiteral("test_accuracy"), *r.testAccuracy);
    if (r.valAccuracy)
        o.insert(QStringLiteral("val_accuracy"), *r.valAccuracy);
    if (r.kappa)
        o.insert(QStringLiteral("kappa"), *r.kappa);
    return o;
}

} // namespace

WorkOutcome ActiveLearningWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    const RunConfig::ActiveLearning &al = config.activeLearning;
    WorkOutcome outcome;
    outcome.summary.insert(QStringLiteral("strategy"), al.strategy);
    const std::unique_ptr<QueryStrategy> strategy = QueryStrategy::create(al.strategy);
    const std::unique_ptr<QueryStrategy> initialStrategy = QueryStrategy::create(al.initialStrategy);

    TorchRuntime::seed(config.seed);
    PreparedWork prepared = prepareBackboneAndData(context, outcome.summary);
    const std::unique_ptr<Backbone> backbone = std::move(prepared.backbone);
    const Datasets data = std::move(prepared.data);
    const ImageDataset &pool = data.train;
    const int classes = std::max(pool.classCount(), 2);
    QStringList classNames = pool.classNames;

    std::unique_ptr<Oracle> simulated;
    Oracle *oracle = nullptr;
    if (al.oracle == QStringLiteral("simulated")) {
        simulated = makeSimulatedOracle(config, pool);
        oracle = simulated.get();
    } else {
        oracle = qobject_cast<InteractiveOracle *>(context.attachment(InteractiveOracle::attachmentName()));
        if (!oracle)
            throw Error(QStringLiteral("active_learning.oracle is 'human' but nobody is there to answer: start the run from the window, or "
                                       "headless with --label-stdin"));
    }
    context.workStarts();

    WorkProgress progress;
    const double labelWork = al.oracle == QStringLiteral("human") ? kPersonLabelWork : kLabelWork;
    progress.total = double(pool.size() + data.test.size()) * kForwardWork + double(al.budget) * labelWork;
    // The label budget is a most: a stopping rule may end the loop sooner, and a person's pace is
    // nobody's to predict, so the prediction is an upper bound and a budget acts on the tally.
    progress.mayEndEarly = al.oracle == QStringLiteral("human") || al.stop.emissionsG || al.stop.targetAccuracy || al.stop.kappa;
    Embedder embedder(context, *backbone, EmbeddingCache(QDir(context.cacheDirectory()).filePath(QStringLiteral("embeddings"))),
                      config.model.cacheDtype == QStringLiteral("float16"));
    const Embedded train = embedder.embed(pool, progress);
    const Embedded test = train.features.defined() ? embedder.embed(data.test, progress) : Embedded{};
    if (!train.features.defined() || !test.features.defined()) {
        outcome.cancelled = true;
        return outcome;
    }
    reportEmbeddings(train, test, context, outcome.summary);
    const double embedWork = progress.done;
    // Standardised with the whole pool's statistics: they need no labels.
    const torch::Tensor mean = train.features.mean(0), std = train.features.std(0).clamp_min(1e-6);
    const torch::Tensor x = (train.features - mean) / std;
    const torch::Tensor xTest = (test.features - mean) / std;
    const torch::Tensor yTest = ImageTensors::labels(data.test);

    LabelRepository labels(context.database());
    RoundRepository rounds(context.database());
    const qint64 runId = context.runId();
    if (const qint64 from = context.resumedRunId(); from > 0) {
        labels.copyCurrent(from, runId);
        rounds.copyRun(from, runId);
        // Names a person gave the classes carry over with the labels.
        const QMap<int, QString> renamed = labels.classNames(from);
        for (auto it = renamed.constBegin(); it != renamed.constEnd(); ++it)
            if (it.key() >= 0 && it.key() < classNames.size())
                classNames[it.key()] = it.value();
    }
    // The run's class names go with its labels (exports name the classes; a person may rename them).
    for (int c = 0; c < classNames.size(); ++c)
        labels.setClassName(runId, c, classNames.at(c));
    StoreLabelSink sink(labels, rounds, runId, pool, classNames);
    std::int64_t imported = 0;
    if (!al.importLabels.isEmpty() && context.resumedRunId() == 0)
        imported = importLabels(al.importLabels, pool, sink, context);
    outcome.summary.insert(QStringLiteral("labels_imported"), double(imported));

    std::vector<QueryRecord> pastQueries = rounds.queries(runId);
    for (const QueryRecord &q : pastQueries)
        if (q.skipped)
            sink.skipped().insert(q.sampleIndex);
    std::vector<RoundRecord> history = rounds.rounds(runId);

    ProbeHead::Options headOptions;
    headOptions.seed = config.seed;
    StoppingRules stopping({al.budget, al.stop.emissionsG, al.stop.targetAccuracy, al.stop.kappa, int(al.stop.kappaRounds)});

    const auto unlabelledPool = [&]() {
        std::vector<std::int64_t> out;
        out.reserve(std::size_t(pool.size()));
        for (std::int64_t i = 0; i < pool.size(); ++i)
            if (!sink.current().contains(i) && !sink.skipped().contains(i))
                out.push_back(i);
        return out;
    };
    const auto reportProgress = [&]() {
        progress.done = embedWork + double(sink.current().size()) * labelWork;
        progress.message = QStringLiteral("%1 of %2 labels").arg(sink.current().size()).arg(al.budget);
        context.progress(progress);
    };
    // Asks the oracle for the labels of a round's batch; the round's record gets the wait's cost.
    const auto ask = [&](int round, const std::vector<LabelQuery> &batch) {
        sink.setRound(round);
        MeasuredWindow wait(context, QStringLiteral("label_wait"));
        progress.message = QStringLiteral("round %1: waiting for your labels (%2 images to label; %3 of %4 labels so far)")
                               .arg(round)
                               .arg(batch.size())
                               .arg(sink.current().size())
                               .arg(al.budget);
        context.progress(progress);
        context.setWaiting(true);
        const auto goOn = qScopeGuard([&context] { context.setWaiting(false); });
        oracle->answer(batch, LabelingContext{classNames, qint64(sink.current().size()), al.budget}, sink, context.cancelFlag());
        const auto [energyJ, seconds] = wait.finish();
        for (RoundRecord &r : history)
            if (r.round == round) {
                r.labelWaitEnergyJ += energyJ;
                r.labelWaitS += seconds;
                r.emissionsG = context.emissionsG();
                rounds.saveRound(runId, r);
            }
        reportProgress();
    };
    const auto makeQueries = [&](int round, const std::vector<std::int64_t> &picks, const torch::Tensor &probabilities) {
        std::vector<QueryRecord> records;
        std::vector<LabelQuery> batch;
        for (std::size_t i = 0; i < picks.size(); ++i) {
            QueryRecord r;
            r.round = round;
            r.position = int(i);
            r.sampleIndex = picks[i];
            r.sampleKey = sampleKey(pool, picks[i]);
            LabelQuery q;
            q.sampleIndex = picks[i];
            q.sampleKey = r.sampleKey;
            q.round = round;
            if (probabilities.defined()) {
                const torch::Tensor p = probabilities[picks[i]];
                r.predicted = int(p.argmax().item<std::int64_t>());
                r.confidence = p.max().item<double>();
                q.predicted = r.predicted;
                q.confidence = *r.confidence;
            }
            if (oracle->needsImages())
                q.image = sampleImage(pool, picks[i]);
            records.push_back(r);
            batch.push_back(q);
        }
        rounds.addQueries(runId, records);
        return batch;
    };

    // Where the run stands: a batch left half answered is asked again (only what is still open);
    // otherwise the next round starts after the last one that queried.
    int round = 0;
    if (!pastQueries.empty()) {
        const int last = pastQueries.back().round;
        std::vector<LabelQuery> open;
        for (const QueryRecord &q : pastQueries)
            if (q.round == last && !q.skipped && !sink.current().contains(q.sampleIndex)) {
                LabelQuery query{q.sampleIndex, q.sampleKey, q.round, q.predicted, q.confidence.value_or(0), {}};
                if (oracle->needsImages())
                    query.image = sampleImage(pool, q.sampleIndex);
                open.push_back(query);
            }
        if (!open.empty()) {
            context.notice(QStringLiteral("continuing round %1: %2 of its samples still to label").arg(last).arg(open.size()));
            ask(last, open);
        }
        round = last + 1;
    } else if (std::int64_t(sink.current().size()) < al.initial) {
        // Round 0: the first labels, with no model yet (random, or typical samples of the clusters).
        std::vector<std::int64_t> picks;
        MeasuredWindow query(context, QStringLiteral("query"));
        {
            const std::vector<std::int64_t> candidates = unlabelledPool();
            const torch::Tensor index = torch::tensor(candidates, torch::kInt64);
            QueryPool initialPool;
            initialPool.embeddings = x.index_select(0, index);
            QueryOptions options{al.initial - std::int64_t(sink.current().size()), config.seed, false};
            for (std::int64_t i : initialStrategy->select(initialPool, options))
                picks.push_back(candidates[std::size_t(i)]);
        }
        const auto [energyJ, seconds] = query.finish();
        RoundRecord zero;
        zero.round = 0;
        zero.labels = sink.current().size();
        zero.queryEnergyJ = energyJ;
        zero.queryS = seconds;
        zero.emissionsG = context.emissionsG();
        history.push_back(zero);
        rounds.saveRound(runId, zero);
        ask(0, makeQueries(0, picks, {}));
        round = 1;
    } else {
        round = history.empty() ? 1 : history.back().round + 1;
    }

    QString stopReason;
    std::vector<std::int64_t> previousPredictions;
    std::optional<ProbeHead> lastHead; // the latest round's: the run's model
    while (!context.cancelFlag().load()) {
        if (sink.current().isEmpty())
            throw Error(QStringLiteral("active learning: no labels after round %1 (every sample skipped?)").arg(round - 1));
        std::vector<std::int64_t> labelledIndices;
        std::vector<std::int64_t> labelValues;
        for (auto it = sink.current().constBegin(); it != sink.current().constEnd(); ++it) {
            labelledIndices.push_back(it.key());
            labelValues.push_back(it.value().label);
        }
        const torch::Tensor labelled = torch::tensor(labelledIndices, torch::kInt64);
        const torch::Tensor y = torch::tensor(labelValues, torch::kInt64);
        const torch::Tensor xLabelled = x.index_select(0, labelled);

        RoundRecord record;
        record.round = round;
        record.labels = labelled.numel();
        ProbeHead head(x.size(1), classes, headOptions);
        {
            MeasuredWindow train(context, QStringLiteral("train"));
            head.fit(xLabelled, y);
            record.trainEnergyJ = train.finish().energyJ;
            lastHead = head;
        }
        torch::Tensor poolProbabilities;
        {
            MeasuredWindow eval(context, QStringLiteral("eval"));
            {
                record.testAccuracy = head.probabilities(xTest).argmax(1).eq(yTest).to(torch::kFloat64).mean().item<double>();
                record.valAccuracy = ProbeHead::crossValidatedAccuracy(xLabelled, y, classes, kValidationFolds, headOptions, &head);
                poolProbabilities = head.probabilities(x);
                const torch::Tensor predicted = poolProbabilities.argmax(1).contiguous();
                std::vector<std::int64_t> predictions(predicted.data_ptr<std::int64_t>(), predicted.data_ptr<std::int64_t>() + predicted.numel());
                if (!previousPredictions.empty())
                    record.kappa = StoppingRules::cohenKappa(previousPredictions, predictions);
                previousPredictions = std::move(predictions);
            }
            record.evalEnergyJ = eval.finish().energyJ;
        }
        record.emissionsG = context.emissionsG();
        history.push_back(record);
        rounds.saveRound(runId, record);
        outcome.accuracy = record.testAccuracy;
        context.metric(record.labels, QStringLiteral("al_test_accuracy"), *record.testAccuracy);
        if (record.valAccuracy)
            context.metric(record.labels, QStringLiteral("al_val_accuracy"), *record.valAccuracy);
        const double trainAccuracy = head.probabilities(xLabelled).argmax(1).eq(y).to(torch::kFloat64).mean().item<double>();
        context.stepFinished(WorkStep(QStringLiteral("round"), round, (al.budget - al.initial + al.batch - 1) / al.batch + 1)
                                 .add(QStringLiteral("labels"), double(record.labels))
                                 .add(QStringLiteral("train_accuracy"), trainAccuracy)
                                 .add(QStringLiteral("test_accuracy"), *record.testAccuracy));

        if (const std::optional<QString> reason = stopping.check({record.labels, record.valAccuracy, record.kappa, record.emissionsG})) {
            stopReason = *reason;
            break;
        }
        const std::vector<std::int64_t> candidates = unlabelledPool();
        if (candidates.empty()) {
            stopReason = QStringLiteral("pool_exhausted");
            break;
        }
        std::vector<std::int64_t> picks;
        {
            MeasuredWindow query(context, QStringLiteral("query"));
            {
                const torch::Tensor index = torch::tensor(candidates, torch::kInt64);
                QueryPool queryPool;
                queryPool.probabilities = poolProbabilities.index_select(0, index);
                queryPool.embeddings = x.index_select(0, index);
                queryPool.labeledEmbeddings = xLabelled;
                if (al.strategy == QStringLiteral("bald"))
                    queryPool.mcProbabilities = head.mcProbabilities(queryPool.embeddings, int(al.mcPasses), config.seed + std::uint64_t(round));
                const std::int64_t want = std::min<std::int64_t>(al.batch, al.budget - record.labels);
                const QueryOptions options{want, config.seed + std::uint64_t(round), al.classBalanced};
                for (std::int64_t i : strategy->select(queryPool, options))
                    picks.push_back(candidates[std::size_t(i)]);
            }
            const MeasuredCost spent = query.finish();
            record.queryEnergyJ = spent.energyJ;
            record.queryS = spent.durationS;
        }
        history.back() = record;
        rounds.saveRound(runId, record);
        ask(round, makeQueries(round, picks, poolProbabilities));
        ++round;
    }

    outcome.cancelled = context.cancelFlag().load();
    outcome.labelsUsed = sink.current().size();
    if (stopReason == QStringLiteral("carbon_budget"))
        outcome.status = QStringLiteral("budget_reached");
    QJsonArray roundsJson;
    for (const RoundRecord &r : rounds.rounds(runId))
        roundsJson.push_back(roundJson(r));
    outcome.summary.insert(QStringLiteral("rounds"), roundsJson);
    outcome.summary.insert(QStringLiteral("round_count"), double(history.empty() ? 0 : history.back().round));
    outcome.summary.insert(QStringLiteral("labels_given"), double(sink.givenNow()));
    outcome.summary.insert(QStringLiteral("stop_reason"), stopReason.isEmpty() ? QStringLiteral("cancelled") : stopReason);
    if (!stopReason.isEmpty())
        context.notice(QStringLiteral("active learning stopped: %1 after %2 labels").arg(stopReason).arg(outcome.labelsUsed));
    if (!outcome.cancelled && lastHead)
        ModelArtifacts::keepClassifier(context, *backbone, mean, std, lastHead->weight(), lastHead->bias(), classNames, outcome.summary);
    return outcome;
}

} // namespace gw
