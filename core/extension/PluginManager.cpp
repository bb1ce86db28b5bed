#include "extension/PluginManager.h"

#include "Error.h"
#include "extension/RunKindRegistry.h"
#include "extension/WorkbenchPlugin.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonObject>
#include <QLibrary>
#include <QPluginLoader>
#include <QRegularExpression>
#include <QVersionNumber>
#include <algorithm>
#include <exception>

namespace gw {

namespace {

/// "id" or "id >= 1.2" split into its id and minimum version (null: any).
bool parseRequirement(const QString &requirement, QString *id, QVersionNumber *minimum)
{
    static const QRegularExpression pattern(QStringLiteral("^\\s*([^\\s>=]+)\\s*(?:>=\\s*(\\S+))?\\s*$"));
    const QRegularExpressionMatch match = pattern.match(requirement);
    *id = match.captured(1);
    *minimum = QVersionNumber::fromString(match.captured(2));
    return match.hasMatch() && (match.captured(2).isEmpty() || !minimum->isNull());
}

} // namespace

void PluginContext::addRunKind(std::shared_ptr<const RunKind> kind)
{
    runKinds_.add(std::move(kind), pluginId_);
}

QString PluginSpec::stateName(State state)
{
    switch (state) {
    case State::Loaded:
        return QStringLiteral("loaded");
    case State::Disabled:
        return QStringLiteral("disabled");
    case State::Failed:
        return QStringLiteral("failed");
    case State::Superseded:
        return QStringLiteral("superseded");
    }
    return QString();
}

PluginManager::PluginManager(RunKindRegistry &registry) : registry_(registry) {}

// The libraries stay loaded: the kinds they registered run their code until the process ends.
PluginManager::~PluginManager() = default;

PluginManager &PluginManager::instance()
{
    static PluginManager manager(RunKindRegistry::instance());
    return manager;
}

QStringList PluginManager::defaultSearchPaths()
{
    QStringList folders = qEnvironmentVariable("GW_PLUGIN_PATH").split(QLatin1Char(':'), Qt::SkipEmptyParts);
    folders << QDir::home().filePath(QStringLiteral(".local/share/green-ai-workbench/plugins"));
#ifdef GW_BUILD_PLUGIN_DIR
    folders << QStringLiteral(GW_BUILD_PLUGIN_DIR);
#endif
    folders << QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("../lib/green-workbench/plugins"));
    return folders;
}

void PluginManager::fail(PluginSpec &spec, const QString &reason)
{
    spec.state = PluginSpec::State::Failed;
    spec.reason = reason;
    registry_.removeOwner(spec.id);
    spec.kinds.clear();
}

void PluginManager::readMetadata(const QString &file)
{
    PluginSpec spec;
    spec.file = file;
    spec.id = QFileInfo(file).completeBaseName();
    auto loader = std::make_unique<QPluginLoader>(file);
    // Qt reads the metadata from the file's .qtmetadata section without running any of its code.
    const QJsonObject all = loader->metaData();
    const QJsonObject meta = all.value(QLatin1String("MetaData")).toObject();
    if (all.isEmpty()) {
        spec.reason = QStringLiteral("not a Qt plugin (%1)").arg(loader->errorString());
    } else if (all.value(QLatin1String("IID")).toString() != QLatin1String(GW_WORKBENCH_PLUGIN_IID)) {
        spec.reason = QStringLiteral("not a workbench plugin (its interface is '%1', the workbench's '%2')")
                          .arg(all.value(QLatin1String("IID")).toString(), QLatin1String(GW_WORKBENCH_PLUGIN_IID));
    } else {
        if (meta.contains(QLatin1String("Id")))
            spec.id = meta.value(QLatin1String("Id")).toString();
        spec.name = meta.value(QLatin1String("Name")).toString();
        spec.version = meta.value(QLatin1String("Version")).toString();
        spec.apiVersion = meta.value(QLatin1String("ApiVersion")).toInt();
        spec.description = meta.value(QLatin1String("Description")).toString();
        spec.license = meta.value(QLatin1String("License")).toString();
        for (const QJsonValue &requirement : meta.value(QLatin1String("Requires")).toArray())
            spec.requirements << requirement.toString();
        if (!meta.contains(QLatin1String("Id")) || spec.id.isEmpty() || QVersionNumber::fromString(spec.version).isNull()) {
            spec.reason = QStringLiteral("its metadata lacks an Id or a Version (such as \"1.2.0\")");
        } else if (spec.apiVersion != kPluginApiVersion) {
            spec.reason = QStringLiteral("built against plugin API version %1; this workbench has version %2").arg(spec.apiVersion).arg(kPluginApiVersion);
        } else if (disabled_.contains(spec.id)) {
            spec.state = PluginSpec::State::Disabled;
            spec.reason = QStringLiteral("disabled in the settings");
        } else {
            spec.state = PluginSpec::State::Loaded; // a candidate, until something below says otherwise
        }
    }
    specs_.push_back(std::move(spec));
    loaders_.push_back(std::move(loader));
}

