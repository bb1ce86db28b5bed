#pragma once

namespace gw {

class Database;

/// Runs whose process is gone (killed, crashed, its terminal closed) but which the store still
/// calls "running": each is marked "interrupted" with what its power samples say it cost (energy
/// and CO2 to its last sample, the per-phase split, its duration to that sample), so no run stays
/// "running" for ever and no sampled joule goes uncounted. Runs of a live process, or of a process
/// on another host (a store in a shared folder), are left alone.
class OrphanedRuns {
public:
    /// Marks every orphaned run in @p db; returns how many were marked.
    static int markInterrupted(const Database &db);
};

} // namespace gw
