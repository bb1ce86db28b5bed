#pragma once
#include <QString>

namespace gw {

/// Which process on which boot of which machine: enough to tell, later and from another process,
/// whether the process that started a run is still the one alive under that pid (pids are reused,
/// so the kernel's start time of the process is part of its identity).
struct ProcessIdentity {
    QString host;       ///< host name, so a store shared over a network folder never judges another machine's run
    QString bootId;     ///< /proc/sys/kernel/random/boot_id: a pid from an earlier boot is never alive
    qint64 pid = 0;
    qint64 startTicks = 0; ///< field 22 of /proc/PID/stat: clock ticks after boot when it started

    /// This process.
    static ProcessIdentity current();
    /// "boot-id/start-ticks", the form the store keeps beside the pid.
    QString startToken() const;
    static ProcessIdentity fromStored(const QString &host, qint64 pid, const QString &startToken);

    enum class State { Alive, Gone, Unknown };
    /// Alive or Gone when it ran on this machine; Unknown when it ran on another host (or the
    /// record holds no identity).
    State state() const;

    /// Start time in clock ticks after boot of @p pid, or 0 when no such process exists.
    static qint64 startTicksOf(qint64 pid);
};

} // namespace gw
