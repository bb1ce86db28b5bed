#pragma once
#include "carbon/GreenestStartPlanner.h"
#include "config/RunConfig.h"
#include "jobs/RunSummary.h"

#include <QObject>
#include <QTimer>
#include <deque>
#include <functional>
#include <memory>
#include <optional>

namespace gw {

class JobRunner;
class RunJob;

/// The runs of a session, one at a time. A run submitted while another runs (or waits for its
/// greenest start) is queued behind it, because two runs sharing the CPUs would each be measured
/// with the other's load: the CPU-time power model gives the process's CPU time to its run. A run
/// may first wait for the greenest start of a forecast. The window and the command line (`run`,
/// `schedule --run`, `pretrain`) start every run through it; each runs on a JobRunner thread.
class RunQueue : public QObject {
    Q_OBJECT
public:
    /// Called with each job just before it starts: the live sample rate, the intensity token, the
    /// run it resumes, what it is attached to.
    using JobSetup = std::function<void(RunJob &job)>;

    explicit RunQueue(QObject *parent = nullptr);
    /// Cancels the active run and waits for it to be stored.
    ~RunQueue() override;

    /// Starts a run of @p config, stored in @p databasePath, now when nothing runs or waits, else
    /// after those; returns its id in this queue (ids start at 1).
    int submit(const RunConfig &config, const QString &databasePath, JobSetup setup = {});
    /// Waits for @p plan's best start (checked every second), then starts the run with the plan
    /// kept beside it. Refused with gw::Error while another run is active or waiting: a plan is for
    /// a start from now, and behind another job its window would have passed.
    int submitAt(const RunConfig &config, const QString &databasePath, const StartPlan &plan, JobSetup setup = {});
    /// Cancels run @p id: the active run (it is stored as cancelled), the wait for its start, or
    /// its place in the queue. False when no such run waits or goes.
    bool cancel(int id);

    /// A run is going or waiting for its start.
    bool isBusy() const { return runner_ != nullptr || waiting_.has_value(); }
    bool isRunning() const { return runner_ != nullptr; }
    bool isWaiting() const { return waiting_.has_value(); }
    /// The running or waiting run (0: none).
    int activeId() const { return activeId_; }
    int queuedCount() const { return int(queue_.size()); }
    /// The config of run @p id while it waits, is queued or runs.
    std::optional<RunConfig> configOf(int id) const;

Q_SIGNALS:
    void queued(int id, const QString &name);
    /// When run @p id starts waiting and then once a second: the seconds left and the plan.
    void waiting(int id, double delayS, const gw::StartPlan &plan);
    /// Run @p id's job is about to start on its thread: connect to its signals here.
    void started(int id, gw::RunJob *job);
    /// After the job has finished and its thread has ended.
    void finished(int id, const gw::RunSummary &summary);
    /// Run @p id was cancelled before it started (queued, or waiting for its greenest start).
    void dropped(int id, const QString &reason);

private:
    struct Entry {
        int id = 0;
        RunConfig config;
        QString databasePath;
        JobSetup setup;
        std::optional<StartPlan> plan;
    };
    void startNext();
    void launch(Entry entry);
    void onTick();
    void onJobFinished(const RunSummary &summary);

    int nextId_ = 1;
    std::deque<Entry> queue_;
    std::optional<Entry> waiting_;
    std::optional<Entry> running_;
    int activeId_ = 0;
    std::unique_ptr<JobRunner> runner_;
    QTimer tick_;
};

} // namespace gw
