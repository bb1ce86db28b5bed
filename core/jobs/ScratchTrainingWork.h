#pragma once
#include "jobs/RunWork.h"

namespace gw {

/// The foundation's run: the small CNN from random weights on Fashion-MNIST (all labels, or a
/// seeded subset), evaluated on the test split after every epoch.
class ScratchTrainingWork : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

} // namespace gw
