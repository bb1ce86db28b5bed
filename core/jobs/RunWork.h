#pragma once
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>
#include <algorithm>
#include <atomic>
#include <optional>
#include <utility>

class QObject;

namespace gw {

class Database;
struct RunConfig;

/// Where a piece of work stands: @p done of @p total units of its own (samples, labels, clients x
/// rounds), with a line for people. The job turns it into the bar, the prediction and the budget.
struct WorkProgress {
    double done = 0;
    double total = 0;
    QString message;
    /// The work may end before @p total (early stopping, green stopping, stopping rules): the
    /// prediction from it is then an upper bound, said as such, and a budget acts on the tally only.
    bool mayEndEarly = false;
    /// With mayEndEarly: the least total the work can still come to (0: not known).
    double leastTotal = 0;
    double fraction() const { return total > 0 ? std::min(1.0, std::max(0.0, done / total)) : 0; }
};

/// One finished step of the work (an epoch, a labeling round, a federated round, a variant) and
/// its named figures, in the order given: each is stored as a metric at @p step and @p scope, the
/// window and the command line show them, and the prediction is refined from the latest progress.
struct WorkStep {
    WorkStep(QString noun, qint64 step, qint64 steps, QString scope = QString())
        : noun(std::move(noun)), step(step), steps(steps), scope(std::move(scope))
    {
    }
    QString noun;     ///< what a step is called: "epoch", "round"
    qint64 step = 0;  ///< 1-based
    qint64 steps = 0; ///< how many the work expects (0: not known)
    QString scope;    ///< empty: the run as a whole
    /// One of many parts' figures (a federated client's each round): stored, and shown in the views
    /// of parts, but not printed line by line.
    bool detail = false;
    QList<QPair<QString, double>> values;
    WorkStep &add(const QString &name, double value)
    {
        values.append({name, value});
        return *this;
    }
};

/// What a closed measured window cost: energy (J, PUE included) and wall time.
struct MeasuredCost {
    double energyJ = 0;
    double durationS = 0;
};

/// What the job around a piece of work offers it, whatever kind of run it is: measured energy
/// windows, progress (which also drives predictions, budgets and the store), steps and metrics,
/// notices, artifacts in and out, and the cancel flag. RunJob implements it; the work never
/// touches the sampler directly.
class RunContext {
public:
    virtual ~RunContext() = default;
    virtual const RunConfig &config() const = 0;
    virtual const std::atomic_bool &cancelFlag() const = 0;

    /// Opens a nested energy window for @p phase (data, embed, train, eval, ...) of @p scope
    /// ("variant int8", "client 17"; empty: the run as a whole); endWindow closes the innermost
    /// and says what it cost. Prefer MeasuredWindow, which closes it on every way out.
    virtual void beginWindow(const QString &phase, const QString &scope = QString()) = 0;
    virtual MeasuredCost endWindow() = 0;
    /// The work waits on something outside the machine (a person answering) or goes on again: while
    /// it waits the job samples at the config's own rate rather than the faster one a live view asks
    /// for, so a wait costs no more than it must, in power and in redraws.
    virtual void setWaiting(bool waiting) = 0;
    /// Marks the end of the preparations (data loading): predictions extrapolate the work from here
    /// on, on top of what was spent before.
    virtual void workStarts() = 0;
    /// As often as the work likes (after each batch): the job throttles what it shows.
    virtual void progress(const WorkProgress &progress) = 0;
    virtual void stepFinished(const WorkStep &step) = 0;
    /// A figure at @p step; @p scope names the part it is of, empty for the run as a whole.
    virtual void metric(qint64 step, const QString &name, double value, const QString &scope = QString()) = 0;
    /// Energy (J, PUE included) and emissions (g) of the run so far, and whether the energy is
    /// measured or estimated: for work that weighs its progress against its cost.
    virtual double energyJ() const = 0;
    virtual double emissionsG() const = 0;
    virtual QString energySource() const = 0;
    virtual void notice(const QString &message) = 0;

    /// Where caches that belong to the store live (a folder next to it).
    virtual QString cacheDirectory() const = 0;
    /// Artifacts in: the file of run @p runId's artifact of @p role and @p format, its hash
    /// checked; throws gw::Error naming the run or the file when it is missing or altered.
    virtual QString inputArtifact(qint64 runId, const QString &role, const QString &format) const = 0;
    /// Artifacts out: where this run's go (inside the cache folder; created on the first call),
    /// and the record of one of them (size and SHA-256), so a later run can take it as input.
    virtual QString artifactDirectory() const = 0;
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
    /// An object the starter of the run handed to its kind under @p name (the person answering
    /// an active-learning run's queries); null when none was.
    virtual QObject *attachment(const QString &name) const = 0;
};

/// A measured energy window that ends on every way out of a scope, exceptions included; finish()
/// ends it early and says what it cost.
class MeasuredWindow {
public:
    MeasuredWindow(RunContext &context, const QString &phase, const QString &scope = QString()) : context_(context)
    {
        context_.beginWindow(phase, scope);
    }
    ~MeasuredWindow()
    {
        if (open_)
            context_.endWindow();
    }
    MeasuredCost finish()
    {
        if (!open_)
            return cost_;
        open_ = false;
        cost_ = context_.endWindow();
        return cost_;
    }
    MeasuredWindow(const MeasuredWindow &) = delete;
    MeasuredWindow &operator=(const MeasuredWindow &) = delete;

private:
    RunContext &context_;
    bool open_ = true;
    MeasuredCost cost_;
};

/// How a piece of work ended.
struct WorkOutcome {
    bool cancelled = false;
    std::optional<double> accuracy; ///< test accuracy, when the work has a test set
    qint64 labelsUsed = 0;
    QString status;                 ///< a status of the work's own (converged_green); empty: from cancelled
    QJsonObject summary;            ///< extra keys for the run's JSON summary (embedding_cache, model_source)
};

/// The work of one run: load its data and do what its kind does. Throws gw::Error for bad input;
/// the job records the run as failed with that message.
class RunWork {
public:
    virtual ~RunWork() = default;
    virtual WorkOutcome execute(RunContext &context) = 0;
};

} // namespace gw
