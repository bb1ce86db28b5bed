#include "config/RunParameters.h"

#include "Error.h"
#include "activelearning/QueryStrategyNames.h"
#include "config/RunConfig.h"
#include "energy/EnergyMonitor.h"
#include "energy/ReferenceTables.h"
#include "extension/RunKind.h"
#include "extension/RunKindRegistry.h"

#include <cmath>
#include <limits>
#include <type_traits>

namespace gw {

using nlohmann::json;

namespace {

constexpr double kInt32Max = double(std::numeric_limits<std::int32_t>::max());
constexpr double kInt64Max = double(std::numeric_limits<std::int64_t>::max());

const json *valueAt(const json &root, const QString &dottedKey)
{
    const json *node = &root;
    for (const QString &part : dottedKey.split(QLatin1Char('.'))) {
        if (!node->is_object())
            return nullptr;
        const auto it = node->find(part.toStdString());
        if (it == node->end())
            return nullptr;
        node = &*it;
    }
    return node;
}

RunParameter make(const char *key, ParameterType type, const char *label, const char *help)
{
    RunParameter p;
    p.key = QString::fromLatin1(key);
    p.type = type;
    p.label = QString::fromUtf8(label);
    p.help = QString::fromUtf8(help);
    return p;
}

// Each builder takes an accessor, a generic lambda returning a reference to the config's field, so
// one line names the field for both reading and writing.

template <typename Access>
RunParameter text(const char *key, const char *label, const char *help, bool nullable, Access field)
{
    RunParameter p = make(key, ParameterType::Text, label, help);
    p.nullable = nullable;
    p.get = [field, nullable](const RunConfig &c) { return nullable && field(c).isEmpty() ? json(nullptr) : json(field(c).toStdString()); };
    p.set = [field](RunConfig &c, const json &v) { field(c) = v.is_null() ? QString() : QString::fromStdString(v.get<std::string>()); };
    if (!nullable)
        p.extraCheck = [key](const json &v) {
            return QString::fromStdString(v.get<std::string>()).trimmed().isEmpty() ? QStringLiteral("'%1' must not be empty").arg(QLatin1String(key)) : QString();
        };
    return p;
}

template <typename Access>
RunParameter path(const char *key, const char *label, const char *help, bool folder, const char *emptyMeaning, Access field)
{
    RunParameter p = text(key, label, help, true, field);
    p.type = ParameterType::Path;
    p.folder = folder;
    p.emptyMeaning = QString::fromUtf8(emptyMeaning);
    return p;
}

template <typename Access>
RunParameter choice(const char *key, const char *label, const char *help, QStringList choices, QStringList choiceLabels, Access field)
{
    RunParameter p = make(key, ParameterType::Choice, label, help);
    p.choices = std::move(choices);
    p.choiceLabels = std::move(choiceLabels);
    p.get = [field](const RunConfig &c) { return json(field(c).toStdString()); };
    p.set = [field](RunConfig &c, const json &v) { field(c) = QString::fromStdString(v.get<std::string>()); };
    return p;
}

template <typename Access>
RunParameter integer(const char *key, const char *label, const char *help, double min, double max, Access field)
{
    RunParameter p = make(key, ParameterType::Integer, label, help);
    p.min = min;
    p.max = max;
    p.get = [field](const RunConfig &c) { return json(std::int64_t(field(c))); };
    p.set = [field](RunConfig &c, const json &v) {
        using Field = std::remove_reference_t<decltype(field(c))>;
        field(c) = Field(v.get<std::int64_t>());
    };
    return p;
}

template <typename Access>
RunParameter number(const char *key, const char *label, const char *help, double min, double max, int decimals, Access field)
{
    RunParameter p = make(key, ParameterType::Number, label, help);
    p.min = min;
    p.max = max;
    p.decimals = decimals;
    p.get = [field](const RunConfig &c) { return json(field(c)); };
    p.set = [field](RunConfig &c, const json &v) { field(c) = v.get<double>(); };
    return p;
}

template <typename Access>
RunParameter optionalNumber(const char *key, const char *label, const char *help, double min, double max, const char *emptyMeaning, Access field)
{
    RunParameter p = make(key, ParameterType::OptionalNumber, label, help);
    p.min = min;
    p.max = max;
    p.emptyMeaning = QString::fromUtf8(emptyMeaning);
    p.nullable = true;
    p.get = [field](const RunConfig &c) { return field(c) ? json(*field(c)) : json(nullptr); };
    p.set = [field](RunConfig &c, const json &v) {
        if (v.is_null())
            field(c).reset();
        else
            field(c) = v.get<double>();
    };
    return p;
}

template <typename Access>
RunParameter boolean(const char *key, const char *label, const char *help, Access field)
{
    RunParameter p = make(key, ParameterType::Boolean, label, help);
    p.get = [field](const RunConfig &c) { return json(bool(field(c))); };
    p.set = [field](RunConfig &c, const json &v) { field(c) = v.get<bool>(); };
    return p;
}

std::vector<RunParameter> buildSharedParameters()
{
    std::vector<RunParameter> list;
    const auto add = [&list](RunParameter p) -> RunParameter & { return list.emplace_back(std::move(p)); };

    add(text("name", "Name", "What the run is called in the runs table, the comparison and reports.", false, [](auto &c) -> auto & { return c.name; }));
    RunParameter seed = make("seed", ParameterType::Integer, "Seed",
                             "Seeds the data order, the label subset, the initial weights and the query strategies.");
    seed.max = kInt64Max;
    seed.get = [](const RunConfig &c) { return json(std::int64_t(c.seed)); };
    seed.set = [](RunConfig &c, const json &v) { c.seed = c.training.seed = std::uint64_t(v.get<std::int64_t>()); };
    add(seed);

    add(choice("dataset.kind", "Kind", "Fashion-MNIST (IDX files) or an image folder with one subfolder per class.",
               {QStringLiteral("fashion-mnist"), QStringLiteral("image-folder")},
               {QStringLiteral("Fashion-MNIST"), QStringLiteral("Image folder (a subfolder per class)")}, [](auto &c) -> auto & { return c.dataset.kind; }));
    add(path("dataset.path", "Data folder", "Fashion-MNIST: the folder of its IDX files; image folder: the training images.", true,
             "the Debian package's Fashion-MNIST", [](auto &c) -> auto & { return c.dataset.path; }));
    add(path("dataset.test_path", "Test folder", "Image folder: the test images.", true, "a seeded stratified 20 % of the data folder",
             [](auto &c) -> auto & { return c.dataset.testPath; }));
    add(integer("dataset.train_subset", "Training samples", "Use only this many training samples (seeded, stratified).", 0, kInt32Max,
                [](auto &c) -> auto & { return c.dataset.trainSubset; }))
        .emptyMeaning = QStringLiteral("all");

    add(choice("model.source", "Source", "Where the model comes from: a small CNN trained from scratch or a pretrained backbone.",
               {QStringLiteral("scratch"), QStringLiteral("bundled"), QStringLiteral("safetensors"), QStringLiteral("torchscript"), QStringLiteral("run")},
               {QStringLiteral("Small CNN from random weights"), QStringLiteral("Bundled pretrained backbone"), QStringLiteral("safetensors weights"),
                QStringLiteral("TorchScript module"), QStringLiteral("Another run's model (model.run_id)")},
               [](auto &c) -> auto & { return c.model.source; }));
    add(integer("model.run_id", "From run", "Source run: the run whose kept model (its artifact, hash-checked) is the start.", 0, kInt64Max,
                [](auto &c) -> auto & { return c.model.runId; }))
        .emptyMeaning = QStringLiteral("none");
    add(choice("model.architecture", "Architecture", "The network that safetensors weights are loaded into.",
               {QStringLiteral("gw-mobilenet"), QStringLiteral("resnet18")}, {}, [](auto &c) -> auto & { return c.model.architecture; }));
    add(path("model.path", "Model file", "The safetensors or TorchScript file.", false, "none", [](auto &c) -> auto & { return c.model.path; }));
    add(text("model.feature_module", "Feature submodule", "TorchScript: the submodule whose output are the features.", true,
             [](auto &c) -> auto & { return c.model.featureModule; }))
        .emptyMeaning = QStringLiteral("forward");
    RunParameter inputSize = make("model.input_size", ParameterType::Shape3, "Input size", "[channels, height, width] the model expects; required for TorchScript.");
    inputSize.nullable = true;
    inputSize.emptyMeaning = QStringLiteral("the model's own");
    inputSize.get = [](const RunConfig &c) { return c.model.inputSize ? json(*c.model.inputSize) : json(nullptr); };
    inputSize.set = [](RunConfig &c, const json &v) {
        if (v.is_null())
            c.model.inputSize.reset();
        else
            c.model.inputSize = std::array<int, 3>{v[0].get<int>(), v[1].get<int>(), v[2].get<int>()};
    };
    add(inputSize);
    add(choice("model.cache_dtype", "Feature cache", "How cached backbone features are stored: float16 halves the disk and memory.",
               {QStringLiteral("float16"), QStringLiteral("float32")}, {}, [](auto &c) -> auto & { return c.model.cacheDtype; }));

    add(integer("labels.count", "Labels", "How many training labels the run may use.", 0, kInt32Max, [](auto &c) -> auto & { return c.labels.count; }))
        .emptyMeaning = QStringLiteral("all");
    add(choice("labels.selection", "Label selection", "How those labels are chosen (active learning asks instead).", {QStringLiteral("random")}, {},
               [](auto &c) -> auto & { return c.labels.selection; }));
    add(integer("labels.run_id", "Labels of run", "An active-learning run whose gathered labels (as given) this run trains on instead of a seeded choice.",
                0, kInt64Max, [](auto &c) -> auto & { return c.labels.runId; }))
        .emptyMeaning = QStringLiteral("none");

    add(choice("training.mode", "Training mode", "Train the small CNN, a linear probe on frozen features, or fine-tune the last block or all.",
               {QStringLiteral("scratch"), QStringLiteral("linear-probe"), QStringLiteral("finetune-last"), QStringLiteral("finetune-full")},
               {QStringLiteral("Small CNN from scratch"), QStringLiteral("Linear probe (cached features)"), QStringLiteral("Fine-tune the last block"),
                QStringLiteral("Fine-tune everything")},
               [](auto &c) -> auto & { return c.training.mode; }));
    add(integer("training.epochs", "Epochs", "Passes over the training data.", 1, 1000, [](auto &c) -> auto & { return c.training.epochs; }));
    add(integer("training.batch_size", "Batch size", "Samples per optimiser step.", 1, 65536, [](auto &c) -> auto & { return c.training.batchSize; }));
    add(number("training.lr", "Learning rate", "The optimiser's step size.", 1e-8, 10, 6, [](auto &c) -> auto & { return c.training.learningRate; }));
    add(number("training.weight_decay", "Weight decay", "L2 penalty on the weights.", 0, 10, 6, [](auto &c) -> auto & { return c.training.weightDecay; }));
    RunParameter optimizer = make("training.optimizer", ParameterType::Choice, "Optimizer", "Adam or plain SGD with momentum.");
    optimizer.choices = QStringList{QStringLiteral("adam"), QStringLiteral("sgd")};
    optimizer.get = [](const RunConfig &c) { return json(c.training.optimizer == OptimizerKind::Sgd ? "sgd" : "adam"); };
    optimizer.set = [](RunConfig &c, const json &v) { c.training.optimizer = v.get<std::string>() == "sgd" ? OptimizerKind::Sgd : OptimizerKind::Adam; };
    add(optimizer);
    add(integer("training.threads", "Threads", "CPU threads for LibTorch.", 0, 1024, [](auto &c) -> auto & { return c.training.threads; }))
        .emptyMeaning = QStringLiteral("all cores");
    add(integer("training.patience", "Patience", "Stop after this many epochs without a better validation accuracy.", 0, 1000,
                [](auto &c) -> auto & { return c.training.patience; }))
        .emptyMeaning = QStringLiteral("off");
    add(number("training.validation_fraction", "Validation fraction", "Of the labelled training samples, held out for validation (fine-tuning).", 0,
               0.9, 2, [](auto &c) -> auto & { return c.training.validationFraction; }));
    add(boolean("training.test_each_epoch", "Test each epoch",
                "Fine-tuning: evaluate the test set after every epoch (a curve), not only once on the weights kept (costs energy).",
                [](auto &c) -> auto & { return c.training.testEachEpoch; }));
    add(optionalNumber("training.green_stop.min_gain_per_wh", "Green stop: gain per Wh",
                       "Stop (converged_green) when validation accuracy gained per Wh over the last epochs falls below this.", 0, 1e9, "off",
                       [](auto &c) -> auto & { return c.training.greenStopMinGainPerWh; }));
    add(integer("training.green_stop.epochs", "Green stop: window (epochs)", "How many recent epochs the gain per Wh is measured over.", 1, 1000,
                [](auto &c) -> auto & { return c.training.greenStopEpochs; }));
    add(choice("training.probe_solver", "Probe fitted by", "Linear probe: an L-BFGS fit on every label with the L2 penalty chosen by 3-fold cross-validation, or epochs of the optimizer.",
               {QStringLiteral("lbfgs"), QStringLiteral("epochs")},
               {QStringLiteral("L-BFGS, penalty by cross-validation"), QStringLiteral("Epochs of the optimizer")},
               [](auto &c) -> auto & { return c.training.probeSolver; }));
    add(number("training.semi_supervised.ratio", "Unlabelled per label",
               "Semi-supervised (FixMatch): unlabelled pool images per labelled one in each step; 0: off. Each costs about two labelled ones.", 0, 16,
               2, [](auto &c) -> auto & { return c.training.semiRatio; }))
        .emptyMeaning = QStringLiteral("off");
    add(number("training.semi_supervised.threshold", "Confidence threshold",
               "An unlabelled image counts only when the weak view's prediction is at least this confident.", 0.5, 1, 3,
               [](auto &c) -> auto & { return c.training.semiThreshold; }));
    add(number("training.semi_supervised.weight", "Unlabelled loss weight", "Weight of the unlabelled images' loss beside the labelled one.", 0, 100,
               3, [](auto &c) -> auto & { return c.training.semiWeight; }));
    add(optionalNumber("training.semi_supervised.budget_wh", "Energy budget",
                       "Once the run has used this many Wh, it trains on the labels only: how much energy to trade for accuracy.", 0, 1e9,
                       "no limit", [](auto &c) -> auto & { return c.training.semiBudgetWh; }))
        .unit = QStringLiteral("Wh");
    add(integer("training.hosts.workers", "Joining workers",
                "Fine-tuning across hosts: how many workers (green-workbench worker) share every batch with this run (0: it trains alone).", 0,
                1024, [](auto &c) -> auto & { return c.training.hostsWorkers; }));
    add(text("training.hosts.coordinator", "Coordinator address",
             "The HOST:PORT this run listens on for its workers, and only there.", false, [](auto &c) -> auto & { return c.training.hostsCoordinator; }));
    add(path("training.hosts.token_file", "Key (token) file", "A file with the token the workers must prove they hold.", false, "none",
             [](auto &c) -> auto & { return c.training.hostsTokenFile; }));

    RunParameter &sampleHz = add(number("energy.sample_hz", "Sampling rate", "How often power is read.", EnergyMonitor::kMinSampleHz, EnergyMonitor::kMaxSampleHz,
                                        1, [](auto &c) -> auto & { return c.energy.sampleHz; }));
    sampleHz.unit = QStringLiteral("Hz");
    RunParameter &country = add(text("energy.country", "Grid country", "ISO 3166 alpha-3 code of the grid whose carbon intensity applies.", true,
                                     [](auto &c) -> auto & { return c.energy.country; }));
    country.country = true;
    country.emptyMeaning = QStringLiteral("world average");
    country.set = [](RunConfig &c, const json &v) { c.energy.country = v.is_null() ? QString() : QString::fromStdString(v.get<std::string>()).trimmed().toUpper(); };
    country.extraCheck = [](const json &v) {
        const QString code = v.is_null() ? QString() : QString::fromStdString(v.get<std::string>()).trimmed().toUpper();
        if (code.isEmpty() || CarbonIntensityTable::bundled().find(code))
            return QString();
        return QStringLiteral("'energy.country' is '%1', not an ISO 3166 alpha-3 code in the carbon-intensity table").arg(code);
    };
    add(choice("energy.intensity", "Carbon intensity", "The bundled yearly table, or Electricity Maps live (the table when it fails).",
               {QStringLiteral("table"), QStringLiteral("live")}, {QStringLiteral("Bundled table"), QStringLiteral("Electricity Maps, live")},
               [](auto &c) -> auto & { return c.energy.intensity; }));
    add(text("energy.zone", "Electricity Maps zone", "A zone finer than the country (e.g. US-CAL-CISO).", true, [](auto &c) -> auto & { return c.energy.zone; }))
        .emptyMeaning = QStringLiteral("from the country");
    add(number("energy.pue", "PUE", "Power usage effectiveness of the data centre (1: none counted).", 1.0, 3.0, 2, [](auto &c) -> auto & { return c.energy.pue; }));
    RunParameter &budgetWh = add(optionalNumber("energy.budget_wh", "Energy budget", "Stop cleanly (budget_reached) when predicted or measured energy exceeds this.",
                                                1e-6, 1e12, "none", [](auto &c) -> auto & { return c.energy.budgetWh; }));
    budgetWh.unit = QStringLiteral("Wh");
    RunParameter &budgetG = add(optionalNumber("energy.budget_g", "Carbon budget", "Stop cleanly (budget_reached) when predicted or measured emissions exceed this.",
                                               1e-6, 1e12, "none", [](auto &c) -> auto & { return c.energy.budgetG; }));
    budgetG.unit = QStringLiteral("g CO₂e");
    return list;
}

std::vector<RunParameter> buildActiveLearningParameters()
{
    std::vector<RunParameter> list;
    const auto add = [&list](RunParameter p) -> RunParameter & { return list.emplace_back(std::move(p)); };
    add(choice("active_learning.strategy", "Query strategy", "How each round picks the samples to label.", QueryStrategyNames::all(), {},
               [](auto &c) -> auto & { return c.activeLearning.strategy; }));
    add(choice("active_learning.initial_strategy", "First labels", "How the first labels are picked, before a model exists.",
               {QStringLiteral("random"), QStringLiteral("cold-start")}, {QStringLiteral("random"), QStringLiteral("cold start (k-means centres)")},
               [](auto &c) -> auto & { return c.activeLearning.initialStrategy; }));
    add(integer("active_learning.initial", "First batch", "Labels asked for before the first round.", 1, 1000000,
                [](auto &c) -> auto & { return c.activeLearning.initial; }));
    add(integer("active_learning.batch", "Labels per round", "Labels asked for in each round.", 1, 100000,
                [](auto &c) -> auto & { return c.activeLearning.batch; }));
    add(integer("active_learning.budget", "Label budget", "Labels in all, imported ones included.", 1, kInt32Max,
                [](auto &c) -> auto & { return c.activeLearning.budget; }));
    add(choice("active_learning.oracle", "Who labels", "A person (the Labeling dock, or --label-stdin) or the dataset's own labels.",
               {QStringLiteral("simulated"), QStringLiteral("human")},
               {QStringLiteral("Simulated from the dataset's labels"), QStringLiteral("I label (Labeling dock)")},
               [](auto &c) -> auto & { return c.activeLearning.oracle; }));
    add(number("active_learning.noise", "Label noise", "Simulated oracle: the chance of a wrong label.", 0, 1, 2,
               [](auto &c) -> auto & { return c.activeLearning.noise; }));
    add(boolean("active_learning.class_balanced", "Class-balanced", "Spread each batch over the predicted classes.",
                [](auto &c) -> auto & { return c.activeLearning.classBalanced; }));
    add(integer("active_learning.mc_passes", "Dropout passes", "BALD: Monte-Carlo dropout passes per round.", 2, 1000,
                [](auto &c) -> auto & { return c.activeLearning.mcPasses; }));
    add(path("active_learning.import_labels", "Import labels", "Labels exported from another run (CSV or JSON), reused before asking.", false, "none",
             [](auto &c) -> auto & { return c.activeLearning.importLabels; }));
    add(optionalNumber("active_learning.stop.kappa", "Stop at kappa", "Stop when Cohen's kappa between rounds' predictions stays at least this.", -1, 1,
                       "never", [](auto &c) -> auto & { return c.activeLearning.stop.kappa; }));
    add(integer("active_learning.stop.kappa_rounds", "Kappa rounds", "For how many rounds in a row kappa must hold.", 1, 1000,
                [](auto &c) -> auto & { return c.activeLearning.stop.kappaRounds; }));
    add(optionalNumber("active_learning.stop.target_accuracy", "Stop at accuracy", "Stop when the cross-validated accuracy on the labels reaches this.",
                       0, 1, "never", [](auto &c) -> auto & { return c.activeLearning.stop.targetAccuracy; }));
    RunParameter &emissionsStop = add(optionalNumber("active_learning.stop.emissions_g", "Stop at emissions", "Stop when the run's CO₂e so far exceeds this.", 0,
                                                     1e12, "never", [](auto &c) -> auto & { return c.activeLearning.stop.emissionsG; }));
    emissionsStop.unit = QStringLiteral("g CO₂e");

    return list;
}

std::vector<RunParameter> buildPretrainParameters()
{
    std::vector<RunParameter> list;
    const auto add = [&list](RunParameter p) -> RunParameter & { return list.emplace_back(std::move(p)); };
    add(number("pretrain.temperature", "Temperature", "Of the contrastive (NT-Xent) loss: lower sharpens it.", 1e-3, 10, 3,
               [](auto &c) -> auto & { return c.pretrain.temperature; }));
    add(integer("pretrain.projection_dim", "Projection size", "Width of the projection head the loss is computed on (dropped afterwards).", 2, 4096,
                [](auto &c) -> auto & { return c.pretrain.projectionDim; }));
    add(path("pretrain.init", "Start from",
             "Go on pretraining these gw-mobilenet weights (a safetensors file, or 'bundled' for the bundled ones) instead of random ones.", false,
             "random weights", [](auto &c) -> auto & { return c.pretrain.init; }));
    add(path("pretrain.output", "Output file", "Where the pretrained weights are written as well (safetensors, with a model card beside them).",
             false, "only the run's artifact", [](auto &c) -> auto & { return c.pretrain.output; }));
    return list;
}

QString numberText(double value)
{
    return QString::number(value, 'g', 15);
}

/// A yes/no word of the command line (true/false, on/off, yes/no, 1/0); nullopt for anything else.
std::optional<bool> parseSwitch(const QString &text)
{
    const QString lower = text.trimmed().toLower();
    if (lower == QStringLiteral("true") || lower == QStringLiteral("on") || lower == QStringLiteral("yes") || lower == QStringLiteral("1"))
        return true;
    if (lower == QStringLiteral("false") || lower == QStringLiteral("off") || lower == QStringLiteral("no") || lower == QStringLiteral("0"))
        return false;
    return std::nullopt;
}

} // namespace

void RunParameter::check(const json &value, const QString &origin) const
{
    const auto wrongType = [&](const char *expected) {
        throw Error::in(origin, QStringLiteral("'%1' must be %2 (got %3)").arg(key, QString::fromLatin1(expected), QString::fromLatin1(value.type_name())));
    };
    if (value.is_null() && nullable)
        return;
    switch (type) {
    case ParameterType::Text:
    case ParameterType::Path:
    case ParameterType::Choice:
        if (!value.is_string())
            wrongType(nullable ? "a string or null" : "a string");
        if (type == ParameterType::Choice && !choices.contains(QString::fromStdString(value.get<std::string>()))) {
            // A parameter may say better why (an unknown kind may need a plugin).
            const QString better = extraCheck ? extraCheck(value) : QString();
            throw Error::in(origin, !better.isEmpty() ? better
                                                      : QStringLiteral("'%1' must be one of %2 (got '%3')")
                                                            .arg(key, choices.join(QStringLiteral(", ")), QString::fromStdString(value.get<std::string>())));
        }
        break;
    case ParameterType::Integer: {
        if (!value.is_number_integer())
            wrongType("an integer");
        // An unsigned value past int64 would read back negative: compare it as what was written.
        const bool beyondInt64 = value.is_number_unsigned() && value.get<std::uint64_t>() > std::uint64_t(std::numeric_limits<std::int64_t>::max());
        const std::int64_t v = beyondInt64 ? std::numeric_limits<std::int64_t>::max() : value.get<std::int64_t>();
        if (beyondInt64 || double(v) < min || double(v) > max)
            throw Error::in(origin, QStringLiteral("'%1' must be between %2 and %3 (got %4)")
                                        .arg(key)
                                        .arg(qint64(min))
                                        .arg(max >= kInt64Max ? std::numeric_limits<qint64>::max() : qint64(max))
                                        .arg(QString::fromStdString(value.dump())));
        break;
    }
    case ParameterType::Number:
    case ParameterType::OptionalNumber: {
        if (!value.is_number())
            wrongType("a number");
        const double v = value.get<double>();
        if (!(v >= min && v <= max))
            throw Error::in(origin, QStringLiteral("'%1' must be between %2 and %3 (got %4)").arg(key).arg(min).arg(max).arg(v));
        break;
    }
    case ParameterType::Boolean:
        if (!value.is_boolean())
            wrongType("true or false");
        break;
    case ParameterType::Shape3:
        if (!value.is_array() || value.size() != 3)
            wrongType("[channels, height, width] or null");
        for (const json &d : value)
            if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > 4096)
                throw Error::in(origin, QStringLiteral("'%1' must hold three integers between 1 and 4096").arg(key));
        break;
    }
    if (extraCheck) {
        const QString problem = extraCheck(value);
        if (!problem.isEmpty())
            throw Error::in(origin, problem);
    }
}

