#pragma once
#include "jobs/RunQueue.h"

#include <QString>
#include <QStringList>
#include <functional>
#include <vector>

namespace gw {

class RunRepository;
struct RunRecord;

/// The headless side of green-workbench: `run`, `runs`, `export`, `labels`, `schedule`, `pretrain`, `plugins`, `--version`, `--help`.
class CommandLine {
public:
    /// True when @p arguments (without the program name) ask for the headless mode.
    static bool wantsHeadless(const QStringList &arguments);
    /// Runs the command; needs a QCoreApplication. Returns the process exit code.
    static int execute(const QStringList &arguments);

    static QString defaultDatabasePath();
    /// Loads the plugins (PluginManager::instance()) from the default folders, leaving out those
    /// the settings disable. Once per process, before any config is read.
    static void loadPlugins();
    /// The embedded default job: the bundled pretrained backbone, a linear probe on 1,000
    /// Fashion-MNIST labels.
    static QString defaultConfigPath() { return QStringLiteral(":/gw/examples/fashion-green.json"); }
    static QString usage();

    /// Runs @p config through a RunQueue (its job set up by @p setup; after waiting for the best
    /// start of @p startPlan, when given) while this thread prints its progress, steps,
    /// predictions and notices to stderr; Ctrl+C cancels the run cleanly, or the wait. Needs a
    /// QCoreApplication; returns when the run has finished (or was not started), with its
    /// summary printed.
    static RunSummary runInForeground(const RunConfig &config, const QString &db, const RunQueue::JobSetup &setup = {},
                                      const StartPlan *startPlan = nullptr);
    /// `run` with @p arguments (those after the word), for the commands that are runs of a kind with
    /// options of their own (worker). @p startPlan: the run was scheduled; its plan is stored with it.
    static int run(const QStringList &arguments, const StartPlan *startPlan = nullptr);
    /// 0 for a run that ended as planned, 130 cancelled, 1 failed.
    static int exitCode(const RunSummary &summary);
    /// The run `run --resume RUN_ID` continues: the latest run of RUN_ID's chain of resumptions;
    /// throws gw::Error when that one is still running or has nothing left to do.
    static RunRecord resumableRun(const RunRepository &repository, qint64 runId);

private:
    /// A headless command: its word, what runs it (with the arguments after the word), and
    /// whether it answers --help itself.
    struct Subcommand {
        QString name;
        std::function<int(const QStringList &)> execute;
        bool ownUsage = false;
    };
    static const std::vector<Subcommand> &subcommands();

    static int listRuns(const QStringList &arguments);
    static int exportRun(const QStringList &arguments);
    static int schedule(const QStringList &arguments);
    static int labels(const QStringList &arguments);
    static int plugins(const QStringList &arguments);
    static int artifacts(const QStringList &arguments);
    static int exportModel(qint64 runId, const QString &role, const QString &output, const QString &db);
};

} // namespace gw
