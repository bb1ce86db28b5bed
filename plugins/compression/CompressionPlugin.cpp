// The compression plugin: adds the "compress" kind of run (see CompressKind).
#include "CompressKind.h"
#include "extension/WorkbenchPlugin.h"

#include <QObject>

class CompressionPlugin : public QObject, public gw::WorkbenchPlugin {
    Q_OBJECT
    Q_PLUGIN_METADATA(IID GW_WORKBENCH_PLUGIN_IID FILE "compression.json")
    Q_INTERFACES(gw::WorkbenchPlugin)
public:
    void initialize(gw::PluginContext &context) override { context.addRunKind(std::make_shared<gw::compression::CompressKind>()); }
};

#include "CompressionPlugin.moc"
