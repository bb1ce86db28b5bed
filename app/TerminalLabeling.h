#pragma once
#include <QObject>
#include <QStringList>
#include <atomic>
#include <thread>

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
    /// A longer line is refused (and not echoed): no answer is near this long.
    static constexpr int kMaxLineBytes = 4096;

    explicit TerminalLabeling(InteractiveOracle &oracle, QObject *parent = nullptr);
    /// Stops and joins the reading thread.
    ~TerminalLabeling() override;
    /// Starts reading stdin on a thread of its own.
    void start();

    /// Applies one line of input to the oracle; returns an error message for a line it cannot read.
    static QString apply(const QString &line, InteractiveOracle &oracle);
    /// Splits @p buffer into lines as they complete (what is left is kept for the next read) and
    /// applies each, refusing lines over kMaxLineBytes; @p overlong says a line being discarded
    /// goes on. Returns the replies for lines that could not be read.
    static QStringList consume(QByteArray &buffer, bool &overlong, InteractiveOracle &oracle);

Q_SIGNALS:
    /// Standard input reached its end: nobody can answer any more (emitted on the reading thread).
    void inputEnded();

private:
    InteractiveOracle &oracle_;
    std::atomic_bool stop_{false};
    std::thread reader_;
};

} // namespace gw