json RunParameter::parseText(const QString &textIn, const QString &origin) const
{
    const QString text = textIn.trimmed();
    const bool saysNone = text.isEmpty() || text == QStringLiteral("none") || text == QStringLiteral("null") || text == QStringLiteral("off");
    json value;
    bool ok = true;
    switch (type) {
    case ParameterType::Text:
    case ParameterType::Path:
    case ParameterType::Choice:
        value = (type != ParameterType::Choice && (text.isEmpty() || text == QStringLiteral("null"))) ? json(nullptr) : json(textIn.toStdString());
        break;
    case ParameterType::Integer:
        value = text.toLongLong(&ok);
        break;
    case ParameterType::Number:
        value = text.toDouble(&ok);
        ok = ok && std::isfinite(value.get<double>()); // "inf", "nan" and overflows such as 1e309
        break;
    case ParameterType::OptionalNumber:
        value = saysNone ? json(nullptr) : json(text.toDouble(&ok));
        ok = ok && (value.is_null() || std::isfinite(value.get<double>()));
        break;
    case ParameterType::Boolean: {
        const std::optional<bool> on = parseSwitch(text);
        ok = on.has_value();
        value = on.value_or(false);
        break;
    }
    case ParameterType::Shape3: {
        if (saysNone) {
            value = nullptr;
            break;
        }
        QString inner = text;
        inner.remove(QLatin1Char('[')).remove(QLatin1Char(']')).replace(QLatin1Char('x'), QLatin1Char(','));
        const QStringList parts = inner.split(QLatin1Char(','));
        value = json::array();
        ok = parts.size() == 3;
        for (const QString &part : parts) {
            bool partOk = false;
            value.push_back(part.trimmed().toLongLong(&partOk));
            ok = ok && partOk;
        }
        break;
    }
    }
    if (!ok)
        throw Error::in(origin, QStringLiteral("'%1' takes %2 (got '%3')").arg(key, typeDescription(), textIn));
    check(value, origin);
    return value;
}

