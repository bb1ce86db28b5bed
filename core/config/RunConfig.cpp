#include "config/RunConfig.h"

#include "Error.h"
#include "activelearning/QueryStrategyNames.h"
#include "energy/ReferenceTables.h"
#include "util/CsvTable.h"

#include <QStringList>
#include <nlohmann/json.hpp>
#include <array>
#include <set>

namespace gw {

using nlohmann::json;

namespace {

const char *typeName(const json &value)
{
    return value.type_name();
}

/// Reads one JSON object of the config, knowing its dotted path for messages, and refuses any key
/// that no reader asked for.
class Section {
public:
    Section(const json &object, QString path, const QString &origin) : object_(object), path_(std::move(path)), origin_(origin)
    {
        if (!object_.is_object())
            fail(QStringLiteral("'%1' must be an object (got %2)").arg(label(), QString::fromLatin1(typeName(object_))));
    }

    const json *find(const char *key)
    {
        seen_.insert(key);
        const auto it = object_.find(key);
        return it == object_.end() ? nullptr : &*it;
    }

    Section child(const char *key)
    {
        const json *value = find(key);
        static const json empty = json::object();
        // null stands for "all defaults", as toJsonText writes an absent section.
        return Section(value && !value->is_null() ? *value : empty, dotted(key), origin_);
    }

    void string(const char *key, QString &out, bool nullable = false)
    {
        if (const json *v = find(key)) {
            if (v->is_null() && nullable)
                out.clear();
            else if (v->is_string())
                out = QString::fromStdString(v->get<std::string>());
            else
                wrongType(key, nullable ? "a string or null" : "a string", *v);
        }
    }

    void integer(const char *key, std::int64_t &out, std::int64_t min, std::int64_t max)
    {
        if (const json *v = find(key)) {
            if (!v->is_number_integer())
                wrongType(key, "an integer", *v);
            const std::int64_t value = v->get<std::int64_t>();
            if (value < min || value > max)
                fail(QStringLiteral("'%1' must be between %2 and %3 (got %4)").arg(dotted(key)).arg(min).arg(max).arg(value));
            out = value;
        }
    }

    bool contains(const char *key) const { return object_.contains(key) && !object_.at(key).is_null(); }

    void boolean(const char *key, bool &out)
    {
        if (const json *v = find(key)) {
            if (!v->is_boolean())
                wrongType(key, "true or false", *v);
            out = v->get<bool>();
        }
    }

    void number(const char *key, double &out, double min, double max)
    {
        if (const json *v = find(key)) {
            if (!v->is_number())
                wrongType(key, "a number", *v);
            const double value = v->get<double>();
            if (!(value >= min && value <= max))
                fail(QStringLiteral("'%1' must be between %2 and %3 (got %4)").arg(dotted(key)).arg(min).arg(max).arg(value));
            out = value;
        }
    }

    void optionalNumber(const char *key, std::optional<double> &out, double min, double max)
    {
        if (const json *v = find(key)) {
            if (v->is_null()) {
                out.reset();
                return;
            }
            double value = 0;
            number(key, value, min, max);
            out = value;
        }
    }

    /// [C, H, W] of positive integers, or null.
    void shape3(const char *key, std::optional<std::array<int, 3>> &out)
    {
        if (const json *v = find(key)) {
            if (v->is_null()) {
                out.reset();
                return;
            }
            if (!v->is_array() || v->size() != 3)
                wrongType(key, "[channels, height, width] or null", *v);
            std::array<int, 3> shape{};
            for (std::size_t i = 0; i < 3; ++i) {
                const json &d = (*v)[i];
                if (!d.is_number_integer() || d.get<std::int64_t>() < 1 || d.get<std::int64_t>() > 4096)
                    fail(QStringLiteral("'%1' must hold three integers between 1 and 4096").arg(dotted(key)));
                shape[i] = int(d.get<std::int64_t>());
            }
            out = shape;
        }
    }

    void oneOf(const char *key, QString &out, const QStringList &allowed)
    {
        string(key, out);
        if (!allowed.contains(out))
            fail(QStringLiteral("'%1' must be one of %2 (got '%3')").arg(dotted(key), allowed.join(QStringLiteral(", ")), out));
    }

