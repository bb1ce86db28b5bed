#pragma once
#include <QObject>
#include <QThread>
#include <climits>

namespace gw {

class RunJob;

/// Runs a RunJob on a thread of its own so the caller's thread (the GUI's or the command line's
/// event loop) stays responsive. Destroying the runner cancels the job and waits for it.
class JobRunner : public QObject {
    Q_OBJECT
public:
    /// Takes ownership of @p job, which must have no parent.
    explicit JobRunner(RunJob *job, QObject *parent = nullptr);
    ~JobRunner() override;

    RunJob *job() const { return job_; }
    void start();
    void cancel();
    bool isRunning() const { return thread_.isRunning(); }
    bool wait(unsigned long ms = ULONG_MAX) { return thread_.wait(ms); }

Q_SIGNALS:
    /// The job's thread has ended (after the job's finished signal).
    void done();

private:
    RunJob *job_;
    QThread thread_;
};

} // namespace gw
