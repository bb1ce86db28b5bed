#include "CommandArguments.h"
#include "Error.h"

#include <QtTest>

using namespace gw;

class TestCommandArguments : public QObject {
    Q_OBJECT
private:
    static CommandArguments exportLike()
    {
        return CommandArguments(QStringLiteral("export"), {{QStringLiteral("--db"), QStringLiteral("FILE")}, {QStringLiteral("--json"), QString()}}, 1);
    }
    static QString errorOf(CommandArguments args, const QStringList &arguments)
    {
        try {
            args.parse(arguments);
        } catch (const Error &e) {
            return e.message();
        }
        return QString();
    }

private Q_SLOTS:
    void valuesFlagsAndPositionals()
    {
        CommandArguments args = exportLike();
        args.parse({QStringLiteral("config.json"), QStringLiteral("--db"), QStringLiteral("a.sqlite"), QStringLiteral("--json")});
        QCOMPARE(args.value(QStringLiteral("--db")), QStringLiteral("a.sqlite"));
        QVERIFY(args.has(QStringLiteral("--json")));
        QVERIFY(!args.wantsHelp());
        QCOMPARE(args.positional(), QStringList{QStringLiteral("config.json")});

        CommandArguments inlined = exportLike();
        inlined.parse({QStringLiteral("--db=b=c.sqlite"), QStringLiteral("-h")});
        QCOMPARE(inlined.value(QStringLiteral("--db")), QStringLiteral("b=c.sqlite")); // only the first '=' splits
        QVERIFY(inlined.wantsHelp());
        QCOMPARE(inlined.value(QStringLiteral("--missing"), QStringLiteral("fallback")), QStringLiteral("fallback"));
    }

    void badArgumentsNameTheOption_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown") << QStringList{QStringLiteral("--fast")} << QStringLiteral("unknown option --fast (see green-workbench export --help)");
        QTest::newRow("no value") << QStringList{QStringLiteral("--db")} << QStringLiteral("--db needs a value (FILE)");
        QTest::newRow("flag with value") << QStringList{QStringLiteral("--json=yes")} << QStringLiteral("--json takes no value");
        QTest::newRow("twice") << QStringList{QStringLiteral("--db"), QStringLiteral("a"), QStringLiteral("--db=b")}
                               << QStringLiteral("--db given twice ('a' and 'b')");
        QTest::newRow("stray") << QStringList{QStringLiteral("a.json"), QStringLiteral("b.json")} << QStringLiteral("takes 1 positional argument(s), got 'b.json'");
        QTest::newRow("run parameter not accepted") << QStringList{QStringLiteral("--training.epochs=3")} << QStringLiteral("unknown option --training.epochs");
    }
    void badArgumentsNameTheOption()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        const QString message = errorOf(exportLike(), arguments);
        QVERIFY2(message.contains(expected), qPrintable(message));
    }

    void runParametersKeepTheirOrder()
    {
        CommandArguments args(QStringLiteral("run"), {{QStringLiteral("--db"), QStringLiteral("FILE")}}, 1);
        args.acceptingRunParameters().parse({QStringLiteral("--training.epochs=3"), QStringLiteral("--set"), QStringLiteral("seed=7"),
                                             QStringLiteral("--training.epochs"), QStringLiteral("4"), QStringLiteral("--db"), QStringLiteral("x")});
        const QList<QPair<QString, QString>> expected{{QStringLiteral("training.epochs"), QStringLiteral("3")},
                                                      {QStringLiteral("seed"), QStringLiteral("7")},
                                                      {QStringLiteral("training.epochs"), QStringLiteral("4")}};
        QCOMPARE(args.assignments(), expected);
        QCOMPARE(args.value(QStringLiteral("--db")), QStringLiteral("x"));
        CommandArguments broken(QStringLiteral("run"), {}, 0);
        broken.acceptingRunParameters();
        QVERIFY(errorOf(broken, {QStringLiteral("--set"), QStringLiteral("seed")}).contains(QStringLiteral("--set needs KEY=VALUE")));
        QVERIFY(errorOf(broken, {QStringLiteral("--training.nonsense=1")}).contains(QStringLiteral("unknown option --training.nonsense")));
    }

    void numbersAreChecked()
    {
        CommandArguments args(QStringLiteral("pretrain"), {{QStringLiteral("--epochs"), QStringLiteral("N")}, {QStringLiteral("--lr"), QStringLiteral("X")}});
        args.parse({QStringLiteral("--epochs=0"), QStringLiteral("--lr"), QStringLiteral("0.5")});
        QCOMPARE(args.number(QStringLiteral("--lr"), 1, 0, 1), 0.5);
        QCOMPARE(args.integer(QStringLiteral("--missing"), 9, 1), qint64(9));
        QVERIFY_THROWS_EXCEPTION(Error, args.integer(QStringLiteral("--epochs"), 1, 1));
        QVERIFY_THROWS_EXCEPTION(Error, args.number(QStringLiteral("--lr"), 1, 0.6, 1));
    }

    void reassembleWritesOptionsAgain()
    {
        CommandArguments args = exportLike();
        args.parse({QStringLiteral("--json"), QStringLiteral("--db=x.sqlite"), QStringLiteral("c.json")});
        QCOMPARE(args.reassemble({QStringLiteral("--db"), QStringLiteral("--json"), QStringLiteral("--absent")}),
                 (QStringList{QStringLiteral("--db"), QStringLiteral("x.sqlite"), QStringLiteral("--json")}));
    }
};

QTEST_GUILESS_MAIN(TestCommandArguments)
#include "tst_commandarguments.moc"
