// The federated-learning plugin: adds the "federated" kind of run (see FederatedKind) and the
// "federated-worker" kind a host of a federation across hosts runs (see WorkerKind).
#include "FederatedKind.h"
#include "HostWorker.h"
#include "extension/WorkbenchPlugin.h"

#include <QObject>

class FederatedPlugin : public QObject, public gw::WorkbenchPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID GW_WORKBENCH_PLUGIN_IID FILE "federated.json")
    Q_INTERFACES(gw::WorkbenchPlugin)
public:
    void initialize(gw::PluginContext &context) override
    {
        context.addRunKind(std::make_shared<gw::federated::FederatedKind>());
        context.addRunKind(std::make_shared<gw::federated::WorkerKind>());
    }
};

#include "FederatedPlugin.moc"
