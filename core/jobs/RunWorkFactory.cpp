#include "jobs/RunWorkFactory.h"

#include "Error.h"
#include "activelearning/ActiveLearningWork.h"
#include "config/RunConfig.h"
#include "jobs/FineTuneWork.h"
#include "jobs/ScratchTrainingWork.h"

namespace gw {

std::unique_ptr<RunWork> RunWorkFactory::create(const RunConfig &config)
{
    if (config.activeLearning.enabled)
        return std::make_unique<ActiveLearningWork>();
    if (config.training.mode == QStringLiteral("scratch"))
        return std::make_unique<ScratchTrainingWork>();
    if (config.training.mode == QStringLiteral("linear-probe") || config.training.mode.startsWith(QStringLiteral("finetune-")))
        return std::make_unique<FineTuneWork>();
    throw Error(QStringLiteral("training.mode '%1' is not supported").arg(config.training.mode));
}

} // namespace gw