QString RunParameter::toText(const json &value) const
{
    if (value.is_null())
        return type == ParameterType::Text || type == ParameterType::Path ? QString() : QStringLiteral("none");
    if (value.is_string())
        return QString::fromStdString(value.get<std::string>());
    if (type == ParameterType::Shape3)
        return QStringLiteral("%1,%2,%3").arg(value[0].get<int>()).arg(value[1].get<int>()).arg(value[2].get<int>());
    return QString::fromStdString(value.dump()); // numbers: the shortest text that reads back to the same value
}

QString RunParameter::typeDescription() const
{
    const QString range = QStringLiteral("%1…%2").arg(numberText(min), max >= kInt64Max ? QStringLiteral("max") : numberText(max));
    switch (type) {
    case ParameterType::Text:
        return QStringLiteral("text");
    case ParameterType::Path:
        return folder ? QStringLiteral("folder") : QStringLiteral("file");
    case ParameterType::Integer:
        return QStringLiteral("an integer %1").arg(range);
    case ParameterType::Number:
        return QStringLiteral("a number %1").arg(range);
    case ParameterType::OptionalNumber:
        return QStringLiteral("a number %1 or none").arg(range);
    case ParameterType::Boolean:
        return QStringLiteral("true or false");
    case ParameterType::Choice:
        return QStringLiteral("one of %1").arg(choices.join(QStringLiteral(", ")));
    case ParameterType::Shape3:
        return QStringLiteral("C,H,W or none");
    }
    return QString();
}

