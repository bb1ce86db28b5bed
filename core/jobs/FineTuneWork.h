#pragma once
#include "jobs/RunWork.h"

namespace gw {

/// Reuse instead of training from scratch: a backbone (bundled, safetensors, TorchScript, or random
/// weights as a control) and a classifier head trained on a limited number of labels.
///  - linear-probe: the backbone is frozen; its features come from the embedding cache when the same
///    weights, dataset and preprocessing were embedded before (no backbone pass at all), otherwise
///    they are computed once, timed and measured, and cached for later runs.
///  - finetune-last: the head and the backbone's last block are trained.
///  - finetune-full: everything is trained.
/// The labelled samples are a seeded random choice of labels.count; validation_fraction of them is
/// held out for early stopping (patience) and for carbon-aware stopping (converged_green).
class FineTuneWork : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

} // namespace gw
