// Native backbones: parameter names that match the published layouts, weights through
// safetensors, input normalisation from metadata, and errors that name the file.
#include "Error.h"
#include "FileChecks.h"
#include "models/BackboneFactory.h"
#include "models/GwMobileNet.h"
#include "models/ResNet18.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"

#include <QTemporaryDir>
#include <QtTest>
#include <set>
#include <torch/torch.h>

using namespace gw;

class TestBackboneFactory : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

    static std::int64_t parameterCount(const torch::nn::Module &module)
    {
        std::int64_t n = 0;
        for (const torch::Tensor &p : module.parameters())
            n += p.numel();
        return n;
    }

private Q_SLOTS:
    void resnet18HasTorchvisionsStateDict()
    {
        ResNet18 net;
        const NamedTensors state = stateDictOf(*net);
        // torchvision.models.resnet18().state_dict(): 122 entries, 11,689,512 parameters.
        QCOMPARE(state.size(), std::size_t(122));
        QCOMPARE(parameterCount(*net), std::int64_t(11689512));
        std::map<std::string, std::vector<std::int64_t>> shapes;
        for (const auto &[name, tensor] : state)
            shapes[name] = tensor.sizes().vec();
        QVERIFY((shapes.at("conv1.weight") == std::vector<std::int64_t>{64, 3, 7, 7}));
        QVERIFY((shapes.at("bn1.running_var") == std::vector<std::int64_t>{64}));
        QVERIFY(shapes.count("bn1.num_batches_tracked"));
        QVERIFY((shapes.at("layer1.1.conv2.weight") == std::vector<std::int64_t>{64, 64, 3, 3}));
        QVERIFY((shapes.at("layer3.0.downsample.0.weight") == std::vector<std::int64_t>{256, 128, 1, 1}));
        QVERIFY((shapes.at("layer4.0.downsample.1.running_mean") == std::vector<std::int64_t>{512}));
        QVERIFY(!shapes.count("layer1.0.downsample.0.weight")); // same width, stride 1: no projection
        QVERIFY((shapes.at("fc.weight") == std::vector<std::int64_t>{1000, 512}));
        QCOMPARE(state.front().first, std::string("conv1.weight"));
    }

    void resnet18WeightsLoadWithAnotherHead()
    {
        // Weights of a fine-tuned ResNet-18 with a 10-class head still give the same features.
        torch::manual_seed(1);
        ResNet18 source(10, 3);
        source->eval();
        const QString file = dir_.filePath(QStringLiteral("resnet18-10.safetensors"));
        Safetensors::write(file, stateDictOf(*source), {});
        BackboneSpec spec;
        spec.source = QStringLiteral("safetensors");
        spec.architecture = QStringLiteral("resnet18");
        spec.path = file;
        InputSpec input{3, 64, 64, {0.5, 0.5, 0.5}, {0.25, 0.25, 0.25}};
        spec.input = input;
        const std::unique_ptr<Backbone> backbone = BackboneFactory::create(spec);
        QCOMPARE(backbone->featureDim(), 512);
        const torch::Tensor x = torch::randn({2, 3, 64, 64});
        torch::NoGradGuard noGrad;
        QVERIFY(torch::allclose(backbone->forward(x), source->features(x), 1e-5, 1e-6));
        QCOMPARE(backbone->input().describe(), input.describe());
        QCOMPARE(backbone->parameters(true).size(), std::size_t(15)); // layer4: 6 per block, 3 for the projection
    }

    void gwMobileNetNamesAndSize()
    {
        GwMobileNet net(1);
        std::set<std::string> names;
        for (const auto &[name, tensor] : stateDictOf(*net))
            names.insert(name);
        QVERIFY(names.count("stem.0.weight"));
        QVERIFY(names.count("stem.1.running_mean"));
        QVERIFY(names.count("blocks.4.pw_bn.running_var"));
        QVERIFY(names.count("blocks.0.dw.weight"));
        const std::int64_t n = parameterCount(*net);
        QVERIFY2(n > 100000 && n < 200000, qPrintable(QString::number(n)));
        QCOMPARE(net->forward(torch::zeros({2, 1, 28, 28})).sizes().vec(), (std::vector<std::int64_t>{2, GwMobileNetImpl::kFeatureDim}));
    }

    void metadataSetsTheInputAndTheHashFollowsTheWeights()
    {
        torch::manual_seed(2);
        GwMobileNet net(1);
        const QString file = dir_.filePath(QStringLiteral("gw.safetensors"));
        Safetensors::write(file, stateDictOf(*net), {{"input_size", "1,28,28"}, {"input_mean", "0.25"}, {"input_std", "0.5"}});
        BackboneSpec spec;
        spec.source = QStringLiteral("safetensors");
        spec.path = file;
        const std::unique_ptr<Backbone> a = BackboneFactory::create(spec);
        QCOMPARE(a->input().describe(), QStringLiteral("1x28x28 mean=0.2500 std=0.5000"));
        QCOMPARE(BackboneFactory::create(spec)->contentHash(), a->contentHash());

        BackboneSpec scratch;
        scratch.source = QStringLiteral("scratch");
        scratch.seed = 7;
        const QString seven = BackboneFactory::create(scratch)->contentHash();
        QCOMPARE(BackboneFactory::create(scratch)->contentHash(), seven); // seeded: the same random weights
        scratch.seed = 8;
        QVERIFY(BackboneFactory::create(scratch)->contentHash() != seven);
        QVERIFY(a->contentHash() != seven);
    }

    // Images are divided by input_std: a zero would make every feature infinite, so it is refused by name.
    void unusableNormalisationIsRefused_data()
    {
        QTest::addColumn<QString>("mean");
        QTest::addColumn<QString>("stddev");
        QTest::newRow("zero std") << "0.5" << "0";
        QTest::newRow("negative std") << "0.5" << "-1";
        QTest::newRow("std not a number") << "0.5" << "nan";
        QTest::newRow("infinite mean") << "inf" << "0.5";
    }

    void unusableNormalisationIsRefused()
    {
        QFETCH(QString, mean);
        QFETCH(QString, stddev);
        GwMobileNet net(1);
        const QString file = dir_.filePath(QStringLiteral("bad-norm.safetensors"));
        Safetensors::write(file, stateDictOf(*net), {{"input_size", "1,28,28"}, {"input_mean", mean.toStdString()}, {"input_std", stddev.toStdString()}});
        BackboneSpec spec;
        spec.source = QStringLiteral("safetensors");
        spec.path = file;
        test::verifyErrorNames([&] { BackboneFactory::create(spec); }, file);
        test::verifyErrorNames([&] { BackboneFactory::create(spec); }, QStringLiteral("finite numbers"));
    }

    void badSpecsAreErrors_data()
    {
        QTest::addColumn<QString>("source");
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("expected");
        QTest::newRow("unknown architecture") << "scratch" << "vit" << "" << "model.architecture 'vit' is not known";
        QTest::newRow("missing file") << "safetensors" << "gw-mobilenet" << "/nonexistent/w.safetensors" << "/nonexistent/w.safetensors";
        QTest::newRow("no path") << "safetensors" << "gw-mobilenet" << "" << "needs model.path";
        QTest::newRow("unknown source") << "onnx" << "gw-mobilenet" << "" << "model.source 'onnx' is not known";
    }

    void badSpecsAreErrors()
    {
        QFETCH(QString, source);
        QFETCH(QString, architecture);
        QFETCH(QString, path);
        QFETCH(QString, expected);
        BackboneSpec spec;
        spec.source = source;
        spec.architecture = architecture;
        spec.path = path;
        try {
            BackboneFactory::create(spec);
            QFAIL("no error");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        }
    }

    void resnetWeightsInAMobileNetAreRefusedByName()
    {
        const QString file = dir_.filePath(QStringLiteral("resnet-as-gw.safetensors"));
        Safetensors::write(file, stateDictOf(*ResNet18(10, 1)), {});
        BackboneSpec spec;
        spec.source = QStringLiteral("safetensors");
        spec.path = file;
        try {
            BackboneFactory::create(spec);
            QFAIL("no error");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("resnet-as-gw.safetensors")) && e.message().contains(QStringLiteral("stem.0.weight")),
                     qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestBackboneFactory)
#include "tst_backbonefactory.moc"