void PluginManager::resolveDuplicates()
{
    for (std::size_t i = 0; i < specs_.size(); ++i) {
        for (std::size_t j = i + 1; j < specs_.size() && specs_[i].state == PluginSpec::State::Loaded; ++j) {
            PluginSpec &a = specs_[i], &b = specs_[j];
            if (b.state != PluginSpec::State::Loaded || b.id != a.id)
                continue;
            const int order = QVersionNumber::compare(QVersionNumber::fromString(a.version), QVersionNumber::fromString(b.version));
            if (order == 0) { // the same version twice: the first in the search order is loaded
                b.state = PluginSpec::State::Failed;
                b.reason = QStringLiteral("duplicate id '%1': the same version %2 is at %3").arg(b.id, b.version, a.file);
                continue;
            }
            PluginSpec &older = order < 0 ? a : b;
            const PluginSpec &newer = order < 0 ? b : a;
            older.state = PluginSpec::State::Superseded;
            older.reason = QStringLiteral("version %1 at %2 is loaded instead").arg(newer.version, newer.file);
        }
    }
}

void PluginManager::resolveRequirements()
{
    // Until nothing changes: a plugin whose requirement is missing or failed fails its dependants.
    for (bool changed = true; changed;) {
        changed = false;
        for (PluginSpec &spec : specs_) {
            if (spec.state != PluginSpec::State::Loaded)
                continue;
            for (const QString &requirement : spec.requirements) {
                QString id;
                QVersionNumber minimum;
                const bool wellFormed = parseRequirement(requirement, &id, &minimum);
                const auto provider = std::find_if(specs_.begin(), specs_.end(), [&id](const PluginSpec &s) {
                    return s.id == id && s.state == PluginSpec::State::Loaded;
                });
                QString problem;
                if (!wellFormed)
                    problem = QStringLiteral("its requirement '%1' is not 'id' or 'id >= version'").arg(requirement);
                else if (provider == specs_.end())
                    problem = QStringLiteral("requires plugin '%1', which is not loaded").arg(id);
                else if (!minimum.isNull() && QVersionNumber::fromString(provider->version) < minimum)
                    problem = QStringLiteral("requires plugin '%1' >= %2; version %3 is found").arg(id, minimum.toString(), provider->version);
                if (!problem.isEmpty()) {
                    fail(spec, problem);
                    changed = true;
                    break;
                }
            }
        }
    }
}

