#pragma once
#include "jobs/RunWork.h"

#include <memory>

namespace gw {

namespace distributed {
class DataParallel;
}

/// The foundation's run: the small CNN from random weights on Fashion-MNIST (all labels, or a
/// seeded subset), evaluated on the test split after every epoch.
/// With training.hosts.workers it is data-parallel across hosts, as FineTuneWork is (the small
/// CNN has no batch norm: every process takes exactly one process's steps, float sums aside).
class ScratchTrainingWork : public RunWork {
public:
    ScratchTrainingWork();
    /// A data-parallel worker's work: @p parallel is its place among the hosts.
    explicit ScratchTrainingWork(std::shared_ptr<distributed::DataParallel> parallel);
    ~ScratchTrainingWork() override;
    WorkOutcome execute(RunContext &context) override;

private:
    std::shared_ptr<distributed::DataParallel> parallel_;
};

} // namespace gw
