#include "Error.h"
#include "config/RunConfig.h"
#include "config/RunParameters.h"
#include "extension/RunKind.h"
#include "extension/RunKindRegistry.h"

#include <QtTest>

using namespace gw;
using nlohmann::json;

namespace {

/// A valid value of @p p that differs from its value in @p config.
json otherValue(const RunParameter &p, const RunConfig &config)
{
    const json current = p.get(config);
    switch (p.type) {
    case ParameterType::Integer:
        return json(current.get<std::int64_t>() == std::int64_t(p.min) ? std::int64_t(p.min) + 1 : std::int64_t(p.min));
    case ParameterType::Number:
        return json(current.get<double>() == p.min ? (p.min + std::min(p.max, p.min + 1)) / 2 : p.min);
    case ParameterType::OptionalNumber:
        return current.is_null() ? json(p.max > 1 ? 2.5 : (p.min + p.max) / 2) : json(nullptr);
    case ParameterType::Boolean:
        return json(!current.get<bool>());
    case ParameterType::Choice:
        return json((current == json(p.choices.last().toStdString()) ? p.choices.first() : p.choices.last()).toStdString());
    case ParameterType::Shape3:
        return json::array({3, 32, 32});
    case ParameterType::Text:
        return json(p.country ? "DEU" : "other name");
    case ParameterType::Path:
        return json("/tmp/some where/file");
    }
    return json();
}

} // namespace

/// A kind that reads @p key (its owner for a kind's own key).
QString kindReading(const QString &key)
{
    for (const RunKind *kind : RunKindRegistry::instance().kinds())
        if (kind->uses(key))
            return kind->id();
    return QStringLiteral("train");
}