const std::vector<RunParameter> &RunParameters::all()
{
    return RunKindRegistry::instance().parameters();
}

const std::vector<RunParameterSection> &RunParameters::sections()
{
    return RunKindRegistry::instance().sections();
}

const std::vector<RunParameter> &RunParameters::sharedParameters()
{
    static const std::vector<RunParameter> parameters = buildSharedParameters();
    return parameters;
}

const std::vector<RunParameterSection> &RunParameters::sharedSections()
{
    static const QString runAndData = QStringLiteral("Run and data"), modelAndTraining = QStringLiteral("Model and training");
    static const std::vector<RunParameterSection> list = {
        {QString(), QStringLiteral("Run"), runAndData, QString()},
        {QStringLiteral("dataset"), QStringLiteral("Dataset"), runAndData, QString()},
        {QStringLiteral("labels"), QStringLiteral("Labels"), runAndData, QString()},
        {QStringLiteral("model"), QStringLiteral("Model"), modelAndTraining, QString()},
        {QStringLiteral("training"), QStringLiteral("Training"), modelAndTraining, QString()},
        {QStringLiteral("training.green_stop"), QStringLiteral("Green stop"), modelAndTraining, QString()},
        {QStringLiteral("training.semi_supervised"), QStringLiteral("Semi-supervised"), QStringLiteral("Semi-supervised"), QString()},
        {QStringLiteral("training.hosts"), QStringLiteral("Across hosts"), QStringLiteral("Across hosts"), QString()},
        {QStringLiteral("energy"), QStringLiteral("Energy and carbon"), QStringLiteral("Energy and carbon"), QString()},
    };
    return list;
}

