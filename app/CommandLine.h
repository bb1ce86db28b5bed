#pragma once
#include <QString>
#include <QStringList>

namespace gw {

struct StartPlan;

/// The headless side of green-workbench: `run`, `runs`, `export`, `schedule`, `--version`, `--help`.
class CommandLine {
public:
    /// True when @p arguments (without the program name) ask for the headless mode.
    static bool wantsHeadless(const QStringList &arguments);
    /// Runs the command; needs a QCoreApplication. Returns the process exit code.
    static int execute(const QStringList &arguments);

    static QString defaultDatabasePath();
    static QString usage();

private:
    /// @p startPlan: the run was scheduled; its plan is stored with it.
    static int run(const QStringList &arguments, const StartPlan *startPlan = nullptr);
    static int listRuns(const QStringList &arguments);
    static int exportRun(const QStringList &arguments);
    static int schedule(const QStringList &arguments);
};

} // namespace gw
