#pragma once
#include "CommandArguments.h"

#include <QStringList>

class QTextStream;

namespace gw {
struct StartPlan;
}

namespace gw {

/// `green-workbench schedule CONFIG.json [--forecast FILE.csv] --deadline TIME --duration-s N
/// [--zone ZONE] [--now TIME] [--json]`: when to start a run for the lowest grid carbon intensity.
/// It only plans; waiting and starting the run is the caller's business (StartPlan::delayS).
class ScheduleCommand {
public:
    /// @p arguments are those after the word "schedule". Prints the plan to stdout and problems to
    /// stderr; returns the exit code (0 planned, 2 bad input or no forecast). Needs a QCoreApplication.
    static int execute(const QStringList &arguments);
    /// The same, writing to the given streams (for tests); the plan goes to @p planOut when given.
    static int execute(const QStringList &arguments, QTextStream &out, QTextStream &err, StartPlan *planOut = nullptr);
    static QString usage();
    /// The command's arguments, parsed (with --run, which the caller acts on); throws gw::Error.
    static CommandArguments parse(const QStringList &arguments);
};

} // namespace gw
