#pragma once
#include "training/Trainer.h"

#include <QJsonObject>
#include <QString>
#include <atomic>
#include <optional>

namespace gw {

class Database;
class Oracle;
struct RunConfig;

/// What the job around a piece of work offers it: energy windows, progress (which also drives
/// predictions, budgets and the store), metrics, notices and the cancel flag. RunJob implements
/// it; the work never touches the store or the sampler directly.
class RunContext {
public:
    virtual ~RunContext() = default;
    virtual const RunConfig &config() const = 0;
    virtual const std::atomic_bool &cancelFlag() const = 0;
    /// Opens a nested energy window (data, embed, train, eval, ...); endPhase closes the innermost.
    virtual void beginPhase(const QString &phase) = 0;
    virtual void endPhase() = 0;
    /// Marks the end of the preparations (data loading): predictions extrapolate the work from here
    /// on, on top of what was spent before.
    virtual void workStarts() = 0;
    /// After each batch: progress of the whole run, for the bar, the prediction and the budget.
    virtual void progress(const TrainingProgress &progress) = 0;
    /// After each epoch: stores its metrics and refines the prediction.
    virtual void epochFinished(const EpochResult &result, int epochs) = 0;
    /// A figure at @p step; @p scope names the part it is of ("variant int8", "client 17"), empty
    /// for the run as a whole.
    virtual void metric(qint64 step, const QString &name, double value, const QString &scope = QString()) = 0;
    /// Energy (J, PUE included) and emissions (g) of the run so far, and whether the energy is
    /// measured or estimated: for work that weighs its progress against its cost.
    virtual double energyJ() const = 0;
    virtual double emissionsG() const = 0;
    virtual QString energySource() const = 0;
    virtual void notice(const QString &message) = 0;
    /// Where caches that belong to the store live (a folder next to it).
    virtual QString cacheDirectory() const = 0;
    /// Where this run's artifacts go (inside the cache folder; created on the first call).
    virtual QString artifactDirectory() const = 0;
    /// Records @p file (in artifactDirectory) as this run's artifact of @p role and @p format,
    /// with its size and SHA-256, so a later run can take it as input and an altered file is found.
    virtual void recordArtifact(const QString &role, const QString &format, const QString &file, qint64 parameters) = 0;
    virtual qint64 runId() const = 0;
    /// Where this run keeps its checkpoint, and the checkpoint of the run it resumes ("" when it
    /// resumes none).
    virtual QString checkpointPath() const = 0;
    virtual QString resumeCheckpointPath() const = 0;
    /// The run this one continues (0: none).
    virtual qint64 resumedRunId() const = 0;
    /// The store, on the job's thread, for work that keeps records of its own (labels, rounds).
    virtual const Database &database() const = 0;
    /// The person who answers an active-learning run's queries (null: nobody is at the window).
    virtual Oracle *humanOracle() const = 0;
};

/// Ends a phase on every way out of a scope, exceptions included.
class PhaseScope {
public:
    PhaseScope(RunContext &context, const QString &phase) : context_(context) { context_.beginPhase(phase); }
    ~PhaseScope() { context_.endPhase(); }
    PhaseScope(const PhaseScope &) = delete;
    PhaseScope &operator=(const PhaseScope &) = delete;

private:
    RunContext &context_;
};

/// How a piece of work ended.
struct WorkOutcome {
    bool cancelled = false;
    std::optional<double> accuracy; ///< test accuracy, when the work has a test set
    qint64 labelsUsed = 0;
    QString status;                 ///< a status of the work's own (converged_green); empty: from cancelled
    QJsonObject summary;            ///< extra keys for the run's JSON summary (embedding_cache, model_source)
};

/// The work of one run: load its data and train (from scratch, fine-tune, pretrain). Throws
/// gw::Error for bad input; the job records the run as failed with that message.
class RunWork {
public:
    virtual ~RunWork() = default;
    virtual WorkOutcome execute(RunContext &context) = 0;
};

} // namespace gw