class TestRunParameters : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void everyConfigKeyIsAParameter()
    {
        // The writer is generated from the parameters: every key it writes for a kind is described
        // and read by that kind, and the other way round, so the form and the command line miss none.
        QSet<QString> written;
        for (const RunKind *kind : RunKindRegistry::instance().kinds()) {
            const json root = RunParameters::toJson(RunConfig::defaultsFor(kind->id()));
            std::function<void(const json &, const QString &)> walk = [&](const json &node, const QString &path) {
                for (auto it = node.begin(); it != node.end(); ++it) {
                    const QString key = path.isEmpty() ? QString::fromStdString(it.key()) : path + QLatin1Char('.') + QString::fromStdString(it.key());
                    if (RunParameters::findSection(key)) {
                        walk(*it, key);
                    } else {
                        QVERIFY2(RunParameters::find(key), qPrintable(key));
                        QVERIFY2(kind->uses(key), qPrintable(kind->id() + QStringLiteral(" writes ") + key));
                        written.insert(key);
                    }
                }
            };
            walk(root, QString());
        }
        QCOMPARE(written.size(), int(RunParameters::all().size()));
        for (const RunParameter &p : RunParameters::all()) {
            QVERIFY2(!p.label.isEmpty() && !p.help.isEmpty(), qPrintable(p.key));
            QVERIFY2(p.get && p.set, qPrintable(p.key));
        }
    }

    void everyParameterRoundTripsThroughJsonAndText()
    {
        for (const RunParameter &p : RunParameters::all()) {
            RunConfig config = RunConfig::defaultsFor(kindReading(p.key));
            const json value = otherValue(p, config);
            p.check(value, QStringLiteral("t"));
            p.set(config, value);
            QVERIFY2(p.get(config) == value, qPrintable(p.key));
            // JSON tree and back.
            const RunConfig back = RunParameters::fromJson(RunParameters::toJson(config), QStringLiteral("t"));
            QVERIFY2(p.get(back) == value, qPrintable(p.key + QStringLiteral(": ") + QString::fromStdString(p.get(back).dump())));
            // Command-line text and back.
            QVERIFY2(p.parseText(p.toText(value), QStringLiteral("t")) == value, qPrintable(p.key + QStringLiteral(" as text ") + p.toText(value)));
        }
    }

    void commandLineOptionsRebuildTheConfig()
    {
        const RunConfig base = RunConfig::fromJsonText(R"({"name": "base", "model": {"source": "bundled"}, "training": {"mode": "linear-probe"}})",
                                                       QStringLiteral("base"));
        QCOMPARE(base.kind, QStringLiteral("finetune"));
        RunConfig tuned = base;
        tuned.name = QStringLiteral("tuned it");
        tuned.training.epochs = 7;
        tuned.training.learningRate = 0.0003;
        tuned.energy.country = QStringLiteral("SWE");
        tuned.energy.budgetG = 1.25;
        RunConfig asking = base; // another kind: active learning
        asking.kind = QStringLiteral("active-learning");
        asking.activeLearning.enabled = true;
        asking.activeLearning.strategy = QStringLiteral("badge");
        asking.activeLearning.stop.kappa.reset();
        for (const RunConfig &config : {tuned, asking}) {
            const QStringList options = RunParameters::commandLineOptions(config, base);
            QVERIFY(!options.join(QLatin1Char(' ')).contains(QStringLiteral("batch_size"))); // unchanged: not written
            json root = RunConfig::parseJson(base.toJsonText(), QStringLiteral("base"));
            for (const QString &option : options) {
                const QString assignment = option.mid(2);
                RunParameters::overrideInJson(root, assignment.section(QLatin1Char('='), 0, 0), assignment.section(QLatin1Char('='), 1), option);
            }
            QCOMPARE(RunConfig::fromJson(root, QStringLiteral("rebuilt")).toJsonText(), config.toJsonText());
            QVERIFY(RunParameters::commandLineOptions(config, config).isEmpty());
        }
        const QStringList tunedOptions = RunParameters::commandLineOptions(tuned, base);
        QVERIFY(tunedOptions.contains(QStringLiteral("--training.epochs=7")));
        QVERIFY(!tunedOptions.join(QLatin1Char(' ')).contains(QStringLiteral("--kind")));
        const QStringList askingOptions = RunParameters::commandLineOptions(asking, base);
        QCOMPARE(askingOptions.value(0), QStringLiteral("--kind=active-learning"));
        QVERIFY(askingOptions.contains(QStringLiteral("--active_learning.stop.kappa=none")));
        QVERIFY(askingOptions.contains(QStringLiteral("--active_learning.strategy=badge")));
    }

    void configsWithoutAKindGetTheKindTheirKeysImply_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("kind");
        QTest::newRow("empty") << "{}" << "train";
        QTest::newRow("scratch mode") << R"({"training": {"mode": "scratch"}})" << "train";
        QTest::newRow("linear probe") << R"({"training": {"mode": "linear-probe"}, "model": {"source": "bundled"}})" << "finetune";
        QTest::newRow("active learning") << R"({"training": {"mode": "linear-probe"}, "active_learning": {"batch": 5}})" << "active-learning";
        QTest::newRow("active learning off") << R"({"training": {"mode": "finetune-full"}, "active_learning": null})" << "finetune";
        // Stores from before run kinds kept pretraining as a mode no training section has.
        QTest::newRow("early pretraining") << R"({"training": {"mode": "pretrain", "epochs": 3}, "model": {"source": "scratch"}, "active_learning": null})"
                                           << "pretrain";
    }

    void configsWithoutAKindGetTheKindTheirKeysImply()
    {
        QFETCH(QString, text);
        QFETCH(QString, kind);
        const RunConfig config = RunConfig::fromJsonText(text.toStdString(), QStringLiteral("t"));
        QCOMPARE(config.kind, kind);
        QCOMPARE(config.activeLearning.enabled, kind == QStringLiteral("active-learning"));
        // Written with its kind, it reads back the same.
        QCOMPARE(RunConfig::fromJsonText(config.toJsonText(), QStringLiteral("again")).toJsonText(), config.toJsonText());
    }

    void aKindsOwnSectionInAnotherKindIsAnError()
    {
        try {
            RunConfig::fromJsonText(R"({"kind": "finetune", "active_learning": {"batch": 5}})", QStringLiteral("mixed.json"));
            QFAIL("accepted");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("mixed.json")) && e.message().contains(QStringLiteral("'active_learning' belongs to runs of kind 'active-learning'")),
                     qPrintable(e.message()));
        }
        try {
            RunConfig::fromJsonText(R"({"kind": "distil"})", QStringLiteral("k.json"));
            QFAIL("accepted");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("unknown run kind 'distil'")) && e.message().contains(QStringLiteral("plugins")), qPrintable(e.message()));
        }
    }

    void aStoredPretrainingConfigKeepsEveryParameter()
    {
        json root = RunConfig::parseJson(R"({"kind": "pretrain"})", QStringLiteral("t"));
        RunParameters::overrideInJson(root, QStringLiteral("pretrain.temperature"), QStringLiteral("0.35"), QStringLiteral("--pretrain.temperature"));
        RunParameters::overrideInJson(root, QStringLiteral("training.epochs"), QStringLiteral("4"), QStringLiteral("--training.epochs"));
        const RunConfig config = RunConfig::fromJson(root, QStringLiteral("t"));
        const RunConfig back = RunConfig::fromJsonText(config.toJsonText(), QStringLiteral("stored"));
        QCOMPARE(back.kind, QStringLiteral("pretrain"));
        QCOMPARE(back.pretrain.temperature, 0.35);
        QCOMPARE(back.training.epochs, 4);
        QCOMPARE(back.training.batchSize, 256); // the kind's own default
        QVERIFY(!QString::fromStdString(config.toJsonText()).contains(QStringLiteral("\"mode\""))); // pretraining reads no mode
    }

    void anActiveLearningKeyTurnsTheSectionOn()
    {
        json root = RunConfig::parseJson(R"({"training": {"mode": "linear-probe"}, "model": {"source": "bundled"}})", QStringLiteral("t"));
        RunParameters::overrideInJson(root, QStringLiteral("active_learning.batch"), QStringLiteral("5"), QStringLiteral("--active_learning.batch"));
        const RunConfig config = RunConfig::fromJson(root, QStringLiteral("t"));
        QVERIFY(config.activeLearning.enabled);
        QCOMPARE(config.activeLearning.batch, std::int64_t(5));
        RunParameters::overrideInJson(root, QStringLiteral("active_learning"), QStringLiteral("off"), QStringLiteral("--active_learning"));
        QVERIFY(!RunConfig::fromJson(root, QStringLiteral("t")).activeLearning.enabled);
    }

    void badCommandLineValuesNameTheOption_data()
    {
        QTest::addColumn<QString>("key");
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("not an integer") << "training.epochs" << "many" << "--training.epochs: 'training.epochs' takes an integer 1…1000 (got 'many')";
        QTest::newRow("out of range") << "training.epochs" << "0" << "--training.epochs: 'training.epochs' must be between 1 and 1000 (got 0)";
        QTest::newRow("unknown choice") << "training.optimizer" << "rmsprop" << "must be one of adam, sgd (got 'rmsprop')";
        QTest::newRow("not a number") << "energy.pue" << "high" << "'energy.pue' takes a number 1…3";
        QTest::newRow("bad boolean") << "active_learning.class_balanced" << "maybe" << "takes true or false";
        QTest::newRow("bad shape") << "model.input_size" << "3,32" << "'model.input_size' takes C,H,W or none";
        QTest::newRow("unknown country") << "energy.country" << "XXX" << "'energy.country' is 'XXX'";
        QTest::newRow("unknown key") << "training.epoch" << "3" << "unknown parameter 'training.epoch'";
        QTest::newRow("section switch") << "active_learning" << "maybe" << "'active_learning' takes on or off";
        QTest::newRow("overflowing number") << "training.lr" << "1e309" << "'training.lr' takes a number";
        QTest::newRow("infinity") << "energy.pue" << "inf" << "'energy.pue' takes a number";
        QTest::newRow("not a number at all") << "training.lr" << "nan" << "'training.lr' takes a number";
        QTest::newRow("no budget is none, not nan") << "energy.budget_wh" << "nan" << "'energy.budget_wh' takes";
        QTest::newRow("seed past 64-bit signed") << "seed" << "18446744073709551615" << "(got '18446744073709551615')";
    }

    // Found by fuzzing: an option over a config whose section is not an object threw nlohmann's
    // type_error out of the program (exit 134).
    void anOptionOverAConfigOfTheWrongShapeIsNamed_data()
    {
        QTest::addColumn<QString>("config");
        QTest::addColumn<QString>("expected");
        QTest::newRow("array") << R"([1, 2])" << "'(top level)' in the config must be an object (got array)";
        QTest::newRow("section a number") << R"({"training": 5})" << "'training' in the config must be an object (got number)";
        QTest::newRow("optional section a string") << R"({"active_learning": "yes"})" << "'active_learning' in the config must be an object";
    }

    void anOptionOverAConfigOfTheWrongShapeIsNamed()
    {
        QFETCH(QString, config);
        QFETCH(QString, expected);
        json root = json::parse(config.toStdString());
        const QString key = config.contains(QStringLiteral("active_learning")) ? QStringLiteral("active_learning.batch") : QStringLiteral("training.epochs");
        try {
            RunParameters::overrideInJson(root, key, QStringLiteral("3"), QStringLiteral("--") + key);
            QFAIL("an option went into a config of the wrong shape");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(QStringLiteral("--") + key) && e.message().contains(expected), qPrintable(e.message()));
        }
    }

    void badCommandLineValuesNameTheOption()
    {
        QFETCH(QString, key);
        QFETCH(QString, text);
        QFETCH(QString, expected);
        json root = json::object();
        try {
            RunParameters::overrideInJson(root, key, text, QStringLiteral("--") + key);
            QFAIL("accepted a bad value");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(QStringLiteral("--") + key + QStringLiteral(": ")), qPrintable(e.message()));
            QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        }
    }

    void theDescriptionListsEveryParameterWithItsDefault()
    {
        const QString text = RunParameters::describe();
        for (const RunParameter &p : RunParameters::all())
            QVERIFY2(text.contains(QStringLiteral("--") + p.key + QStringLiteral("  ")), qPrintable(p.key));
        QVERIFY(text.contains(QStringLiteral("--training.epochs  an integer 1…1000; default: 1")));
        QVERIFY(text.contains(QStringLiteral("--energy.budget_wh  a number 1e-06…1000000000000 or none; default: none\n")));
        QVERIFY(text.contains(QStringLiteral("Active learning (kind active-learning only)")));
        QVERIFY(text.contains(QStringLiteral("  pretrain  Pretrain the backbone without labels\n")));
        QVERIFY(text.contains(QStringLiteral("--training.batch_size  an integer 1…65536; default: 128"))); // train's default, not pretraining's
        QVERIFY(text.contains(QStringLiteral("--pretrain.temperature  a number 0.001…10; default: 0.2")));
    }
};

QTEST_GUILESS_MAIN(TestRunParameters)
#include "tst_runparameters.moc"
