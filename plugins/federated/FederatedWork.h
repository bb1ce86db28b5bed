#pragma once
#include "jobs/RunWork.h"

namespace gw::federated {

/// One federated simulation: partitions the training set among the clients, gives each a device
/// and a grid, then runs the rounds: select, time the round on the simulated clock, train the
/// clients that deliver (each in a measured window scoped by client and round), aggregate, evaluate.
/// The summary holds the rounds, the accuracy, the modelled and the measured energy apart, the
/// round at which the target accuracy was first reached, and every client's totals; the final global
/// model is kept as an artifact.
class FederatedWork : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

} // namespace gw::federated