std::vector<RunParameter> RunParameters::activeLearningParameters()
{
    return buildActiveLearningParameters();
}

std::vector<RunParameter> RunParameters::pretrainParameters()
{
    return buildPretrainParameters();
}

RunParameter RunParameters::pluginParameter(const QString &key, ParameterType type, const QString &label, const QString &help, const json &defaultValue)
{
    RunParameter p;
    p.key = key;
    p.type = type;
    p.label = label;
    p.help = help;
    p.nullable = defaultValue.is_null();
    p.get = [key, defaultValue](const RunConfig &c) {
        const auto it = c.kindValues.constFind(key);
        return it == c.kindValues.cend() ? defaultValue : json::parse(it->toStdString());
    };
    p.set = [key](RunConfig &c, const json &v) { c.kindValues.insert(key, QString::fromStdString(v.dump())); };
    return p;
}

RunParameter RunParameters::pluginChoice(const char *key, const char *label, const char *help, const QStringList &choices)
{
    RunParameter p = pluginParameter(QString::fromLatin1(key), ParameterType::Choice, QString::fromUtf8(label), QString::fromUtf8(help),
                                     choices.front().toStdString());
    p.choices = choices;
    return p;
}

RunParameter RunParameters::pluginNumber(const char *key, ParameterType type, const char *label, const char *help, double value, double min, double max)
{
    RunParameter p = pluginParameter(QString::fromLatin1(key), type, QString::fromUtf8(label), QString::fromUtf8(help),
                                     type == ParameterType::Integer ? json(std::int64_t(value)) : json(value));
    p.min = min;
    p.max = max;
    return p;
}

