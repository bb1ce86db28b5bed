#pragma once
#include <QStringList>

namespace gw {

/// `green-workbench worker --coordinator HOST:PORT --token-file FILE [--name NAME] [--data PATH]
/// [--db FILE]`: this machine joins a federation across hosts as a `federated-worker` run of its
/// own store (the federated plugin's kind), until the coordinator ends the run.
class WorkerCommand {
public:
    /// @p arguments are those after the word "worker". Returns the exit code.
    static int execute(const QStringList &arguments);
    static QString usage();
};

} // namespace gw
