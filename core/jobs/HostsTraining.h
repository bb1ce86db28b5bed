#pragma once
#include "jobs/RunWork.h"

#include <QJsonObject>
#include <memory>

namespace gw {

namespace distributed {
class DataParallel;
}

/// What the training kinds share to run data-parallel across hosts (training.hosts).

/// Rank 0's place when the run asks for workers (training.hosts.workers > 0): it serves their
/// rendezvous and waits for them (a waiting run); null when the run trains alone.
std::shared_ptr<distributed::DataParallel> hostWorkersIfAsked(RunContext &context);

/// At the end of a data-parallel run: a worker tells rank 0 what it spent; rank 0 writes every
/// host's energy, each with its source, and their sum into @p summary ("data_parallel"); this
/// run's own energy stays its own.
void reportHostsEnergy(distributed::DataParallel &parallel, RunContext &context, QJsonObject &summary);

} // namespace gw