RunParameter RunParameters::pluginBoolean(const char *key, const char *label, const char *help, bool value)
{
    return pluginParameter(QString::fromLatin1(key), ParameterType::Boolean, QString::fromUtf8(label), QString::fromUtf8(help), value);
}

RunParameter RunParameters::pluginOptionalText(const char *key, ParameterType type, const char *label, const char *help, const char *emptyMeaning)
{
    RunParameter p = pluginParameter(QString::fromLatin1(key), type, QString::fromUtf8(label), QString::fromUtf8(help), nullptr);
    p.emptyMeaning = QString::fromUtf8(emptyMeaning);
    return p;
}

const RunParameter *RunParameters::find(const QString &key)
{
    for (const RunParameter &p : all())
        if (p.key == key)
            return &p;
    return nullptr;
}

const RunParameterSection *RunParameters::findSection(const QString &key)
{
    for (const RunParameterSection &s : sections())
        if (s.key == key)
            return &s;
    return nullptr;
}

namespace {

/// The top-level section of @p key that a kind owns ("active_learning" for
/// "active_learning.stop.kappa"); null when the key lies in a shared section.
const RunParameterSection *ownedTopSection(const QString &key)
{
    const RunParameterSection *section = RunParameters::findSection(key.section(QLatin1Char('.'), 0, 0));
    return section && !section->kind.isEmpty() ? section : nullptr;
}

void rejectUnknown(const json &object, const QString &path, const QString &kindId, const QString &origin)
{
    if (!object.is_object())
        throw Error::in(origin, QStringLiteral("'%1' must be an object (got %2)").arg(path.isEmpty() ? QStringLiteral("(top level)") : path, QString::fromLatin1(object.type_name())));
    for (auto it = object.begin(); it != object.end(); ++it) {
        const QString key = path.isEmpty() ? QString::fromStdString(it.key()) : path + QLatin1Char('.') + QString::fromStdString(it.key());
        if (const RunParameterSection *section = RunParameters::findSection(key)) {
            if (it->is_null()) // null stands for "all defaults" (or, in older stores, "off")
                continue;
            if (!section->kind.isEmpty() && section->kind != kindId)
                throw Error::in(origin, QStringLiteral("'%1' belongs to runs of kind '%2'; this config's kind is '%3'").arg(key, section->kind, kindId));
            rejectUnknown(*it, key, kindId, origin);
        } else if (!RunParameters::find(key)) {
            throw Error::in(origin, QStringLiteral("unknown key '%1'").arg(key));
        }
    }
}

/// The kind of @p root: its "kind", checked against the registry, or the one its keys imply.
QString kindOf(const json &root, const QString &origin)
{
    const auto it = root.find("kind");
    if (it == root.end() || it->is_null())
        return RunKindRegistry::impliedKind(root);
    if (!it->is_string())
        throw Error::in(origin, QStringLiteral("'kind' must be a string (got %1)").arg(QString::fromLatin1(it->type_name())));
    const QString id = QString::fromStdString(it->get<std::string>());
    if (!RunKindRegistry::instance().find(id))
        throw Error::in(origin, RunKindRegistry::instance().unknownKindMessage(id));
    return id;
}

} // namespace

