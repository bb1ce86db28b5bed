#include "CompressKind.h"

#include "ArchitectureGraphs.h"
#include "CompressionWork.h"
#include "Error.h"
#include "config/RunConfig.h"

#include <nlohmann/json.hpp>

namespace gw::compression {

namespace {

const auto choiceParameter = &RunParameters::pluginChoice;
const auto numberParameter = &RunParameters::pluginNumber;
const auto booleanParameter = &RunParameters::pluginBoolean;

} // namespace

QString CompressKind::title() const
{
    return QStringLiteral("Compress a trained model");
}

QString CompressKind::description() const
{
    return QStringLiteral("Makes smaller, faster variants of another run's model (pruning, distillation, int8) and measures each the same way: "
                          "accuracy, size, latency, energy per 1,000 inferences and when the compression pays for itself.");
}

QStringList CompressKind::knownSteps()
{
    return {QStringLiteral("prune"), QStringLiteral("unstructured"), QStringLiteral("distil"), QStringLiteral("quantize")};
}

QStringList CompressKind::stepsOf(const RunConfig &config)
{
    QStringList steps;
    const QString text = QString::fromStdString(RunParameters::find(QStringLiteral("compress.steps"))->get(config).get<std::string>());
    for (const QString &step : text.split(QLatin1Char(','), Qt::SkipEmptyParts))
        steps << step.trimmed();
    return steps;
}

std::vector<RunParameterSection> CompressKind::ownSections() const
{
    const QString page = QStringLiteral("Compression");
    return {{QStringLiteral("compress"), QStringLiteral("Compression"), page, id()},
            {QStringLiteral("compress.prune"), QStringLiteral("Pruning"), page, id()},
            {QStringLiteral("compress.distil"), QStringLiteral("Distillation"), page, id()},
            {QStringLiteral("compress.quantize"), QStringLiteral("Quantization"), page, id()},
            {QStringLiteral("compress.measure"), QStringLiteral("Measuring"), page, id()}};
}

std::vector<RunParameter> CompressKind::ownParameters() const
{
    RunParameter steps = RunParameters::pluginParameter(
        QStringLiteral("compress.steps"), ParameterType::Text, QStringLiteral("Steps"),
        QStringLiteral("The compression steps in order, separated by commas; each makes a variant from the one before: prune (structured, "
                       "channels removed, then recovery training), unstructured (magnitude pruning: a size option, no speed), distil (a "
                       "smaller student taught by the variant before), quantize (int8; the last step)."),
        "prune");
    return {steps,
            choiceParameter("compress.labels", "Labelled data",
                            "input-run: the labelled images the input run trained on (its seeded choice, or the labels an active-learning "
                            "run gathered), so variants are compared on the same labels; dataset: the whole of this config's dataset.",
                            {QStringLiteral("input-run"), QStringLiteral("dataset")}),
            numberParameter("compress.prune.ratio", ParameterType::Number, "Ratio",
                            "Share of the channels (prune) or weights (unstructured) to remove, 0 to 0.95.", 0.5, 0, 0.95),
            choiceParameter("compress.prune.criterion", "Criterion",
                            "How channels are ranked: L1 or L2 norm of the filters that make them, or the batch norm's scale (bn).",
                            {QStringLiteral("l1"), QStringLiteral("l2"), QStringLiteral("bn")}),
            choiceParameter("compress.prune.scope", "Scope",
                            "layer: the ratio in every layer; global: one ranking over all layers (each layer keeps a channel at least).",
                            {QStringLiteral("layer"), QStringLiteral("global")}),
            numberParameter("compress.prune.recovery_epochs", ParameterType::Integer, "Recovery epochs",
                            "Training after pruning, at most this many epochs (training.patience stops it earlier); 0: none.", 3, 0, 100),
            RunParameters::pluginParameter(QStringLiteral("compress.distil.student"), ParameterType::Text, QStringLiteral("Student"),
                                           QStringLiteral("The smaller network distillation trains: gw-mobilenet-W (every width times W, e.g. "
                                                          "gw-mobilenet-0.5, gw-mobilenet-0.25) or small-cnn from fresh weights, or a .safetensors "
                                                          "or .pt model file from its own weights."),
                                           "gw-mobilenet-0.5"),
            numberParameter("compress.distil.temperature", ParameterType::Number, "Temperature",
                            "Softens both networks' outputs in the distillation loss (Hinton et al.: 4).", 4, 0.1, 50),
            numberParameter("compress.distil.alpha", ParameterType::Number, "Weight of the teacher",
                            "The distillation term's share of the loss; the rest is cross-entropy with the labels.", 0.9, 0, 1),
            numberParameter("compress.distil.epochs", ParameterType::Integer, "Epochs",
                            "Distillation epochs at most (training.patience stops earlier); the control gets the same budget.", 10, 1, 1000),
            numberParameter("compress.distil.unlabelled", ParameterType::Integer, "Unlabelled images",
                            "Training images without a label (seeded choice) that the teacher labels for the student, besides the labelled "
                            "ones; 0: the labelled ones only.",
                            0, 0, 10000000),
            booleanParameter("compress.distil.control", "CE-only control",
                             "Also trains the same student on the labels alone with the same budget, to show what the teacher adds.", true),
            choiceParameter("compress.quantize.mode", "Mode",
                            "static: convolutions and linear layers in int8, activations calibrated on training images; dynamic: linear "
                            "layers only, activations quantized on the fly; qat: static after quantization-aware fine-tuning (int8 "
                            "rounding simulated in training).",
                            {QStringLiteral("static"), QStringLiteral("dynamic"), QStringLiteral("qat")}),
            numberParameter("compress.quantize.qat_epochs", ParameterType::Integer, "QAT epochs",
                            "Quantization-aware fine-tuning epochs at most (mode qat), at a tenth of training.lr.", 2, 1, 100),
            numberParameter("compress.quantize.calibration_batches", ParameterType::Integer, "Calibration batches",
                            "Training batches (training.batch_size images each) whose activations set the int8 scales.", 8, 1, 1000),
            choiceParameter("compress.quantize.engine", "Engine",
                            "LibTorch's quantized engine: auto times both on the variant and keeps the faster (the choice is recorded).",
                            {QStringLiteral("auto"), QStringLiteral("onednn"), QStringLiteral("qnnpack")}),
            numberParameter("compress.measure.passes", ParameterType::Integer, "Timed passes",
                            "Passes timed for each latency figure after warm-up; the median is kept.", 30, 30, 10000),
            numberParameter("compress.measure.energy_samples", ParameterType::Integer, "Energy samples",
                            "The energy monitor's samples each variant's inference window holds at least (its length follows "
                            "energy.sample_hz).",
                            20, 2, 1000)};
}

QStringList CompressKind::sharedKeys() const
{
    return {QStringLiteral("dataset"),          QStringLiteral("model.source"),        QStringLiteral("model.run_id"),
            QStringLiteral("model.path"),       QStringLiteral("model.input_size"), QStringLiteral("training.batch_size"), QStringLiteral("training.lr"),
            QStringLiteral("training.weight_decay"), QStringLiteral("training.patience"), QStringLiteral("training.threads"),
            QStringLiteral("energy")};
}

void CompressKind::applyDefaults(RunConfig &config) const
{
    config.name = QStringLiteral("compress");
    config.model.source = QStringLiteral("run"); // run_id 0: the store's latest run with a kept model
    config.training.patience = 2;
}

void CompressKind::check(const RunConfig &config, const QString &origin) const
{
    const QStringList steps = stepsOf(config);
    if (steps.isEmpty())
        throw Error::in(origin, QStringLiteral("'compress.steps' names no step (%1)").arg(knownSteps().join(QStringLiteral(", "))));
    for (const QString &step : steps)
        if (!knownSteps().contains(step))
            throw Error::in(origin, QStringLiteral("'compress.steps' names an unknown step '%1' (known: %2)").arg(step, knownSteps().join(QStringLiteral(", "))));
    if (steps.contains(QStringLiteral("quantize")) && steps.last() != QStringLiteral("quantize"))
        throw Error::in(origin, QStringLiteral("'compress.steps': quantize must be the last step (the steps before it work on float weights)"));
    if (steps.count(QStringLiteral("quantize")) > 1)
        throw Error::in(origin, QStringLiteral("'compress.steps': quantize appears more than once"));
    const QString student = QString::fromStdString(RunParameters::find(QStringLiteral("compress.distil.student"))->get(config).get<std::string>());
    if (steps.contains(QStringLiteral("distil")) && !isStudentName(student))
        throw Error::in(origin, QStringLiteral("'compress.distil.student' '%1' is no student: gw-mobilenet-W with 0 < W <= 1 (e.g. gw-mobilenet-0.5), "
                                               "small-cnn, or a .safetensors or .pt model file")
                                    .arg(student));
    const QString source = config.model.source;
    if (source != QStringLiteral("run") && source != QStringLiteral("safetensors") && source != QStringLiteral("torchscript"))
        throw Error::in(origin, QStringLiteral("a compress run takes another run's model (model.source 'run'), a workbench safetensors file "
                                               "('safetensors') or a TorchScript classifier ('torchscript'); a '%1' model is no trained classifier")
                                    .arg(source));
    if (source != QStringLiteral("run") && config.model.path.isEmpty())
        throw Error::in(origin, QStringLiteral("'model.path' is required for model.source '%1'").arg(source));
    if (source == QStringLiteral("torchscript") && !config.model.inputSize)
        throw Error::in(origin, QStringLiteral("'model.input_size' ([channels, height, width]) is required for a TorchScript model"));
}

std::unique_ptr<RunWork> CompressKind::createWork(const RunConfig &) const
{
    return std::make_unique<CompressionWork>();
}

std::vector<ResultMetric> CompressKind::resultMetrics() const
{
    return {{QStringLiteral("accuracy"), QStringLiteral("Test accuracy"), QString(), true, true},
            {QStringLiteral("energy_per_1k_inferences_j"), QStringLiteral("Energy per 1,000 inferences"), QStringLiteral("J"), false, false},
            {QStringLiteral("latency_ms_batch1"), QStringLiteral("Latency (batch 1)"), QStringLiteral("ms"), false, false},
            {QStringLiteral("emissions_g"), QStringLiteral("Emissions"), QStringLiteral("g CO₂e"), false, false},
            {QStringLiteral("energy_kwh"), QStringLiteral("Energy"), QStringLiteral("kWh"), false, false}};
}

} // namespace gw::compression
