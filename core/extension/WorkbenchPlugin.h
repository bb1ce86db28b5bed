#pragma once
#include <QString>
#include <QtPlugin>
#include <memory>

namespace gw {

class RunKind;
class RunKindRegistry;

/// The plugin interface's version. A plugin states the one it was built against in its metadata
/// ("ApiVersion"); the workbench loads only plugins of its own version.
constexpr int kPluginApiVersion = 1;

/// What a plugin is handed while it initialises: the places it may add to, on its own behalf (so
/// that what it added is taken out again when it fails).
class PluginContext {
public:
    PluginContext(RunKindRegistry &runKinds, QString pluginId) : runKinds_(runKinds), pluginId_(std::move(pluginId)) {}
    QString pluginId() const { return pluginId_; }
    /// Adds a kind of run; throws Error when its id, a section or a parameter is taken.
    void addRunKind(std::shared_ptr<const RunKind> kind);

private:
    RunKindRegistry &runKinds_;
    QString pluginId_;
};

/// A run-time plugin: a shared library with a QObject that implements this interface, built with
/// `Q_PLUGIN_METADATA(IID GW_WORKBENCH_PLUGIN_IID FILE "plugin.json")`. The JSON holds Id, Name,
/// Version, ApiVersion, Description, License and Requires (ids of plugins it needs, optionally
/// "id >= version"); the PluginManager reads it before any of the library's code runs.
class WorkbenchPlugin {
public:
    virtual ~WorkbenchPlugin() = default;
    /// Registers what the plugin adds. Throw (gw::Error or any std::exception) to refuse loading:
    /// the plugin is listed as failed with the message, and whatever it added is removed.
    virtual void initialize(PluginContext &context) = 0;
    /// Called once every plugin has initialised (the plugins it requires included).
    virtual void extensionsInitialized() {}
};

} // namespace gw

#define GW_WORKBENCH_PLUGIN_IID "org.greenai.Workbench.Plugin/1"
Q_DECLARE_INTERFACE(gw::WorkbenchPlugin, GW_WORKBENCH_PLUGIN_IID)
