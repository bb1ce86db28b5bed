#pragma once
#include "jobs/RunWork.h"

#include <memory>

namespace gw {

namespace distributed {
class DataParallel;
}

/// Reuse instead of training from scratch: a backbone (bundled, safetensors, TorchScript, or random
/// weights as a control) and a classifier head trained on a limited number of labels.
///  - linear-probe: the backbone is frozen; its features come from the embedding cache when the same
///    weights, dataset and preprocessing were embedded before (no backbone pass at all), otherwise
///    they are computed once, timed and measured, and cached for later runs.
///  - finetune-last: the head and the backbone's last block are trained.
///  - finetune-full: everything is trained.
/// The labelled samples are a seeded random choice of labels.count; validation_fraction of them is
/// held out for early stopping (patience) and for carbon-aware stopping (converged_green).
///
/// With training.hosts.workers, the run is data-parallel across hosts: it serves the workers'
/// rendezvous, each process trains on its part of every batch and the gradients are summed, so the
/// steps are those one process takes on the whole batch (finetune-full's batch-norm statistics
/// aside: each process's come from its own part, as in PyTorch's DDP without SyncBatchNorm).
class FineTuneWork : public RunWork {
public:
    FineTuneWork();
    /// A data-parallel worker's work: @p parallel is its place among the hosts.
    explicit FineTuneWork(std::shared_ptr<distributed::DataParallel> parallel);
    ~FineTuneWork() override;
    WorkOutcome execute(RunContext &context) override;

private:
    std::shared_ptr<distributed::DataParallel> parallel_;
};

} // namespace gw
