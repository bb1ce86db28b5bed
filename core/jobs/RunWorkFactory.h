#pragma once
#include "jobs/RunWork.h"

#include <memory>

namespace gw {

/// The work a run config asks for: that of its kind.
class RunWorkFactory {
public:
    static std::unique_ptr<RunWork> create(const RunConfig &config);
};

} // namespace gw