json::json_pointer RunParameters::pointer(const QString &key)
{
    return json::json_pointer("/" + QString(key).replace(QLatin1Char('.'), QLatin1Char('/')).toStdString());
}

json RunParameters::assemble(const QString &kindId, const std::function<json(const RunParameter &)> &valueOf)
{
    const RunKind *kind = RunKindRegistry::instance().find(kindId);
    json root = json::object();
    for (const RunParameter &p : all())
        if (p.key == QStringLiteral("kind") || (kind && kind->uses(p.key)))
            root[pointer(p.key)] = valueOf(p);
    root["kind"] = kindId.toStdString();
    return root;
}

json RunParameters::toJson(const RunConfig &config)
{
    return assemble(config.kind, [&config](const RunParameter &p) { return p.get(config); });
}

RunConfig RunParameters::fromJson(const json &rootIn, const QString &origin)
{
    if (!rootIn.is_object())
        throw Error::in(origin, QStringLiteral("'(top level)' must be an object (got %1)").arg(QString::fromLatin1(rootIn.type_name())));
    json root = rootIn;
    const QString kindId = kindOf(root, origin);
    // Early stores kept pretraining as training.mode "pretrain", a mode the training section
    // does not have: that run is of the pretrain kind, which reads no mode.
    const json::json_pointer mode = pointer(QStringLiteral("training.mode"));
    if (kindId == QStringLiteral("pretrain") && root.contains(mode) && root[mode] == "pretrain")
        root["training"].erase("mode");
    rejectUnknown(root, QString(), kindId, origin);
    RunConfig config = RunConfig::defaultsFor(kindId);
    const RunKind *kind = RunKindRegistry::instance().find(kindId);
    for (const RunParameter &p : all()) {
        if (p.key == QStringLiteral("kind") || !root.contains(pointer(p.key)))
            continue;
        // Every key present is checked; only those the kind reads are taken.
        const json &value = root[pointer(p.key)];
        p.check(value, origin);
        if (kind->uses(p.key))
            p.set(config, value);
    }
    return config;
}

