#include "config/RunConfig.h"

#include "Error.h"
#include "config/RunParameters.h"
#include "util/CsvTable.h"
#include "util/Files.h"

namespace gw {

namespace {

/// The rules between keys; each key on its own has been checked by its RunParameter.
void checkCombinations(const RunConfig &config, const QString &origin)
{
    if (config.dataset.kind == QStringLiteral("image-folder") && config.dataset.path.isEmpty())
        throw Error::in(origin, QStringLiteral("'dataset.path' is required for dataset.kind 'image-folder'"));
    if ((config.model.source == QStringLiteral("safetensors") || config.model.source == QStringLiteral("torchscript")) && config.model.path.isEmpty())
        throw Error::in(origin, QStringLiteral("'model.path' is required for model.source '%1'").arg(config.model.source));
    if (config.model.source == QStringLiteral("torchscript") && !config.model.inputSize)
        throw Error::in(origin, QStringLiteral("'model.input_size' ([channels, height, width]) is required for model.source 'torchscript'"));
    if (config.training.mode == QStringLiteral("scratch") && config.model.source != QStringLiteral("scratch"))
        throw Error::in(origin, QStringLiteral("training.mode 'scratch' trains the small CNN from random weights; model.source '%1' needs "
                                    "linear-probe, finetune-last or finetune-full").arg(config.model.source));
    if (config.training.mode == QStringLiteral("scratch") && config.dataset.kind != QStringLiteral("fashion-mnist"))
        throw Error::in(origin, QStringLiteral("training.mode 'scratch' is for Fashion-MNIST; an image folder needs a backbone "
                                    "(linear-probe, finetune-last or finetune-full)"));
    const RunConfig::ActiveLearning &al = config.activeLearning;
    if (!al.enabled)
        return;
    if (config.training.mode != QStringLiteral("linear-probe"))
        throw Error::in(origin, QStringLiteral("active learning retrains a head on cached features each round: it needs training.mode 'linear-probe' (got '%1')")
                         .arg(config.training.mode));
    if (al.initial > al.budget)
        throw Error::in(origin, QStringLiteral("'active_learning.initial' (%1) is larger than 'active_learning.budget' (%2)").arg(al.initial).arg(al.budget));
}

} // namespace

RunConfig RunConfig::fromJson(const nlohmann::json &root, const QString &origin)
{
    RunConfig config;
    RunParameters::fromJson(root, config, origin);
    config.training.seed = config.seed;
    checkCombinations(config, origin);
    return config;
}

RunConfig RunConfig::fromJsonText(const std::string &text, const QString &origin)
{
    return fromJson(parseJson(text, origin), origin);
}

nlohmann::json RunConfig::parseJson(const std::string &text, const QString &origin)
{
    try {
        return nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error &e) {
        throw Error::in(origin, QStringLiteral("malformed JSON at byte %1: %2").arg(e.byte).arg(QString::fromStdString(e.what())));
    } catch (const nlohmann::json::exception &e) {
        // Such as out_of_range 406: a number too large for a double (1e309).
        throw Error::in(origin, QStringLiteral("unreadable JSON: %1").arg(QString::fromStdString(e.what())));
    }
}

RunConfig RunConfig::fromFile(const QString &path)
{
    const QByteArray bytes = readWholeFile(path);
    return fromJsonText(bytes.toStdString(), path);
}

void RunConfig::save(const QString &path) const
{
    const QByteArray text = QByteArray::fromStdString(toJsonText() + "\n");
    AtomicFile::writeWhole(path, text, QStringLiteral("the config"));
}

std::string RunConfig::toJsonText(int indent) const
{
    return RunParameters::toJson(*this).dump(indent);
}

} // namespace gw
