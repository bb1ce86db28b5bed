#include "TerminalLabeling.h"

#include "activelearning/InteractiveOracle.h"

#include <QVariantMap>
#include <cerrno>
#include <limits>
#include <cstdio>

#include <poll.h>
#include <unistd.h>

namespace gw {

namespace {

void say(const QString &line)
{
    // Written with its length: a NUL in an echoed line must not cut the reply short.
    const QByteArray bytes = (line + QLatin1Char('\n')).toUtf8();
    std::fwrite(bytes.constData(), 1, std::size_t(bytes.size()), stdout);
    std::fflush(stdout);
}

/// A line as it may be echoed back: control characters (NUL included) shown as '?', and cut.
QString printable(const QString &line)
{
    constexpr int kMaxEchoed = 80;
    QString shown = line.trimmed().left(kMaxEchoed);
    for (QChar &c : shown)
        if (c.category() == QChar::Other_Control || c == QChar(0xFFFD))
            c = QLatin1Char('?');
    return line.trimmed().size() > kMaxEchoed ? shown + QStringLiteral("…") : shown;
}

} // namespace

TerminalLabeling::TerminalLabeling(InteractiveOracle &oracle, QObject *parent) : QObject(parent), oracle_(oracle)
{
    // Direct connections: printed on the loop's thread right after the commit, before it goes on.
    connect(&oracle_, &InteractiveOracle::batchRequested, this, [](const QVariantList &items, const QVariantMap &status) {
        const int round = status.value(QStringLiteral("round")).toInt();
        say(QStringLiteral("batch %1 %2 (labels so far %3 of %4; classes: %5)")
                .arg(round)
                .arg(items.size())
                .arg(status.value(QStringLiteral("labels_so_far")).toLongLong())
                .arg(status.value(QStringLiteral("budget")).toLongLong())
                .arg(status.value(QStringLiteral("class_names")).toStringList().join(QStringLiteral(", "))));
        for (const QVariant &item : items) {
            const QVariantMap m = item.toMap();
            const int predicted = m.value(QStringLiteral("predicted")).toInt();
            say(QStringLiteral("query %1 %2 %3 predicted %4 confidence %5")
                    .arg(round)
                    .arg(m.value(QStringLiteral("sample_index")).toLongLong())
                    .arg(m.value(QStringLiteral("sample_key")).toString(), predicted < 0 ? QStringLiteral("-") : QString::number(predicted))
                    .arg(m.value(QStringLiteral("confidence")).toDouble(), 0, 'f', 3));
        }
    }, Qt::DirectConnection);
    connect(&oracle_, &InteractiveOracle::labelStored, this, [](qint64 sample, int label) { say(QStringLiteral("ack label %1 %2").arg(sample).arg(label)); },
            Qt::DirectConnection);
    connect(&oracle_, &InteractiveOracle::labelUndone, this, [](qint64 sample) { say(QStringLiteral("ack undo %1").arg(sample)); }, Qt::DirectConnection);
    connect(&oracle_, &InteractiveOracle::sampleSkipped, this, [](qint64 sample) { say(QStringLiteral("ack skip %1").arg(sample)); }, Qt::DirectConnection);
    connect(&oracle_, &InteractiveOracle::classRenamed, this, [](int c, const QString &name) { say(QStringLiteral("ack rename %1 %2").arg(c).arg(name)); },
            Qt::DirectConnection);
    connect(&oracle_, &InteractiveOracle::batchFinished, this, [](int round) { say(QStringLiteral("done %1").arg(round)); }, Qt::DirectConnection);
    connect(&oracle_, &InteractiveOracle::refused, this, [](const QString &reason) { say(QStringLiteral("refused %1").arg(reason)); },
            Qt::DirectConnection);
}

TerminalLabeling::~TerminalLabeling()
{
    stop_.store(true);
    if (reader_.joinable())
        reader_.join();
}

void TerminalLabeling::start()
{
    // poll() with a short timeout rather than a blocking read, so the thread can be stopped and joined.
    reader_ = std::thread([this] {
        QByteArray buffer;
        bool overlong = false;
        char chunk[4096];
        while (!stop_.load()) {
            pollfd input{STDIN_FILENO, POLLIN, 0};
            const int ready = ::poll(&input, 1, 100);
            if (ready < 0 && errno == EINTR)
                continue;
            if (ready <= 0)
                continue;
            const ssize_t got = ::read(STDIN_FILENO, chunk, sizeof chunk);
            if (got < 0 && (errno == EINTR || errno == EAGAIN))
                continue;
            if (got <= 0) {
                // The last line may lack its line end.
                if (!buffer.isEmpty() && !overlong)
                    buffer.append('\n');
                for (const QString &reply : consume(buffer, overlong, oracle_))
                    say(reply);
                Q_EMIT inputEnded();
                return;
            }
            buffer.append(chunk, qsizetype(got));
            for (const QString &reply : consume(buffer, overlong, oracle_))
                say(reply);
        }
    });
}

QStringList TerminalLabeling::consume(QByteArray &buffer, bool &overlong, InteractiveOracle &oracle)
{
    QStringList replies;
    qsizetype start = 0;
    for (qsizetype end; (end = buffer.indexOf('\n', start)) >= 0; start = end + 1) {
        if (overlong || end - start > kMaxLineBytes) {
            if (!overlong)
                replies << QStringLiteral("refused a line longer than %1 bytes").arg(kMaxLineBytes);
            overlong = false; // the overlong line ends here
            continue;
        }
        const QString error = apply(QString::fromUtf8(buffer.constData() + start, end - start), oracle);
        if (!error.isEmpty())
            replies << QStringLiteral("refused %1").arg(error);
    }
    buffer.remove(0, start);
    if (buffer.size() > kMaxLineBytes) {
        // No line end in sight: drop what came so far and say so once, when it ends.
        if (!overlong)
            replies << QStringLiteral("refused a line longer than %1 bytes").arg(kMaxLineBytes);
        overlong = true;
        buffer.clear();
    }
    return replies;
}

QString TerminalLabeling::apply(const QString &line, InteractiveOracle &oracle)
{
    // A NUL or another control byte is no part of an answer; Qt's number parsing would stop at a
    // NUL and read "12\0x" as 12.
    for (const QChar c : line)
        if (c.category() == QChar::Other_Control && c != QLatin1Char('\t') && c != QLatin1Char('\r'))
            return QStringLiteral("cannot read '%1': it holds control characters").arg(printable(line));
    const QStringList words = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words.isEmpty())
        return {};
    // Numbers past an int are refused, not cut: "3 4294967299" must not become label 3.
    const auto number = [](const QString &text, bool &ok) {
        const qint64 value = text.toLongLong(&ok);
        ok = ok && value >= std::numeric_limits<int>::min() && value <= std::numeric_limits<int>::max();
        return value;
    };
    bool ok1 = false, ok2 = false;
    const QString verb = words.first();
    if (verb == QStringLiteral("submit") && words.size() == 1) {
        oracle.submit();
        return {};
    }
    if ((verb == QStringLiteral("undo") || verb == QStringLiteral("skip")) && words.size() == 2) {
        const qint64 sample = number(words[1], ok1);
        if (ok1) {
            verb == QStringLiteral("undo") ? oracle.undo(sample) : oracle.skip(sample);
            return {};
        }
    }
    if (verb == QStringLiteral("rename") && words.size() >= 3) {
        const int c = int(number(words[1], ok1));
        if (ok1) {
            oracle.renameClass(c, words.mid(2).join(QLatin1Char(' ')));
            return {};
        }
    }
    const QStringList pair = verb == QStringLiteral("label") ? words.mid(1) : words;
    if (pair.size() == 2) {
        const qint64 sample = number(pair[0], ok1);
        const int label = int(number(pair[1], ok2));
        if (ok1 && ok2) {
            oracle.assign(sample, label);
            return {};
        }
    }
    return QStringLiteral("cannot read '%1' (SAMPLE LABEL, undo SAMPLE, skip SAMPLE, rename CLASS NAME or submit)").arg(printable(line));
}

} // namespace gw
