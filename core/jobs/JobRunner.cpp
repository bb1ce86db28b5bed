#include "jobs/JobRunner.h"

#include "jobs/RunJob.h"

namespace gw {

JobRunner::JobRunner(RunJob *job, QObject *parent) : QObject(parent), job_(job)
{
    thread_.setObjectName(QStringLiteral("gw-run-job"));
    job_->moveToThread(&thread_);
    connect(&thread_, &QThread::started, job_, &RunJob::run);
    connect(job_, &RunJob::finished, &thread_, &QThread::quit, Qt::DirectConnection);
    connect(&thread_, &QThread::finished, this, &JobRunner::done);
}

JobRunner::~JobRunner()
{
    cancel();
    thread_.quit();
    thread_.wait();
    delete job_;
}

void JobRunner::start()
{
    thread_.start();
}

void JobRunner::cancel()
{
    job_->cancel();
}

} // namespace gw
