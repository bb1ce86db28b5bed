#pragma once
#include "report/RunReport.h"

namespace gw {

class RunRepository;

/// Gathers a RunReport from the store: the run, its energy totals and split, samples and metrics.
class RunReportBuilder {
public:
    /// Throws gw::Error naming the store when @p runId does not exist.
    static RunReport fromStore(const RunRepository &repository, qint64 runId, const QString &storePath);
};

} // namespace gw