    /// Call after every key has been read.
    void rejectUnknownKeys()
    {
        for (auto it = object_.begin(); it != object_.end(); ++it) {
            if (!seen_.count(it.key()))
                fail(QStringLiteral("unknown key '%1'").arg(dotted(it.key().c_str())));
        }
    }

    [[noreturn]] void fail(const QString &what) const { throw Error(QStringLiteral("%1: %2").arg(origin_, what)); }

private:
    QString label() const { return path_.isEmpty() ? QStringLiteral("(top level)") : path_; }
    QString dotted(const char *key) const
    {
        return path_.isEmpty() ? QString::fromUtf8(key) : path_ + QLatin1Char('.') + QString::fromUtf8(key);
    }
    [[noreturn]] void wrongType(const char *key, const char *expected, const json &got) const
    {
        fail(QStringLiteral("'%1' must be %2 (got %3)").arg(dotted(key), QString::fromLatin1(expected), QString::fromLatin1(typeName(got))));
    }

    const json &object_;
    QString path_;
    QString origin_;
    std::set<std::string> seen_;
};

void readActiveLearning(Section &top, RunConfig &config)
{
    RunConfig::ActiveLearning &al = config.activeLearning;
    al.enabled = top.contains("active_learning");
    Section section = top.child("active_learning");
    section.oneOf("strategy", al.strategy, QueryStrategyNames::all());
    section.oneOf("initial_strategy", al.initialStrategy, {QStringLiteral("random"), QStringLiteral("cold-start")});
    section.integer("initial", al.initial, 1, 1000000);
    section.integer("batch", al.batch, 1, 100000);
    section.integer("budget", al.budget, 1, std::numeric_limits<std::int32_t>::max());
    section.oneOf("oracle", al.oracle, {QStringLiteral("simulated"), QStringLiteral("human")});
    section.number("noise", al.noise, 0, 1);
    section.boolean("class_balanced", al.classBalanced);
    section.integer("mc_passes", al.mcPasses, 2, 1000);
    section.string("import_labels", al.importLabels, true);
    Section stop = section.child("stop");
    stop.optionalNumber("kappa", al.stop.kappa, -1, 1);
    stop.integer("kappa_rounds", al.stop.kappaRounds, 1, 1000);
    stop.optionalNumber("target_accuracy", al.stop.targetAccuracy, 0, 1);
    stop.optionalNumber("emissions_g", al.stop.emissionsG, 0, 1e12);
    stop.rejectUnknownKeys();
    section.rejectUnknownKeys();
    if (!al.enabled)
        return;
    if (config.training.mode != QStringLiteral("linear-probe"))
        section.fail(QStringLiteral("active learning retrains a head on cached features each round: it needs training.mode 'linear-probe' (got '%1')")
                         .arg(config.training.mode));
    if (al.initial > al.budget)
        section.fail(QStringLiteral("'active_learning.initial' (%1) is larger than 'active_learning.budget' (%2)").arg(al.initial).arg(al.budget));
}

} // namespace

RunConfig RunConfig::fromJsonText(const std::string &text, const QString &origin)
{
    json root;
    try {
        root = json::parse(text);
    } catch (const json::parse_error &e) {
        throw Error(QStringLiteral("%1: malformed JSON at byte %2: %3").arg(origin).arg(e.byte).arg(QString::fromStdString(e.what())));
    }

    RunConfig config;
    Section top(root, QString(), origin);
    top.string("name", config.name);
    if (config.name.trimmed().isEmpty())
        top.fail(QStringLiteral("'name' must not be empty"));
    std::int64_t seed = std::int64_t(config.seed);
    top.integer("seed", seed, 0, std::numeric_limits<std::int64_t>::max());
    config.seed = std::uint64_t(seed);

    Section dataset = top.child("dataset");
    dataset.oneOf("kind", config.dataset.kind, {QStringLiteral("fashion-mnist"), QStringLiteral("image-folder")});
    dataset.string("path", config.dataset.path, true);
    dataset.string("test_path", config.dataset.testPath, true);
    dataset.integer("train_subset", config.dataset.trainSubset, 0, std::numeric_limits<std::int32_t>::max());
    if (config.dataset.kind == QStringLiteral("image-folder") && config.dataset.path.isEmpty())
        dataset.fail(QStringLiteral("'dataset.path' is required for dataset.kind 'image-folder'"));
    dataset.rejectUnknownKeys();

    Section model = top.child("model");
    model.oneOf("source", config.model.source,
                {QStringLiteral("scratch"), QStringLiteral("bundled"), QStringLiteral("safetensors"), QStringLiteral("torchscript")});
    model.oneOf("architecture", config.model.architecture, {QStringLiteral("gw-mobilenet"), QStringLiteral("resnet18")});
    model.string("path", config.model.path, true);
    model.string("feature_module", config.model.featureModule, true);
    model.shape3("input_size", config.model.inputSize);
    model.oneOf("cache_dtype", config.model.cacheDtype, {QStringLiteral("float16"), QStringLiteral("float32")});
    if ((config.model.source == QStringLiteral("safetensors") || config.model.source == QStringLiteral("torchscript")) && config.model.path.isEmpty())
        model.fail(QStringLiteral("'model.path' is required for model.source '%1'").arg(config.model.source));
    if (config.model.source == QStringLiteral("torchscript") && !config.model.inputSize)
        model.fail(QStringLiteral("'model.input_size' ([channels, height, width]) is required for model.source 'torchscript'"));
    model.rejectUnknownKeys();

    Section labels = top.child("labels");
    labels.integer("count", config.labels.count, 0, std::numeric_limits<std::int32_t>::max());
    labels.oneOf("selection", config.labels.selection, {QStringLiteral("random")});
    labels.rejectUnknownKeys();

    Section training = top.child("training");
    training.oneOf("mode", config.training.mode,
                   {QStringLiteral("scratch"), QStringLiteral("linear-probe"), QStringLiteral("finetune-last"), QStringLiteral("finetune-full")});
    if (config.training.mode == QStringLiteral("scratch") && config.model.source != QStringLiteral("scratch"))
        training.fail(QStringLiteral("training.mode 'scratch' trains the small CNN from random weights; model.source '%1' needs "
                                     "linear-probe, finetune-last or finetune-full").arg(config.model.source));
    if (config.training.mode == QStringLiteral("scratch") && config.dataset.kind != QStringLiteral("fashion-mnist"))
        training.fail(QStringLiteral("training.mode 'scratch' is for Fashion-MNIST; an image folder needs a backbone "
                                     "(linear-probe, finetune-last or finetune-full)"));
    training.number("weight_decay", config.training.weightDecay, 0, 10);
    std::int64_t patience = config.training.patience;
    training.integer("patience", patience, 0, 1000);
    config.training.patience = int(patience);
    training.number("validation_fraction", config.training.validationFraction, 0, 0.9);
    Section greenStop = training.child("green_stop");
    greenStop.optionalNumber("min_gain_per_wh", config.training.greenStopMinGainPerWh, 0, 1e9);
    std::int64_t greenEpochs = config.training.greenStopEpochs;
    greenStop.integer("epochs", greenEpochs, 1, 1000);
    config.training.greenStopEpochs = int(greenEpochs);
    greenStop.rejectUnknownKeys();
    std::int64_t epochs = config.training.epochs, batch = config.training.batchSize, threads = config.training.threads;
    training.integer("epochs", epochs, 1, 1000);
    training.integer("batch_size", batch, 1, 65536);
    training.number("lr", config.training.learningRate, 1e-8, 10);
    QString optimizer = QStringLiteral("adam");
    training.oneOf("optimizer", optimizer, {QStringLiteral("adam"), QStringLiteral("sgd")});
    training.integer("threads", threads, 0, 1024);
    training.rejectUnknownKeys();
    config.training.epochs = int(epochs);
    config.training.batchSize = int(batch);
    config.training.threads = int(threads);
    config.training.optimizer = optimizer == QStringLiteral("sgd") ? OptimizerKind::Sgd : OptimizerKind::Adam;
    config.training.seed = config.seed;

    readActiveLearning(top, config);

    Section energy = top.child("energy");
    energy.number("sample_hz", config.energy.sampleHz, 0.2, 20);
    energy.string("country", config.energy.country, true);
    config.energy.country = config.energy.country.trimmed().toUpper();
    if (!config.energy.country.isEmpty() && !CarbonIntensityTable::bundled().find(config.energy.country))
        energy.fail(QStringLiteral("'energy.country' is '%1', not an ISO 3166 alpha-3 code in the carbon-intensity table").arg(config.energy.country));
    energy.oneOf("intensity", config.energy.intensity, {QStringLiteral("table"), QStringLiteral("live")});
    energy.string("zone", config.energy.zone, true);
    energy.number("pue", config.energy.pue, 1.0, 3.0);
    energy.optionalNumber("budget_wh", config.energy.budgetWh, 1e-6, 1e12);
    energy.optionalNumber("budget_g", config.energy.budgetG, 1e-6, 1e12);
    energy.rejectUnknownKeys();

    top.rejectUnknownKeys();
    return config;
}

RunConfig RunConfig::fromFile(const QString &path)
{
    const QByteArray bytes = readWholeFile(path);
    return fromJsonText(bytes.toStdString(), path);
}

std::string RunConfig::toJsonText(int indent) const
{
    const auto str = [](const QString &s) { return s.toStdString(); };
    const auto optional = [](const std::optional<double> &v) { return v ? json(*v) : json(nullptr); };
    const auto nullable = [](const QString &s) { return s.isEmpty() ? json(nullptr) : json(s.toStdString()); };
    json root = {
        {"name", str(name)},
        {"seed", seed},
        {"dataset", {{"kind", str(dataset.kind)},
                     {"path", nullable(dataset.path)},
                     {"test_path", nullable(dataset.testPath)},
                     {"train_subset", dataset.trainSubset}}},
        {"model", {{"source", str(model.source)},
                   {"architecture", str(model.architecture)},
                   {"path", nullable(model.path)},
                   {"feature_module", nullable(model.featureModule)},
                   {"input_size", model.inputSize ? json(*model.inputSize) : json(nullptr)},
                   {"cache_dtype", str(model.cacheDtype)}}},
        {"labels", {{"count", labels.count}, {"selection", str(labels.selection)}}},
        {"training", {{"mode", str(training.mode)},
                      {"epochs", training.epochs},
                      {"batch_size", training.batchSize},
                      {"lr", training.learningRate},
                      {"weight_decay", training.weightDecay},
                      {"optimizer", training.optimizer == OptimizerKind::Sgd ? "sgd" : "adam"},
                      {"threads", training.threads},
                      {"patience", training.patience},
                      {"validation_fraction", training.validationFraction},
                      {"green_stop", {{"min_gain_per_wh", optional(training.greenStopMinGainPerWh)}, {"epochs", training.greenStopEpochs}}}}},
        {"active_learning", activeLearning.enabled ? json{{"strategy", str(activeLearning.strategy)},
                                                           {"initial_strategy", str(activeLearning.initialStrategy)},
                                                           {"initial", activeLearning.initial},
                                                           {"batch", activeLearning.batch},
                                                           {"budget", activeLearning.budget},
                                                           {"oracle", str(activeLearning.oracle)},
                                                           {"noise", activeLearning.noise},
                                                           {"class_balanced", activeLearning.classBalanced},
                                                           {"mc_passes", activeLearning.mcPasses},
                                                           {"import_labels", nullable(activeLearning.importLabels)},
                                                           {"stop", {{"kappa", optional(activeLearning.stop.kappa)},
                                                                     {"kappa_rounds", activeLearning.stop.kappaRounds},
                                                                     {"target_accuracy", optional(activeLearning.stop.targetAccuracy)},
                                                                     {"emissions_g", optional(activeLearning.stop.emissionsG)}}}}
                                                     : json(nullptr)},
        {"energy", {{"sample_hz", energy.sampleHz},
                    {"country", nullable(energy.country)},
                    {"intensity", str(energy.intensity)},
                    {"zone", nullable(energy.zone)},
                    {"pue", energy.pue},
                    {"budget_wh", optional(energy.budgetWh)},
                    {"budget_g", optional(energy.budgetG)}}},
    };
    return root.dump(indent);
}

} // namespace gw
