#pragma once
#include "jobs/RunWork.h"

namespace gw::federated {

/// A `federated` run with backend "hosts": the same algorithms, selection and update codec as the
/// simulation, with real workers (`green-workbench worker`) as the clients. The coordinator serves
/// its rendezvous store on federated.listen only, admits workers that prove the shared token, keeps
/// the membership (registrations, heartbeats), and runs each round in fresh Gloo groups of that
/// round's workers: the global weights broadcast, the updates combined (dense ones by allreduce,
/// sparse or 8-bit ones by allgather of their wire bytes). A worker that dies, hangs or leaves is
/// dropped, and the round completes with the others; a worker may join between rounds. Each
/// worker's measured energy and its grid's intensity give its figures, as the simulation's clients'.
class HostsFederation : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

} // namespace gw::federated
