#pragma once
#include <QJsonArray>
#include <QString>
#include <QStringList>
#include <memory>
#include <vector>

class QPluginLoader;

namespace gw {

class RunKindRegistry;

/// One plugin file the manager found, what its metadata says and what became of it.
struct PluginSpec {
    enum class State {
        Loaded,     ///< initialised; its kinds are registered
        Disabled,   ///< switched off in the settings; its code never ran
        Failed,     ///< see reason; nothing it added is left
        Superseded, ///< another version of the same plugin is loaded instead
    };
    QString file;
    QString id; ///< from the metadata; the file's base name when there is none
    QString name;
    QString version;
    int apiVersion = 0;
    QString description;
    QString license;
    QStringList requirements; ///< "id" or "id >= version" of plugins it needs
    State state = State::Failed;
    QString reason;    ///< why it is not loaded (empty when loaded)
    QStringList kinds; ///< the run kinds it added

    static QString stateName(State state);
};

/// Finds, checks and loads the workbench's plugins (after Qt Creator's ExtensionSystem): every
/// library in the search folders is read for its JSON metadata before any of its code runs; a
/// plugin of another API version, without metadata, disabled, duplicated, superseded by a newer
/// version or missing a plugin it requires is not loaded. The others are loaded in the order their
/// requirements need, each initialised (it registers its kinds), then all are told that every
/// plugin is in. Whatever goes wrong with one plugin (a missing symbol, an exception) is listed
/// with its reason and never takes the workbench down.
class PluginManager {
public:
    explicit PluginManager(RunKindRegistry &registry);
    ~PluginManager();
    PluginManager(const PluginManager &) = delete;
    PluginManager &operator=(const PluginManager &) = delete;

    /// The process's manager, over RunKindRegistry::instance().
    static PluginManager &instance();

    /// In order: $GW_PLUGIN_PATH (folders separated by ':'), ~/.local/share/green-ai-workbench/plugins,
    /// the build tree's plugin folder, and the installed lib/green-workbench/plugins beside the binary.
    static QStringList defaultSearchPaths();

    /// Plugin ids that are not to be loaded (the settings' choice).
    void setDisabled(const QStringList &ids) { disabled_ = ids; }
    /// Reads and loads the plugins in @p folders (missing folders are skipped). Once per manager.
    void load(const QStringList &folders);
    bool hasLoaded() const { return loadedOnce_; }

    const std::vector<PluginSpec> &plugins() const { return specs_; }
    /// Every plugin as JSON (id, name, version, api_version, file, state, reason, kinds, ...).
    QJsonArray toJson() const;

private:
    void readMetadata(const QString &file);
    void resolveDuplicates();
    void resolveRequirements();
    void initialize(PluginSpec &spec, QPluginLoader &loader);
    void fail(PluginSpec &spec, const QString &reason);

    RunKindRegistry &registry_;
    QStringList disabled_;
    bool loadedOnce_ = false;
    std::vector<PluginSpec> specs_;
    std::vector<std::unique_ptr<QPluginLoader>> loaders_; ///< one per spec, same order
};

} // namespace gw
