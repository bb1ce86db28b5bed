#include "jobs/RunQueue.h"

#include "Error.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"

#include <algorithm>

namespace gw {

RunQueue::RunQueue(QObject *parent) : QObject(parent)
{
    qRegisterMetaType<gw::StartPlan>();
    tick_.setInterval(1000);
    connect(&tick_, &QTimer::timeout, this, &RunQueue::onTick);
}

RunQueue::~RunQueue() = default;

int RunQueue::submit(const RunConfig &config, const QString &databasePath, JobSetup setup)
{
    Entry entry{nextId_++, config, databasePath, std::move(setup), std::nullopt};
    const int id = entry.id;
    if (!isBusy()) {
        launch(std::move(entry));
        return id;
    }
    queue_.push_back(std::move(entry));
    Q_EMIT queued(id, config.name);
    return id;
}

int RunQueue::submitAt(const RunConfig &config, const QString &databasePath, const StartPlan &plan, JobSetup setup)
{
    if (isBusy())
        throw Error(QStringLiteral("%1 was not scheduled: finish or cancel the running job first, then plan its greenest start").arg(config.name));
    waiting_ = Entry{nextId_++, config, databasePath, std::move(setup), plan};
    activeId_ = waiting_->id;
    tick_.start();
    onTick();
    return activeId_;
}

bool RunQueue::cancel(int id)
{
    if (running_ && running_->id == id) {
        runner_->cancel();
        return true;
    }
    if (waiting_ && waiting_->id == id) {
        tick_.stop();
        waiting_.reset();
        activeId_ = 0;
        Q_EMIT dropped(id, QStringLiteral("Cancelled while waiting for its greenest start"));
        startNext();
        return true;
    }
    const auto queued = std::find_if(queue_.begin(), queue_.end(), [id](const Entry &e) { return e.id == id; });
    if (queued == queue_.end())
        return false;
    queue_.erase(queued);
    Q_EMIT dropped(id, QStringLiteral("Cancelled before it started"));
    return true;
}

std::optional<RunConfig> RunQueue::configOf(int id) const
{
    for (const std::optional<Entry> *e : {&running_, &waiting_})
        if (*e && (*e)->id == id)
            return (*e)->config;
    for (const Entry &e : queue_)
        if (e.id == id)
            return e.config;
    return std::nullopt;
}

void RunQueue::onTick()
{
    if (!waiting_) {
        tick_.stop();
        return;
    }
    const double delayS = waiting_->plan->delayS();
    Q_EMIT waiting(waiting_->id, delayS, *waiting_->plan);
    if (delayS > 0 || !waiting_) // a receiver may have cancelled the wait
        return;
    tick_.stop();
    Entry due = std::move(*waiting_);
    waiting_.reset();
    launch(std::move(due));
}

void RunQueue::startNext()
{
    if (isBusy() || queue_.empty())
        return;
    Entry next = std::move(queue_.front());
    queue_.pop_front();
    launch(std::move(next));
}

void RunQueue::launch(Entry entry)
{
    activeId_ = entry.id;
    auto *job = new RunJob(entry.config, entry.databasePath);
    if (entry.plan)
        job->setStartPlan(*entry.plan);
    if (entry.setup)
        entry.setup(*job);
    running_ = std::move(entry);
    runner_ = std::make_unique<JobRunner>(job);
    connect(job, &RunJob::finished, this, &RunQueue::onJobFinished);
    Q_EMIT started(activeId_, job);
    runner_->start();
}

void RunQueue::onJobFinished(const RunSummary &summary)
{
    // The job's thread is ending; joining it here is quick and frees the queue for the next run.
    runner_.reset();
    const int id = running_->id;
    running_.reset();
    activeId_ = 0;
    Q_EMIT finished(id, summary);
    startNext();
}

} // namespace gw
