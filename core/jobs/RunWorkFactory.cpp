#include "jobs/RunWorkFactory.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "extension/RunKind.h"
#include "extension/RunKindRegistry.h"

namespace gw {

std::unique_ptr<RunWork> RunWorkFactory::create(const RunConfig &config)
{
    const RunKind *kind = RunKindRegistry::instance().find(config.kind);
    if (!kind)
        throw Error(QStringLiteral("run kind '%1' is not known here (a plugin that adds it is not loaded: see green-workbench plugins)").arg(config.kind));
    std::unique_ptr<RunWork> work = kind->createWork(config);
    if (!work)
        throw Error(QStringLiteral("run kind '%1' gave no work to do").arg(config.kind));
    return work;
}

} // namespace gw