void RunParameters::overrideInJson(json &root, const QString &key, const QString &text, const QString &origin)
{
    // The key's sections must be objects (or absent) to hold it: a config whose "training" is a
    // number, or that is an array, gets a message here instead of nlohmann's type_error.
    const QStringList parts = key.split(QLatin1Char('.'));
    const json *node = &root;
    for (int i = 0; i < parts.size(); ++i) {
        if (node->is_null())
            break;
        const QString path = i == 0 ? QStringLiteral("(top level)") : QStringList(parts.mid(0, i)).join(QLatin1Char('.'));
        if (!node->is_object())
            throw Error::in(origin, QStringLiteral("cannot set '%1': '%2' in the config must be an object (got %3)")
                                        .arg(key, path, QString::fromLatin1(node->type_name())));
        const auto child = node->find(parts[i].toStdString());
        if (child == node->end())
            break;
        node = &*child;
    }
    if (const RunParameterSection *section = findSection(key); section && !section->kind.isEmpty() && !key.contains(QLatin1Char('.'))) {
        // --active_learning=on: a run of the kind that owns the section; off: of the kind the rest implies.
        const std::optional<bool> on = parseSwitch(text);
        if (!on)
            throw Error::in(origin, QStringLiteral("'%1' takes on or off (got '%2')").arg(key, text));
        json &node = root[pointer(key)];
        if (*on) {
            if (!node.is_object())
                node = json::object();
            root["kind"] = section->kind.toStdString();
        } else {
            node = nullptr;
            if (root.contains("kind") && root["kind"] == section->kind.toStdString())
                root.erase("kind");
        }
        return;
    }
    const RunParameter *parameter = find(key);
    if (!parameter)
        throw Error::in(origin, QStringLiteral("unknown parameter '%1' (green-workbench run --parameters lists them)").arg(key));
    root[pointer(key)] = parameter->parseText(text, origin);
    // A key of a kind's own section makes the run one of that kind, as its section's presence always did.
    if (const RunParameterSection *owned = ownedTopSection(key))
        root["kind"] = owned->kind.toStdString();
}

bool RunParameters::acceptsOption(const QString &key)
{
    const RunParameterSection *section = findSection(key);
    return find(key) || (section && !section->kind.isEmpty() && !key.contains(QLatin1Char('.')));
}

QStringList RunParameters::commandLineOptions(const RunConfig &config, const RunConfig &base)
{
    QStringList options;
    const RunKind *kind = RunKindRegistry::instance().find(config.kind);
    if (!kind)
        return options;
    const bool sameKind = config.kind == base.kind;
    if (!sameKind)
        options << QStringLiteral("--kind=%1").arg(config.kind);
    // Another kind's defaults replace the base's for the keys that kind sets itself.
    const RunConfig kindDefaults = sameKind ? base : RunConfig::defaultsFor(config.kind);
    const RunConfig baseDefaults = sameKind ? base : RunConfig::defaultsFor(base.kind);
    for (const RunParameter &p : all()) {
        if (p.key == QStringLiteral("kind") || !kind->uses(p.key))
            continue;
        const json value = p.get(config);
        if (value != p.get(base) || p.get(kindDefaults) != p.get(baseDefaults))
            options << QStringLiteral("--%1=%2").arg(p.key, p.toText(value));
    }
    return options;
}

QString RunParameters::describe()
{
    QString out;
    const std::vector<const RunKind *> kinds = RunKindRegistry::instance().kinds();
    out += QStringLiteral("Kinds of run (--kind=ID; a config without \"kind\" is the kind its keys imply):\n");
    for (const RunKind *kind : kinds)
        out += QStringLiteral("  %1  %2\n      %3\n").arg(kind->id(), kind->title(), kind->description());
    out += QLatin1Char('\n');
    for (const RunParameterSection &s : sections()) {
        QStringList readers;
        for (const RunKind *kind : kinds)
            for (const RunParameter &p : all())
                if (p.section() == s.key && kind->uses(p.key)) {
                    readers << kind->id();
                    break;
                }
        const QString kindsNote = s.key.isEmpty() ? QString()
                                  : s.kind.isEmpty() ? QStringLiteral(" (read by %1)").arg(readers.join(QStringLiteral(", ")))
                                                   : QStringLiteral(" (kind %1 only)").arg(s.kind);
        out += QStringLiteral("%1%2\n").arg(s.title, kindsNote);
        for (const RunParameter &p : all()) {
            if (p.section() != s.key)
                continue;
            // The default of the kind that owns the key, or of the first kind that reads it.
            QString defaultKind = s.kind;
            for (const RunKind *kind : kinds)
                if (defaultKind.isEmpty() && kind->uses(p.key))
                    defaultKind = kind->id();
            const json value = p.get(RunConfig::defaultsFor(defaultKind.isEmpty() ? QStringLiteral("train") : defaultKind));
            QString shown = p.toText(value);
            if (value.is_null() || shown.isEmpty() || (!p.emptyMeaning.isEmpty() && value.is_number() && value.get<double>() == 0))
                shown = p.emptyMeaning.isEmpty() ? QStringLiteral("none") : p.emptyMeaning;
            else if (!p.unit.isEmpty())
                shown += QLatin1Char(' ') + p.unit;
            out += QStringLiteral("  --%1  %2; default: %3\n      %4\n").arg(p.key, p.typeDescription(), shown, p.help);
        }
    }
    return out;
}

} // namespace gw