void PluginManager::initialize(PluginSpec &spec, QPluginLoader &loader)
{
    if (!loader.load()) { // a missing symbol, a library for another machine
        fail(spec, QStringLiteral("cannot be loaded: %1").arg(loader.errorString()));
        return;
    }
    auto *plugin = qobject_cast<WorkbenchPlugin *>(loader.instance());
    if (!plugin) {
        fail(spec, QStringLiteral("its plugin object does not implement the workbench interface %1").arg(QLatin1String(GW_WORKBENCH_PLUGIN_IID)));
        return;
    }
    try {
        PluginContext context(registry_, spec.id);
        plugin->initialize(context);
        spec.kinds = registry_.kindsOf(spec.id);
    } catch (const Error &e) {
        fail(spec, QStringLiteral("initialize failed: %1").arg(e.message()));
    } catch (const std::exception &e) {
        fail(spec, QStringLiteral("initialize failed: %1").arg(QString::fromLocal8Bit(e.what())));
    } catch (...) {
        fail(spec, QStringLiteral("initialize failed with an exception that is no std::exception"));
    }
}

void PluginManager::load(const QStringList &folders)
{
    if (loadedOnce_)
        return;
    loadedOnce_ = true;
    for (const QString &folder : folders) {
        const QDir dir(folder);
        if (!dir.exists())
            continue;
        for (const QFileInfo &info : dir.entryInfoList(QDir::Files | QDir::Readable, QDir::Name))
            if (QLibrary::isLibrary(info.fileName()))
                readMetadata(info.absoluteFilePath());
    }
    resolveDuplicates();

    // Each plugin after those it requires: in passes, taking those whose requirements are initialised.
    std::vector<bool> done(specs_.size(), false);
    for (bool progress = true; progress;) {
        progress = false;
        resolveRequirements();
        for (std::size_t i = 0; i < specs_.size(); ++i) {
            PluginSpec &spec = specs_[i];
            if (done[i] || spec.state != PluginSpec::State::Loaded)
                continue;
            bool ready = true;
            for (const QString &requirement : spec.requirements) {
                QString id;
                QVersionNumber minimum;
                parseRequirement(requirement, &id, &minimum);
                for (std::size_t j = 0; j < specs_.size(); ++j)
                    ready = ready && !(specs_[j].id == id && specs_[j].state == PluginSpec::State::Loaded && !done[j]);
            }
            if (!ready)
                continue;
            initialize(spec, *loaders_[i]);
            done[i] = progress = true;
        }
    }
    for (std::size_t i = 0; i < specs_.size(); ++i)
        if (specs_[i].state == PluginSpec::State::Loaded && !done[i])
            fail(specs_[i], QStringLiteral("its requirements form a cycle"));

    for (std::size_t i = 0; i < specs_.size(); ++i) {
        PluginSpec &spec = specs_[i];
        if (spec.state != PluginSpec::State::Loaded)
            continue;
        try {
            qobject_cast<WorkbenchPlugin *>(loaders_[i]->instance())->extensionsInitialized();
        } catch (const std::exception &e) {
            fail(spec, QStringLiteral("extensionsInitialized failed: %1").arg(QString::fromLocal8Bit(e.what())));
        } catch (...) {
            fail(spec, QStringLiteral("extensionsInitialized failed with an exception that is no std::exception"));
        }
    }
}

QJsonArray PluginManager::toJson() const
{
    QJsonArray array;
    for (const PluginSpec &spec : specs_) {
        array.append(QJsonObject{{QStringLiteral("id"), spec.id},
                                 {QStringLiteral("name"), spec.name},
                                 {QStringLiteral("version"), spec.version},
                                 {QStringLiteral("api_version"), spec.apiVersion},
                                 {QStringLiteral("description"), spec.description},
                                 {QStringLiteral("license"), spec.license},
                                 {QStringLiteral("requires"), QJsonArray::fromStringList(spec.requirements)},
                                 {QStringLiteral("file"), spec.file},
                                 {QStringLiteral("state"), PluginSpec::stateName(spec.state)},
                                 {QStringLiteral("reason"), spec.reason},
                                 {QStringLiteral("kinds"), QJsonArray::fromStringList(spec.kinds)}});
    }
    return array;
}

} // namespace gw
