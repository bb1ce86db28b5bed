#pragma once
#include "jobs/RunWork.h"

namespace gw {

/// The active-learning loop on cached backbone features: train a head on the labels so far,
/// evaluate it, score the unlabelled pool, pick a batch with the configured strategy, get its labels
/// from the oracle (each one committed to the store at once), and again, until a stopping rule says
/// stop. Every round is stored (labels, test and cross-validated accuracy, kappa against the
/// previous round, energy of train / eval / query / label_wait, CO2 so far) with its queried batch,
/// so `run --resume` continues a killed run in the round it was in, without asking twice.
class ActiveLearningWork : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

} // namespace gw
