#include "TerminalLabeling.h"
#include "activelearning/InteractiveOracle.h"

#include <QtTest>

using namespace gw;

class TestTerminalLabeling : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void linesAreTakenAsTheyComplete()
    {
        InteractiveOracle oracle(QStringLiteral("t"));
        QByteArray buffer("12 3\nsubm");
        bool overlong = false;
        QVERIFY(TerminalLabeling::consume(buffer, overlong, oracle).isEmpty());
        QCOMPARE(buffer, QByteArray("subm")); // the unfinished line waits for the rest
        buffer += "it\n";
        QVERIFY(TerminalLabeling::consume(buffer, overlong, oracle).isEmpty());
        QVERIFY(buffer.isEmpty());
    }

    // A NUL must neither cut the reply nor glue it to the next; control bytes are not echoed raw.
    void aLineWithANulIsRefusedReadably()
    {
        InteractiveOracle oracle(QStringLiteral("t"));
        QByteArray buffer("12\0x 3\nbogus\n", 13);
        bool overlong = false;
        const QStringList replies = TerminalLabeling::consume(buffer, overlong, oracle);
        QCOMPARE(replies.size(), 2);
        QVERIFY2(replies[0].startsWith(QStringLiteral("refused cannot read '12?x 3': it holds control characters")), qPrintable(replies[0]));
        QVERIFY2(replies[1].startsWith(QStringLiteral("refused cannot read 'bogus'")), qPrintable(replies[1]));
        for (const QString &reply : replies)
            QVERIFY(!reply.contains(QChar(0)));
    }

    // A 10 MB line is refused once and not echoed back; the lines after it are read as usual.
    void anOverlongLineIsRefusedOnceWithoutEcho()
    {
        InteractiveOracle oracle(QStringLiteral("t"));
        bool overlong = false;
        QStringList replies;
        QByteArray buffer;
        const QByteArray chunk(64 * 1024, 'x');
        for (int i = 0; i < 160; ++i) {
            buffer += chunk;
            replies += TerminalLabeling::consume(buffer, overlong, oracle);
            QVERIFY(buffer.size() <= TerminalLabeling::kMaxLineBytes);
        }
        buffer += "\nnonsense\n";
        replies += TerminalLabeling::consume(buffer, overlong, oracle);
        QCOMPARE(replies.size(), 2);
        QCOMPARE(replies[0], QStringLiteral("refused a line longer than %1 bytes").arg(TerminalLabeling::kMaxLineBytes));
        QVERIFY2(replies[1].startsWith(QStringLiteral("refused cannot read 'nonsense'")), qPrintable(replies[1]));
        // A long line that arrives whole is refused the same way.
        QByteArray whole = QByteArray(TerminalLabeling::kMaxLineBytes + 1, '7') + "\n";
        const QStringList again = TerminalLabeling::consume(whole, overlong, oracle);
        QCOMPARE(again, QStringList{QStringLiteral("refused a line longer than %1 bytes").arg(TerminalLabeling::kMaxLineBytes)});
    }

    // Found by fuzzing: int(toLongLong) made "3 4294967299" label 3 and class 4294967296 class 0.
    void numbersPastAnIntAreRefused()
    {
        InteractiveOracle oracle(QStringLiteral("t"));
        QVERIFY(!TerminalLabeling::apply(QStringLiteral("3 4294967299"), oracle).isEmpty());
        QVERIFY(!TerminalLabeling::apply(QStringLiteral("rename 4294967296 Coat"), oracle).isEmpty());
        QVERIFY(TerminalLabeling::apply(QStringLiteral("3 4"), oracle).isEmpty());
    }

    void anEchoIsCut()
    {
        InteractiveOracle oracle(QStringLiteral("t"));
        const QString error = TerminalLabeling::apply(QString(500, QLatin1Char('q')), oracle);
        QVERIFY2(error.size() < 200, qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestTerminalLabeling)
#include "tst_terminallabeling.moc"
