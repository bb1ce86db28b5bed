#pragma once
#include "config/RunConfig.h"
#include "jobs/RunWork.h"

namespace gw {

/// Another run's config over this run's context: a data-parallel worker does the coordinator's
/// work (its config) with its own job's measurement, store, artifacts and cancel flag.
class RunContextWithConfig : public RunContext {
public:
    RunContextWithConfig(RunContext &inner, RunConfig config) : inner_(inner), config_(std::move(config)) {}

    const RunConfig &config() const override { return config_; }
    const std::atomic_bool &cancelFlag() const override { return inner_.cancelFlag(); }
    void beginWindow(const QString &phase, const QString &scope = QString()) override { inner_.beginWindow(phase, scope); }
    MeasuredCost endWindow() override { return inner_.endWindow(); }
    void setWaiting(bool waiting) override { inner_.setWaiting(waiting); }
    void workStarts() override { inner_.workStarts(); }
    void progress(const WorkProgress &progress) override { inner_.progress(progress); }
    void stepFinished(const WorkStep &step) override { inner_.stepFinished(step); }
    void metric(qint64 step, const QString &name, double value, const QString &scope = QString()) override { inner_.metric(step, name, value, scope); }
    double energyJ() const override { return inner_.energyJ(); }
    double emissionsG() const override { return inner_.emissionsG(); }
    QString energySource() const override { return inner_.energySource(); }
    void notice(const QString &message) override { inner_.notice(message); }
    QString cacheDirectory() const override { return inner_.cacheDirectory(); }
    QString inputArtifact(qint64 runId, const QString &role, const QString &format) const override { return inner_.inputArtifact(runId, role, format); }
    QString artifactDirectory() const override { return inner_.artifactDirectory(); }
    void recordArtifact(const QString &role, const QString &format, const QString &file, qint64 parameters) override
    {
        inner_.recordArtifact(role, format, file, parameters);
    }
    qint64 runId() const override { return inner_.runId(); }
    QString checkpointPath() const override { return inner_.checkpointPath(); }
    QString resumeCheckpointPath() const override { return QString(); } // a worker starts with its coordinator
    qint64 resumedRunId() const override { return 0; }
    const Database &database() const override { return inner_.database(); }
    QObject *attachment(const QString &name) const override { return inner_.attachment(name); }

private:
    RunContext &inner_;
    RunConfig config_;
};

} // namespace gw
