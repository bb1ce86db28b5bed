#pragma once
#include <QObject>
#include <QTextStream>

namespace gw {

class InteractiveOracle;

/// A person (or a script) labels from a terminal: each batch is printed on stdout, one "query"
/// line per sample, and answers are read from stdin, one per line:
///   SAMPLE LABEL | label SAMPLE LABEL | undo SAMPLE | skip SAMPLE | rename CLASS NAME | submit
/// Every decision is acknowledged on stdout ("ack label SAMPLE LABEL", "ack undo SAMPLE", ...)
/// only after it is committed to the store, so a script knows what survives a crash.
class TerminalLabeling : public QObject {
    Q_OBJECT
public:
    explicit TerminalLabeling(InteractiveOracle &oracle, QObject *parent = nullptr);
    /// Starts reading stdin on a thread of its own (left to end with the process: a read of stdin
    /// cannot be interrupted).
    void start();

    /// Applies one line of input to the oracle; returns an error message for a line it cannot read.
    static QString apply(const QString &line, InteractiveOracle &oracle);

private:
    InteractiveOracle &oracle_;
};

} // namespace gw
