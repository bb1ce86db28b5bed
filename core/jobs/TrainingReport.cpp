#include "jobs/TrainingReport.h"

#include <cmath>

namespace gw {

void TrainingReport::progress(const TrainingProgress &p)
{
    if (p.samplesDone >= nextLossMetric_ && p.epoch >= 1) {
        context_.metric(p.samplesDone, QStringLiteral("batch_loss"), p.batchLoss);
        nextLossMetric_ = p.samplesDone + kLossMetricEverySamples;
    }
    const QString message = p.epoch < 1 ? QStringLiteral("preparing the data and its features")
                                        : QStringLiteral("epoch %1/%2  loss %3").arg(p.epoch).arg(p.epochs).arg(p.batchLoss, 0, 'f', 4);
    context_.progress(WorkProgress{p.workDone, p.workTotal, message, p.mayEndEarly, p.leastWorkTotal});
}

void TrainingReport::epochFinished(const EpochResult &e, int epochs)
{
    WorkStep step(QStringLiteral("epoch"), e.epoch, epochs);
    step.add(QStringLiteral("train_loss"), e.trainLoss).add(QStringLiteral("train_accuracy"), e.trainAccuracy);
    if (!std::isnan(e.testAccuracy)) // a fine-tuning run tests once at the end unless asked for each epoch
        step.add(QStringLiteral("test_accuracy"), e.testAccuracy);
    context_.stepFinished(step.add(QStringLiteral("epoch_duration_s"), e.durationS));
}

Trainer::ProgressCallback TrainingReport::progressCallback()
{
    return [this](const TrainingProgress &p) { progress(p); };
}

Trainer::EpochCallback TrainingReport::epochCallback(int epochs)
{
    return [this, epochs](const EpochResult &e) { epochFinished(e, epochs); };
}

} // namespace gw
