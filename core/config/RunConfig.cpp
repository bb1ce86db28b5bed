#include "config/RunConfig.h"

#include "Error.h"
#include "config/RunParameters.h"
#include "extension/RunKind.h"
#include "extension/RunKindRegistry.h"
#include "util/CsvTable.h"
#include "util/Files.h"

namespace gw {

RunConfig RunConfig::defaultsFor(const QString &kindId)
{
    const RunKind *kind = RunKindRegistry::instance().find(kindId);
    if (!kind)
        throw Error(QStringLiteral("unknown run kind '%1'").arg(kindId));
    RunConfig config;
    config.kind = kindId;
    config.activeLearning.enabled = kindId == QStringLiteral("active-learning");
    kind->applyDefaults(config);
    return config;
}

RunConfig RunConfig::fineTuningOnLabelsOf(const RunConfig &activeLearning, qint64 runId)
{
    RunConfig config = defaultsFor(QStringLiteral("finetune"));
    config.name = QStringLiteral("%1, fine-tuned on its labels").arg(activeLearning.name);
    config.seed = config.training.seed = activeLearning.seed;
    config.dataset = activeLearning.dataset;
    config.model = activeLearning.model;
    config.energy = activeLearning.energy;
    config.training.threads = activeLearning.training.threads;
    config.labels.count = 0;
    config.labels.runId = runId;
    return config;
}

RunConfig RunConfig::fromJson(const nlohmann::json &root, const QString &origin)
{
    RunConfig config = RunParameters::fromJson(root, origin);
    config.training.seed = config.seed;
    RunKindRegistry::instance().find(config.kind)->check(config, origin);
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
