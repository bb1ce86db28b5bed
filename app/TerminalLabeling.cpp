#include "TerminalLabeling.h"

#include "activelearning/InteractiveOracle.h"

#include <QVariantMap>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

namespace gw {

namespace {

void say(const QString &line)
{
    std::fputs((line + QLatin1Char('\n')).toUtf8().constData(), stdout);
    std::fflush(stdout);
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

void TerminalLabeling::start()
{
    InteractiveOracle *oracle = &oracle_;
    std::thread([oracle] {
        std::string line;
        while (std::getline(std::cin, line)) {
            const QString error = apply(QString::fromStdString(line), *oracle);
            if (!error.isEmpty())
                say(QStringLiteral("refused %1").arg(error));
        }
    }).detach();
}

QString TerminalLabeling::apply(const QString &line, InteractiveOracle &oracle)
{
    const QStringList words = line.simplified().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    if (words.isEmpty())
        return {};
    const auto number = [](const QString &text, bool &ok) { return text.toLongLong(&ok); };
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
    return QStringLiteral("cannot read '%1' (SAMPLE LABEL, undo SAMPLE, skip SAMPLE, rename CLASS NAME or submit)").arg(line.trimmed());
}

} // namespace gw
