// The federated-learning plugin: adds the "federated" kind of run (see FederatedKind).
#include "FederatedKind.h"
#include "extension/WorkbenchPlugin.h"

#include <QObject>

class FederatedPlugin : public QObject, public gw::WorkbenchPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID GW_WORKBENCH_PLUGIN_IID FILE "federated.json")
    Q_INTERFACES(gw::WorkbenchPlugin)
public:
    void initialize(gw::PluginContext &context) override { context.addRunKind(std::make_shared<gw::federated::FederatedKind>()); }
};

#include "FederatedPlugin.moc"
