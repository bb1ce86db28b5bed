#pragma once
#include "jobs/RunWork.h"
#include "training/Trainer.h"

namespace gw {

/// Speaks for a trainer to the kind-neutral RunContext: its per-batch progress becomes a line
/// ("epoch 3/10  loss 0.4123"), with a batch_loss figure every 2,048 samples, and each finished
/// epoch a step with its loss, accuracies and duration.
class TrainingReport {
public:
    explicit TrainingReport(RunContext &context) : context_(context) {}

    void progress(const TrainingProgress &progress);
    void epochFinished(const EpochResult &epoch, int epochs);
    /// Trainer callbacks bound to this report.
    Trainer::ProgressCallback progressCallback();
    Trainer::EpochCallback epochCallback(int epochs);

private:
    static constexpr std::int64_t kLossMetricEverySamples = 2048;
    RunContext &context_;
    std::int64_t nextLossMetric_ = 0;
};

} // namespace gw
