#include "CompressionWork.h"

#include "ArchitectureGraphs.h"
#include "TorchScriptGraphs.h"
#include "ChannelPruner.h"
#include "CompressKind.h"
#include "Error.h"
#include "GraphTraining.h"
#include "Int8Export.h"
#include "VariantMeasurer.h"
#include "config/RunConfig.h"
#include "jobs/DatasetEmbedding.h"
#include "models/ImageTensors.h"
#include "models/ModelExport.h"
#include "models/Safetensors.h"
#include "models/TorchRuntime.h"
#include "jobs/LabelChoice.h"
#include "store/ArtifactRepository.h"
#include "store/RunRepository.h"
#include "util/Files.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <numeric>
#include <random>
#include <nlohmann/json.hpp>
#include <torch/torch.h>

namespace gw::compression {

namespace {

template <typename T>
T parameter(const RunConfig &config, const char *key)
{
    return RunParameters::value<T>(config, key);
}

/// The newest run of the store, other than @p self, that kept a model as safetensors.
qint64 latestRunWithModel(const Database &db, qint64 self)
{
    qint64 latest = 0;
    for (const ArtifactRecord &a : ArtifactRepository(db).list())
        if (a.role == QStringLiteral("model") && a.format == QStringLiteral("safetensors") && a.runId != self)
            latest = std::max(latest, a.runId);
    if (latest == 0)
        throw Error(QStringLiteral("no run in %1 kept a model to compress: run a fine-tuning or training run first, or name one with "
                                   "model.run_id")
                        .arg(db.path()));
    return latest;
}

/// The input model as a graph, where it came from (for people), and the run that kept it (0: a file).
struct InputModel {
    ConvGraph graph;
    QString origin;
    qint64 runId = 0;
};

InputModel inputModel(RunContext &context)
{
    const RunConfig &config = context.config();
    if (config.model.source == QStringLiteral("safetensors"))
        return {graphOf(ModelExport::readSafetensors(config.model.path)), config.model.path, 0};
    if (config.model.source == QStringLiteral("torchscript"))
        return {graphOfTorchScript(config.model.path, InputSpec::ofShape(*config.model.inputSize, 0.0, 1.0)), config.model.path, 0};
    const qint64 runId = config.model.runId > 0 ? config.model.runId : latestRunWithModel(context.database(), context.runId());
    const QString file = context.inputArtifact(runId, QStringLiteral("model"), QStringLiteral("safetensors"));
    return {graphOf(ModelExport::readSafetensors(file)), QStringLiteral("run %1 (%2)").arg(runId).arg(file), runId};
}

/// The config of the run that kept the input model, when it can be read.
std::optional<RunConfig> configOfRun(RunContext &context, qint64 runId)
{
    const std::optional<RunRecord> run = RunRepository(context.database()).run(runId);
    if (!run)
        return std::nullopt;
    try {
        return RunConfig::fromJsonText(run->paramsJson.toStdString(), QStringLiteral("run %1's stored config").arg(runId));
    } catch (const Error &e) {
        context.notice(QStringLiteral("%1: training on the config's dataset instead").arg(e.message()));
        return std::nullopt;
    }
}

/// What a compress run trains and validates on: by default the labelled images the input run
/// trained on (its seeded choice, or an active-learning run's labels as given), so a variant is
/// compared with its input on the same labels; or the config's dataset whole.
TrainingSplit labelledSplit(RunContext &context, const ImageDataset &train, const std::optional<RunConfig> &inputConfig, qint64 inputRun)
{
    const RunConfig &config = context.config();
    std::vector<std::int64_t> all(std::size_t(train.size()));
    std::iota(all.begin(), all.end(), 0);
    if (!inputConfig)
        return TrainingSplit::of(train, all, config.seed);
    if (inputConfig->kind == QStringLiteral("active-learning")) {
        GatheredLabels gathered = gatheredLabels(context.database(), inputRun, train);
        TrainingSplit split = TrainingSplit::of(train, gathered.indices, config.seed);
        split.labels = gathered.labels;
        context.notice(QStringLiteral("training on the %1 labels run %2 gathered (compress.labels: input-run)").arg(gathered.indices.size()).arg(inputRun));
        return split;
    }
    const LabelSplit chosen = chooseLabels(train, *inputConfig);
    const auto vector = [](const torch::Tensor &t) { return std::vector<std::int64_t>(t.data_ptr<std::int64_t>(), t.data_ptr<std::int64_t>() + t.numel()); };
    TrainingSplit split = TrainingSplit::of(train, vector(chosen.train), config.seed);
    if (chosen.validation.numel() > 0) { // the input run's own validation samples
        split.train = vector(chosen.train);
        split.validation = vector(chosen.validation);
    }
    context.notice(QStringLiteral("training on the %1 labelled images run %2 trained on (compress.labels: input-run)")
                       .arg(chosen.train.numel() + chosen.validation.numel())
                       .arg(inputRun));
    return split;
}

/// A variant in the making: its graph, what it is, what making it cost so far, and what to keep
/// at zero while training it.
struct Variant {
    QString name;
    QString description;
    ConvGraph graph;
    double compressionJ = 0; ///< this variant's steps and those of the variants it came from
    std::vector<std::pair<int, torch::Tensor>> masks;
    QString int8Mode; ///< "static" or "dynamic" for an int8 variant; empty: float
};

} // namespace

WorkOutcome CompressionWork::execute(RunContext &context)
{
    const RunConfig &config = context.config();
    TorchRuntime::prepareForWork(config.training.threads);
    TorchRuntime::seed(config.seed);
    WorkOutcome outcome;
    const QStringList steps = CompressKind::stepsOf(config);

    MeasuredWindow loading(context, QStringLiteral("data"));
    const InputModel input = inputModel(context);
    const QString origin = input.origin;
    const ConvGraph &reference = input.graph;
    const bool fromInputRun = parameter<std::string>(config, "compress.labels") == "input-run" && input.runId > 0;
    const std::optional<RunConfig> inputConfig = fromInputRun ? configOfRun(context, input.runId) : std::nullopt;
    // The input run's images (and, below, its labels), or the config's dataset.
    RunConfig dataConfig = config;
    if (inputConfig) {
        dataConfig.dataset = inputConfig->dataset;
        dataConfig.seed = inputConfig->seed;
    }
    const Datasets data = loadDatasets(dataConfig, reference.input, context);
    const ImageDataset train = trainingSubset(data.train, dataConfig, context);
    const TrainingSplit split = labelledSplit(context, train, inputConfig, input.runId);
    loading.finish();
    outcome.summary.insert(QStringLiteral("model_origin"), origin);
    outcome.summary.insert(QStringLiteral("architecture"), reference.architecture);
    context.workStarts();

    TrainingOptions training;
    training.maxEpochs = int(parameter<std::int64_t>(config, "compress.prune.recovery_epochs"));
    training.patience = config.training.patience;
    training.batchSize = config.training.batchSize;
    training.lr = config.training.learningRate;
    training.weightDecay = config.training.weightDecay;
    training.seed = config.seed;
    MeasureOptions measuring;
    measuring.passes = int(parameter<std::int64_t>(config, "compress.measure.passes"));
    measuring.energySamples = int(parameter<std::int64_t>(config, "compress.measure.energy_samples"));
    measuring.sampleHz = config.energy.sampleHz;
    VariantMeasurer measurer(context, data.test, measuring);

    // Progress: one unit per variant measured, and the recovery's images as a share of its step.
    const bool controlled = steps.contains(QStringLiteral("distil")) && parameter<bool>(config, "compress.distil.control");
    const double total = double(steps.size() + 1 + (controlled ? 1 : 0));
    double done = 0;
    const auto report = [&context, total](double units, const QString &message) {
        WorkProgress p{units, total, message};
        p.mayEndEarly = true; // recovery stops early on a flat validation accuracy
        p.leastTotal = total;
        context.progress(p);
    };

    // Int8 scales come from the activations of a few training batches; engines race on a batch of 64.
    const std::int64_t calibrationImages =
        std::min<std::int64_t>(train.size(), parameter<std::int64_t>(config, "compress.quantize.calibration_batches") * config.training.batchSize);
    const auto calibration = [&](const ConvGraph &graph) { return ImageTensors::batch(train, 0, calibrationImages, graph.input); };
    const auto throughputBatch = [&](const ConvGraph &graph) {
        InputSpec raw = graph.input; // the shipped module takes images in 0..1
        raw.mean.assign(raw.mean.size(), 0.0);
        raw.std.assign(raw.std.size(), 1.0);
        return ImageTensors::batch(data.test, 0, std::min<std::int64_t>(64, data.test.size()), raw);
    };
    const QString folder = context.artifactDirectory();
    QJsonArray variants;
    std::optional<VariantFigures> referenceFigures;
    // Writes the variant's files (inside @p making, whose cost then joins the variant's), keeps them
    // as artifacts, and measures the variant from its TorchScript file.
    const auto keepAndMeasure = [&](Variant &v, int index, MeasuredWindow *making) -> bool {
        const ConvGraph inference = v.graph.folded();
        const QString base = QStringLiteral("variant-%1").arg(index);
        const QString script = QDir(folder).filePath(base + QStringLiteral(".pt"));
        QString engine;
        if (v.int8Mode.isEmpty()) {
            inference.writeTorchScript(script);
        } else {
            for (const QString &notice : Int8Export::write(inference, v.int8Mode, calibration(inference), script))
                context.notice(notice);
            const QString asked = QString::fromStdString(parameter<std::string>(config, "compress.quantize.engine"));
            if (asked == QStringLiteral("auto")) {
                engine = Int8Export::fasterEngine(script, throughputBatch(inference));
            } else {
                Int8Export::useEngine(asked);
                engine = asked;
            }
        }
        context.recordArtifact(QStringLiteral("variant %1").arg(v.name), QStringLiteral("torchscript"), script, inference.parameterCount());
        if (v.int8Mode.isEmpty()) { // safetensors holds float tensors: the float variants'
            const QString tensors = QDir(folder).filePath(base + QStringLiteral(".safetensors"));
            Safetensors::write(tensors, inference.namedTensors(),
                               {{"format", "green-workbench compressed graph (TorchScript variant-N.pt runs it)"},
                                {"variant", v.name.toStdString()},
                                {"architecture", inference.architecture.toStdString()}});
            context.recordArtifact(QStringLiteral("variant %1").arg(v.name), QStringLiteral("safetensors"), tensors, inference.parameterCount());
        }
        if (making)
            v.compressionJ += making->finish().energyJ;
        report(done, QStringLiteral("measuring %1").arg(v.name));
        const std::optional<VariantFigures> figures = measurer.measure(v.name, script, inference);
        if (!figures)
            return false;
        if (!referenceFigures)
            referenceFigures = figures;
        QJsonObject entry = figures->toJson();
        entry.insert(QStringLiteral("name"), v.name);
        entry.insert(QStringLiteral("description"), v.description);
        entry.insert(QStringLiteral("reference"), index == 0);
        entry.insert(QStringLiteral("compression_energy_j"), v.compressionJ);
        entry.insert(QStringLiteral("accuracy_change"), figures->accuracy - referenceFigures->accuracy);
        entry.insert(QStringLiteral("speedup_batch1"), referenceFigures->latencyMs / std::max(1e-9, figures->latencyMs));
        const std::optional<double> breakEven =
            index == 0 ? std::nullopt : breakEvenInferences(v.compressionJ, referenceFigures->energyPer1kInferencesJ, figures->energyPer1kInferencesJ);
        entry.insert(QStringLiteral("break_even_inferences"), breakEven ? QJsonValue(*breakEven) : QJsonValue());
        entry.insert(QStringLiteral("torchscript"), script);
        entry.insert(QStringLiteral("precision"), v.int8Mode.isEmpty() ? QStringLiteral("float32") : QStringLiteral("int8 %1").arg(v.int8Mode));
        if (!engine.isEmpty())
            entry.insert(QStringLiteral("quantized_engine"), engine);
        variants.append(entry);
        const QString scope = QStringLiteral("variant %1").arg(v.name);
        context.stepFinished(WorkStep(QStringLiteral("variant"), index + 1, qint64(total), scope)
                                 .add(QStringLiteral("accuracy"), figures->accuracy)
                                 .add(QStringLiteral("energy_per_1k_inferences_j"), figures->energyPer1kInferencesJ)
                                 .add(QStringLiteral("latency_ms_batch1"), figures->latencyMs)
                                 .add(QStringLiteral("throughput_batch64"), figures->throughput)
                                 .add(QStringLiteral("parameters"), double(figures->parameters))
                                 .add(QStringLiteral("multiply_adds"), double(figures->multiplyAdds))
                                 .add(QStringLiteral("file_bytes"), double(figures->fileBytes))
                                 .add(QStringLiteral("compression_energy_j"), v.compressionJ));
        // The run's own figures are its last variant's: what Compare and the runs table show.
        context.metric(index + 1, QStringLiteral("energy_per_1k_inferences_j"), figures->energyPer1kInferencesJ);
        context.metric(index + 1, QStringLiteral("latency_ms_batch1"), figures->latencyMs);
        outcome.accuracy = figures->accuracy;
        done += 1;
        return true;
    };

    Variant current{QStringLiteral("input"), QStringLiteral("the input model, as trained (%1)").arg(origin), reference.clone(), 0, {}};
    if (!keepAndMeasure(current, 0, nullptr)) {
        outcome.cancelled = true;
        return outcome;
    }
    // Trains @p graph for @p options' epochs (recovery or distillation), the bar following its images.
    const auto trainFor = [&](ConvGraph &graph, const TrainingOptions &options, const std::vector<std::pair<int, torch::Tensor>> &masks,
                              const StepLoss &loss, const QString &what) {
        const std::int64_t images = std::int64_t(split.train.size()) * std::max(1, options.maxEpochs);
        return trainGraph(graph, split, options, context.cancelFlag(), masks, loss, [&](std::int64_t seen) {
            report(done + 0.9 * double(seen) / double(std::max<std::int64_t>(1, images)), what);
        });
    };
    const auto trained = [](const TrainingResult &r, const char *what) {
        return QStringLiteral("%1 %2 epochs (validation accuracy %3 %)").arg(r.epochs).arg(QLatin1String(what)).arg(r.validationAccuracy * 100, 0, 'f', 2);
    };
    int index = 0;
    for (int s = 0; s < steps.size(); ++s) {
        const QString step = steps[s];
        const double ratio = parameter<double>(config, "compress.prune.ratio");
        Variant next = current;
        next.graph = current.graph.clone();
        next.name = QStringLiteral("%1-%2").arg(s + 1).arg(step);
        MeasuredWindow making(context, QStringLiteral("compress"), QStringLiteral("variant %1").arg(next.name));
        std::optional<Variant> control; // distillation's CE-only student, trained with the same budget
        if (step == QStringLiteral("prune") || step == QStringLiteral("unstructured")) {
            QString what;
            if (step == QStringLiteral("prune")) {
                PruneOptions options;
                options.ratio = ratio;
                options.criterion = QString::fromStdString(parameter<std::string>(config, "compress.prune.criterion"));
                options.global = parameter<std::string>(config, "compress.prune.scope") == "global";
                const PruneReport pruned = ChannelPruner::prune(next.graph, options);
                for (const QString &notice : pruned.notices)
                    context.notice(notice);
                what = QStringLiteral("%1 % of the channels removed (%2, %3)")
                           .arg(ratio * 100, 0, 'g', 3)
                           .arg(options.criterion, options.global ? QStringLiteral("one global ranking") : QStringLiteral("per layer"));
            } else {
                next.masks = pruneMagnitudes(next.graph, ratio);
                what = QStringLiteral("%1 % of the weights zeroed by magnitude (a size option: the layers keep their shapes, so it buys no speed)")
                           .arg(ratio * 100, 0, 'g', 3);
            }
            TrainingResult recovered;
            if (training.maxEpochs > 0) {
                recovered = trainFor(next.graph, training, next.masks, nullptr, QStringLiteral("%1: recovery training").arg(next.name));
                if (recovered.cancelled) {
                    outcome.cancelled = true;
                    break;
                }
            }
            next.description = QStringLiteral("%1, %2").arg(what, training.maxEpochs > 0 ? trained(recovered, "recovery") : QStringLiteral("no recovery training"));
        } else if (step == QStringLiteral("distil")) {
            const QString studentName = QString::fromStdString(parameter<std::string>(config, "compress.distil.student"));
            next.graph = studentGraph(studentName, current.graph.input, current.graph.classNames, config.seed);
            next.masks.clear();
            if (next.graph.parameterCount() >= current.graph.parameterCount())
                throw Error(QStringLiteral("the student '%1' (%2 parameters) is not smaller than its teacher, variant %3 (%4 parameters): distil into "
                                           "a smaller student (compress.distil.student)")
                                .arg(studentName)
                                .arg(next.graph.parameterCount())
                                .arg(current.name)
                                .arg(current.graph.parameterCount()));
            TrainingOptions distilling = training;
            distilling.maxEpochs = int(parameter<std::int64_t>(config, "compress.distil.epochs"));
            const double temperature = parameter<double>(config, "compress.distil.temperature");
            const double alpha = parameter<double>(config, "compress.distil.alpha");
            const ConvGraph teacher = current.graph.folded();
            const StepLoss hinton = [&teacher, temperature, alpha](const torch::Tensor &logits, const torch::Tensor &labels, const torch::Tensor &images) {
                torch::Tensor taught;
                {
                    torch::NoGradGuard noGrad;
                    taught = teacher.forward(images, false);
                }
                return distillationLoss(logits, taught, labels, temperature, alpha);
            };
            // Images nobody labelled, for the teacher to label: a seeded choice among those not in the split.
            TrainingSplit taughtSplit = split;
            const std::int64_t wanted = parameter<std::int64_t>(config, "compress.distil.unlabelled");
            if (wanted > 0) {
                std::vector<bool> used(std::size_t(train.size()), false);
                for (const std::vector<std::int64_t> *part : {&split.train, &split.validation})
                    for (std::int64_t i : *part)
                        used[std::size_t(i)] = true;
                for (std::int64_t i = 0; i < train.size(); ++i)
                    if (!used[std::size_t(i)])
                        taughtSplit.unlabelled.push_back(i);
                std::shuffle(taughtSplit.unlabelled.begin(), taughtSplit.unlabelled.end(), std::mt19937_64(config.seed));
                taughtSplit.unlabelled.resize(std::min(taughtSplit.unlabelled.size(), std::size_t(wanted)));
            }
            const TrainingResult distilled = trainGraph(next.graph, taughtSplit, distilling, context.cancelFlag(), {}, hinton, [&](std::int64_t seen) {
                const double images = double(taughtSplit.train.size() + taughtSplit.unlabelled.size()) * std::max(1, distilling.maxEpochs);
                report(done + 0.9 * double(seen) / std::max(1.0, images), QStringLiteral("%1: distillation").arg(next.name));
            });
            if (distilled.cancelled) {
                outcome.cancelled = true;
                break;
            }
            next.description = QStringLiteral("student %1 distilled from variant %2 (T = %3, alpha = %4, %5 labelled and %6 teacher-labelled "
                                              "images), %7")
                                   .arg(studentName, current.name)
                                   .arg(temperature)
                                   .arg(alpha)
                                   .arg(taughtSplit.train.size())
                                   .arg(taughtSplit.unlabelled.size())
                                   .arg(trained(distilled, "distillation"));
            if (parameter<bool>(config, "compress.distil.control")) {
                // Made after the distilled student is measured, in a window of its own (below).
                control = Variant{next.name + QStringLiteral("-control"), QString(),
                                  studentGraph(studentName, current.graph.input, current.graph.classNames, config.seed), current.compressionJ, {}, {}};
            }
        } else { // quantize, the last step
            const QString mode = QString::fromStdString(parameter<std::string>(config, "compress.quantize.mode"));
            next.int8Mode = mode == QStringLiteral("dynamic") ? mode : QStringLiteral("static");
            next.masks.clear();
            next.description = mode == QStringLiteral("dynamic")
                                   ? QStringLiteral("int8 dynamic: linear layers only")
                                   : QStringLiteral("int8: convolutions and linear layers, per-channel weights, activations calibrated on %1 "
                                                    "training images, conv+ReLU fused")
                                         .arg(calibrationImages);
            if (mode == QStringLiteral("qat")) {
                // Fine-tuned on the inference form with int8 rounding simulated, then calibrated again and written as static.
                next.graph = current.graph.folded();
                const FakeQuantization scales = Int8Export::calibrate(next.graph, calibration(next.graph));
                TrainingOptions aware = training;
                aware.maxEpochs = int(parameter<std::int64_t>(config, "compress.quantize.qat_epochs"));
                aware.lr = training.lr / 10; // small steps: the weights are nearly right already
                aware.fake = &scales;
                const TrainingResult tuned = trainFor(next.graph, aware, {}, nullptr, QStringLiteral("%1: quantization-aware training").arg(next.name));
                if (tuned.cancelled) {
                    outcome.cancelled = true;
                    break;
                }
                next.description = QStringLiteral("%1, after %2").arg(next.description, trained(tuned, "quantization-aware training"));
            }
        }
        next.compressionJ = current.compressionJ;
        if (!keepAndMeasure(next, ++index, &making)) {
            outcome.cancelled = true;
            break;
        }
        if (control) {
            MeasuredWindow controlling(context, QStringLiteral("compress"), QStringLiteral("variant %1").arg(control->name));
            TrainingOptions budget = training;
            budget.maxEpochs = int(parameter<std::int64_t>(config, "compress.distil.epochs"));
            const TrainingResult plain = trainFor(control->graph, budget, {}, nullptr, QStringLiteral("%1: control training").arg(control->name));
            if (plain.cancelled) {
                outcome.cancelled = true;
                break;
            }
            control->description = QStringLiteral("control: the same student trained on the labels alone (cross-entropy), %1").arg(trained(plain, "training"));
            if (!keepAndMeasure(*control, ++index, &controlling)) {
                outcome.cancelled = true;
                break;
            }
        }
        current = std::move(next);
    }
    outcome.summary.insert(QStringLiteral("variants"), variants);
    // The variants' table with what each is, kept with the run: the window shows it beside their figures.
    const QString table = QDir(folder).filePath(QStringLiteral("variants.json"));
    AtomicFile::writeWhole(table, QJsonDocument(variants).toJson(QJsonDocument::Indented), QStringLiteral("the variants' table"));
    context.recordArtifact(QStringLiteral("variants"), QStringLiteral("json"), table, 0);
    return outcome;
}

} // namespace gw::compression
