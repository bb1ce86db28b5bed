#include "Error.h"
#include "config/RunConfig.h"

#include <QtTest>

using namespace gw;

class TestRunConfig : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void parsesTheBundledExample()
    {
        const RunConfig c = RunConfig::fromFile(QStringLiteral(GW_SOURCE_DIR "/resources/examples/fashion-scratch.json"));
        QCOMPARE(c.name, QStringLiteral("fashion-scratch"));
        QCOMPARE(c.seed, std::uint64_t(1));
        QCOMPARE(c.dataset.kind, QStringLiteral("fashion-mnist"));
        QVERIFY(c.dataset.path.isEmpty());
        QCOMPARE(c.training.epochs, 1);
        QCOMPARE(c.training.batchSize, 128);
        QCOMPARE(c.training.learningRate, 0.001);
        QCOMPARE(int(c.training.optimizer), int(OptimizerKind::Adam));
        QCOMPARE(c.energy.country, QStringLiteral("FRA"));
        QCOMPARE(c.energy.pue, 1.0);
    }

    void defaultsFillMissingKeys()
    {
        const RunConfig c = RunConfig::fromJsonText("{\"training\": {\"optimizer\": \"sgd\"}}", QStringLiteral("mem.json"));
        QCOMPARE(c.training.epochs, 1);
        QCOMPARE(int(c.training.optimizer), int(OptimizerKind::Sgd));
        QVERIFY(c.energy.country.isEmpty());
        QCOMPARE(c.energy.sampleHz, 1.0);
    }

    void roundTrips()
    {
        RunConfig c;
        c.name = QStringLiteral("x");
        c.seed = 42;
        c.dataset.path = QStringLiteral("/data/fm");
        c.dataset.trainSubset = 500;
        c.training.epochs = 3;
        c.training.optimizer = OptimizerKind::Sgd;
        c.training.learningRate = 0.05;
        c.energy.country = QStringLiteral("DEU");
        c.energy.pue = 1.4;
        c.energy.sampleHz = 10;
        const RunConfig back = RunConfig::fromJsonText(c.toJsonText(), QStringLiteral("roundtrip"));
        QCOMPARE(back.toJsonText(), c.toJsonText());
        QCOMPARE(back.seed, std::uint64_t(42));
        QCOMPARE(back.training.seed, std::uint64_t(42));
        QCOMPARE(back.dataset.path, QStringLiteral("/data/fm"));
    }

    void fineTuningKeysRoundTrip()
    {
        const RunConfig c = RunConfig::fromJsonText(R"({"dataset": {"kind": "image-folder", "path": "/img", "test_path": "/img-test"},
            "model": {"source": "torchscript", "path": "/m.pt", "feature_module": "backbone", "input_size": [3, 64, 64], "cache_dtype": "float32"},
            "labels": {"count": 1000, "selection": "random"},
            "training": {"mode": "finetune-last", "weight_decay": 0.0001, "patience": 5, "validation_fraction": 0.25,
                         "green_stop": {"min_gain_per_wh": 0.02, "epochs": 4}}})",
                                                    QStringLiteral("ft.json"));
        QCOMPARE(c.dataset.kind, QStringLiteral("image-folder"));
        QCOMPARE(c.dataset.testPath, QStringLiteral("/img-test"));
        QCOMPARE(c.model.source, QStringLiteral("torchscript"));
        QCOMPARE(c.model.featureModule, QStringLiteral("backbone"));
        QVERIFY(c.model.inputSize && (*c.model.inputSize == std::array<int, 3>{3, 64, 64}));
        QCOMPARE(c.labels.count, std::int64_t(1000));
        QCOMPARE(c.training.mode, QStringLiteral("finetune-last"));
        QCOMPARE(c.training.patience, 5);
        QCOMPARE(c.training.validationFraction, 0.25);
        QCOMPARE(c.training.greenStopMinGainPerWh.value_or(-1), 0.02);
        QCOMPARE(c.training.greenStopEpochs, 4);
        const RunConfig back = RunConfig::fromJsonText(c.toJsonText(), QStringLiteral("roundtrip"));
        QCOMPARE(back.toJsonText(), c.toJsonText());
    }

    void activeLearningKeysRoundTrip()
    {
        const RunConfig c = RunConfig::fromJsonText(R"({"model": {"source": "bundled"}, "training": {"mode": "linear-probe"},
            "active_learning": {"strategy": "badge", "initial_strategy": "cold-start", "initial": 30, "batch": 25, "budget": 500,
                                "oracle": "human", "noise": 0.1, "class_balanced": true, "mc_passes": 10, "import_labels": "/l.csv",
                                "stop": {"kappa": null, "kappa_rounds": 2, "target_accuracy": 0.85, "emissions_g": 3.5}}})",
                                                    QStringLiteral("al.json"));
        const RunConfig::ActiveLearning &al = c.activeLearning;
        QVERIFY(al.enabled);
        QCOMPARE(al.strategy, QStringLiteral("badge"));
        QCOMPARE(al.initialStrategy, QStringLiteral("cold-start"));
        QCOMPARE(al.initial, std::int64_t(30));
        QCOMPARE(al.batch, std::int64_t(25));
        QCOMPARE(al.budget, std::int64_t(500));
        QCOMPARE(al.oracle, QStringLiteral("human"));
        QCOMPARE(al.noise, 0.1);
        QVERIFY(al.classBalanced);
        QCOMPARE(al.mcPasses, std::int64_t(10));
        QCOMPARE(al.importLabels, QStringLiteral("/l.csv"));
        QVERIFY(!al.stop.kappa);
        QCOMPARE(al.stop.kappaRounds, std::int64_t(2));
        QCOMPARE(al.stop.targetAccuracy.value_or(-1), 0.85);
        QCOMPARE(al.stop.emissionsG.value_or(-1), 3.5);
        const RunConfig back = RunConfig::fromJsonText(c.toJsonText(), QStringLiteral("roundtrip"));
        QCOMPARE(back.toJsonText(), c.toJsonText());
        // Without the section, or with null, there is no active learning; the issue's example block parses.
        QVERIFY(!RunConfig::fromJsonText(R"({"active_learning": null})", QStringLiteral("n")).activeLearning.enabled);
        QVERIFY(!RunConfig::fromJsonText(RunConfig().toJsonText(), QStringLiteral("d")).activeLearning.enabled);
        const RunConfig example = RunConfig::fromJsonText(R"({"model": {"source": "bundled"}, "training": {"mode": "linear-probe"},
            "active_learning": {"strategy": "margin", "initial": 20, "batch": 20, "budget": 1000, "oracle": "simulated", "noise": 0.0,
                                "stop": {"kappa": 0.99, "kappa_rounds": 3, "target_accuracy": null, "emissions_g": null}}})",
                                                          QStringLiteral("issue.json"));
        QCOMPARE(example.activeLearning.stop.kappa.value_or(-1), 0.99);
        QCOMPARE(example.activeLearning.strategy, QStringLiteral("margin"));
    }

    void rejectsWithKeyNamed_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown top-level key") << R"({"nmae": "x"})" << "unknown key 'nmae'";
        QTest::newRow("unknown nested key") << R"({"training": {"epoch": 2}})" << "unknown key 'training.epoch'";
        QTest::newRow("string for integer") << R"({"training": {"epochs": "2"}})" << "'training.epochs' must be an integer (got string)";
        QTest::newRow("float for integer") << R"({"training": {"batch_size": 12.5}})" << "'training.batch_size' must be an integer (got number)";
        QTest::newRow("string for number") << R"({"energy": {"pue": "1.2"}})" << "'energy.pue' must be a number (got string)";
        QTest::newRow("number for string") << R"({"name": 5})" << "'name' must be a string (got number)";
        QTest::newRow("section not object") << R"({"energy": [1]})" << "'energy' must be an object (got array)";
        QTest::newRow("top level not object") << R"([1, 2])" << "'(top level)' must be an object";
        QTest::newRow("out of range") << R"({"training": {"epochs": 0}})" << "'training.epochs' must be between 1 and 1000 (got 0)";
        QTest::newRow("sampling rate") << R"({"energy": {"sample_hz": 50}})" << "'energy.sample_hz' must be between 0.2 and 20";
        QTest::newRow("negative lr") << R"({"training": {"lr": -1}})" << "'training.lr' must be between";
        // Numbers no double holds: nlohmann throws out_of_range for them, which must not escape.
        QTest::newRow("number overflows a double") << R"({"training": {"lr": 1e309}})" << "unreadable JSON";
        QTest::newRow("negative overflow") << R"({"energy": {"pue": -1e400}})" << "unreadable JSON";
        QTest::newRow("seed past 64-bit signed") << R"({"seed": 18446744073709551615})" << "(got 18446744073709551615)";
        QTest::newRow("unknown optimizer") << R"({"training": {"optimizer": "rmsprop"}})" << "'training.optimizer' must be one of adam, sgd (got 'rmsprop')";
        QTest::newRow("unknown dataset") << R"({"dataset": {"kind": "cifar"}})" << "'dataset.kind' must be one of fashion-mnist, image-folder";
        QTest::newRow("image folder without path") << R"({"dataset": {"kind": "image-folder"}})" << "'dataset.path' is required";
        QTest::newRow("unknown model source") << R"({"model": {"source": "onnx"}})" << "'model.source' must be one of";
        QTest::newRow("torchscript without path") << R"({"model": {"source": "torchscript", "input_size": [1, 28, 28]}, "training": {"mode": "linear-probe"}})"
                                                  << "'model.path' is required for model.source 'torchscript'";
        QTest::newRow("torchscript without input size") << R"({"model": {"source": "torchscript", "path": "m.pt"}, "training": {"mode": "linear-probe"}})"
                                                        << "'model.input_size'";
        QTest::newRow("input size of two") << R"({"model": {"input_size": [28, 28]}})" << "'model.input_size' must be [channels, height, width] or null";
        QTest::newRow("input size zero") << R"({"model": {"input_size": [1, 0, 28]}})" << "'model.input_size' must hold three integers";
        QTest::newRow("scratch mode on a backbone") << R"({"model": {"source": "bundled"}, "training": {"mode": "scratch"}})" << "training.mode 'scratch' trains the small CNN";
        QTest::newRow("unknown mode") << R"({"training": {"mode": "lora"}})" << "'training.mode' must be one of";
        QTest::newRow("negative label count") << R"({"labels": {"count": -1}})" << "'labels.count' must be between 0";
        QTest::newRow("unknown selection") << R"({"labels": {"selection": "margin"}})" << "'labels.selection' must be one of random";
        QTest::newRow("validation fraction") << R"({"training": {"validation_fraction": 0.95}})" << "'training.validation_fraction' must be between 0 and 0.9";
        QTest::newRow("unknown green stop key") << R"({"training": {"green_stop": {"gain": 1}}})" << "unknown key 'training.green_stop.gain'";
        QTest::newRow("unknown country") << R"({"energy": {"country": "XXX"}})" << "'energy.country' is 'XXX'";
        QTest::newRow("empty name") << R"({"name": "  "})" << "'name' must not be empty";
        QTest::newRow("unknown strategy") << R"({"training": {"mode": "linear-probe"}, "active_learning": {"strategy": "smart"}})"
                                          << "'active_learning.strategy' must be one of random, least-confidence, margin";
        QTest::newRow("active learning without a probe") << R"({"active_learning": {}, "training": {"mode": "finetune-full"}})" << "needs training.mode 'linear-probe'";
        QTest::newRow("initial over budget") << R"({"training": {"mode": "linear-probe"}, "active_learning": {"initial": 50, "budget": 40}})"
                                             << "'active_learning.initial' (50) is larger than 'active_learning.budget' (40)";
        QTest::newRow("unknown oracle") << R"({"training": {"mode": "linear-probe"}, "active_learning": {"oracle": "crowd"}})"
                                        << "'active_learning.oracle' must be one of simulated, human";
        QTest::newRow("noise above one") << R"({"training": {"mode": "linear-probe"}, "active_learning": {"noise": 1.5}})"
                                         << "'active_learning.noise' must be between 0 and 1";
        QTest::newRow("unknown stop key") << R"({"training": {"mode": "linear-probe"}, "active_learning": {"stop": {"patience": 2}}})"
                                          << "unknown key 'active_learning.stop.patience'";
        QTest::newRow("class balanced not a boolean") << R"({"training": {"mode": "linear-probe"}, "active_learning": {"class_balanced": 1}})"
                                                      << "'active_learning.class_balanced' must be true or false";
        QTest::newRow("malformed JSON") << R"({"name": "x",})" << "malformed JSON at byte";
    }

    void rejectsWithKeyNamed()
    {
        QFETCH(QString, json);
        QFETCH(QString, expected);
        try {
            RunConfig::fromJsonText(json.toStdString(), QStringLiteral("cfg.json"));
            QFAIL("accepted a bad config");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(QStringLiteral("cfg.json: ")), qPrintable(e.message()));
            QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        }
    }

    void missingFileIsNamed()
    {
        try {
            RunConfig::fromFile(QStringLiteral("/nonexistent/run.json"));
            QFAIL("read a missing file");
        } catch (const Error &e) {
            QVERIFY(e.message().contains(QStringLiteral("/nonexistent/run.json")));
        }
    }
};

QTEST_GUILESS_MAIN(TestRunConfig)
#include "tst_runconfig.moc"
