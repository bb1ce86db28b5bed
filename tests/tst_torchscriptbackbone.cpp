#include "Error.h"
#include "TestData.h"
#include "models/TorchScriptBackbone.h"

#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtEndian>
#include <QtTest>
#include <torch/script.h>
#include <torch/torch.h>

using namespace gw;

namespace {

/// 1x8x8 grey images, small enough that every module here runs in milliseconds.
const InputSpec kInput{1, 8, 8, {0.5}, {0.25}};

/// A module built from TorchScript source, as torch.jit.script would leave it. Each gets its own
/// class name: the archive stores classes by qualified name.
torch::jit::Module scripted(const std::string &name, const std::vector<std::pair<std::string, torch::Tensor>> &parameters,
                            const std::string &source)
{
    torch::jit::Module module(name);
    for (const auto &[parameterName, value] : parameters)
        module.register_parameter(parameterName, value, false);
    module.define(source);
    return module;
}

/// Flattens and projects to 5 features: [N, 1, 8, 8] -> [N, 5].
torch::jit::Module linearModule(const std::string &name)
{
    return scripted(name, {{"w", torch::randn({5, 64})}}, R"JIT(
def forward(self, x):
    return torch.matmul(torch.flatten(x, 1), self.w.t())
)JIT");
}

/// A 3x3 convolution to 4 channels: [N, 1, 8, 8] -> [N, 4, 6, 6], feature maps to be pooled.
torch::jit::Module convModule(const std::string &name)
{
    return scripted(name, {{"w", torch::randn({4, 1, 3, 3})}}, R"JIT(
def forward(self, x):
    return torch.relu(torch.conv2d(x, self.w))
)JIT");
}

/// (Submodules are called through .forward: modules defined from C++ have no __call__.)
/// The common "backbone + head" layout: backbone (block1: conv, block2: pool and project to 6)
/// then a head to 3 classes.
torch::jit::Module backboneWithHead()
{
    torch::jit::Module backbone("Backbone");
    backbone.register_module("block1", convModule("Block1"));
    backbone.register_module("block2", scripted("Block2", {{"w", torch::randn({4, 6})}}, R"JIT(
def forward(self, x):
    return torch.matmul(torch.mean(x, [2, 3]), self.w)
)JIT"));
    backbone.define(R"JIT(
def forward(self, x):
    return self.block2.forward(self.block1.forward(x))
)JIT");
    torch::jit::Module model("Classifier");
    model.register_module("backbone", backbone);
    model.register_module("head", scripted("Head", {{"w", torch::randn({6, 3})}}, R"JIT(
def forward(self, x):
    return torch.matmul(x, self.w)
)JIT"));
    model.define(R"JIT(
def forward(self, x):
    return self.head.forward(self.backbone.forward(x))
)JIT");
    return model;
}

QByteArray safetensorsLike()
{
    const QByteArray header = R"({"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})";
    QByteArray length(8, '\0');
    qToLittleEndian<quint64>(quint64(header.size()), length.data());
    return length + header + QByteArray(4, '\0');
}

QString errorOf(const std::function<void()> &action)
{
    try {
        action();
    } catch (const Error &e) {
        return e.message();
    }
    return QString();
}

} // namespace

class TestTorchScriptBackbone : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString plainZip_; ///< empty when no `zip` tool is installed

    QString path(const QString &name) const { return dir_.filePath(name); }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(dir_.isValid());
        torch::manual_seed(11);
        linearModule("Linear").save(path(QStringLiteral("linear.pt")).toStdString());
        linearModule("Linear").save(path(QStringLiteral("linear-other-weights.pt")).toStdString());
        convModule("Conv").save(path(QStringLiteral("conv.pt")).toStdString());
        backboneWithHead().save(path(QStringLiteral("classifier.pt")).toStdString());
        scripted("Pair", {}, "def forward(self, x):\n    return x, x\n").save(path(QStringLiteral("tuple.pt")).toStdString());
        scripted("Rows", {}, "def forward(self, x):\n    return x[:, 0]\n").save(path(QStringLiteral("three-d.pt")).toStdString());
        scripted("Empty", {}, "def forward(self, x):\n    return torch.flatten(x, 1)[:, 0:0]\n").save(path(QStringLiteral("empty.pt")).toStdString());

        test::writeBytes(path(QStringLiteral("random.pt")), QByteArray::fromHex("5be3a10f77c2e9d4018b6a3cf2e40d91aa"));
        test::writeBytes(path(QStringLiteral("weights.safetensors")), safetensorsLike());
        // What torch.save() wrote before PyTorch 1.6: a pickle, starting with the protocol byte.
        test::writeBytes(path(QStringLiteral("legacy.pth")), QByteArray::fromHex("80028a0a6cfc9c46f9206aa850192e"));
        const std::vector<char> checkpoint = torch::pickle_save(c10::IValue(torch::ones({2})));
        test::writeBytes(path(QStringLiteral("checkpoint.pth")), QByteArray(checkpoint.data(), qsizetype(checkpoint.size())));

        if (!QStandardPaths::findExecutable(QStringLiteral("zip")).isEmpty()) {
            test::writeBytes(path(QStringLiteral("readme.txt")), "not a model\n");
            QProcess zip;
            zip.setWorkingDirectory(dir_.path());
            zip.start(QStringLiteral("zip"), {QStringLiteral("-q"), QStringLiteral("plain.zip"), QStringLiteral("readme.txt")});
            QVERIFY(zip.waitForFinished(10000));
            QCOMPARE(zip.exitCode(), 0);
            plainZip_ = path(QStringLiteral("plain.zip"));
        }
    }

    void wholeForwardGivesTwoDimensionalFeatures()
    {
        const auto backbone = TorchScriptBackbone::load(path(QStringLiteral("linear.pt")), QString(), kInput);
        QCOMPARE(backbone->architecture(), QStringLiteral("torchscript"));
        QCOMPARE(backbone->featureDim(), 5);
        QCOMPARE(backbone->input().describe(), kInput.describe());
        QCOMPARE(backbone->origin(), QStringLiteral("linear.pt (TorchScript)"));
        const torch::Tensor images = torch::randn({3, 1, 8, 8});
        const torch::Tensor weight = backbone->parameters(false).at(0);
        QVERIFY(torch::allclose(backbone->forward(images), torch::flatten(images, 1).matmul(weight.t())));
    }

    void featureModuleRunsTheSubmoduleOnTheImages()
    {
        const auto backbone = TorchScriptBackbone::load(path(QStringLiteral("classifier.pt")), QStringLiteral("backbone"), kInput);
        QCOMPARE(backbone->featureDim(), 6);
        QCOMPARE(backbone->origin(), QStringLiteral("classifier.pt (TorchScript, feature module backbone)"));
        QCOMPARE(backbone->forward(torch::randn({3, 1, 8, 8})).sizes().vec(), (std::vector<int64_t>{3, 6}));
    }

    void featureMapsAreAveragePooled_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("featureModule");
        QTest::newRow("whole module") << QStringLiteral("conv.pt") << QString();
        QTest::newRow("dotted submodule path") << QStringLiteral("classifier.pt") << QStringLiteral("backbone.block1");
    }

    void featureMapsAreAveragePooled()
    {
        QFETCH(QString, file);
        QFETCH(QString, featureModule);
        const auto backbone = TorchScriptBackbone::load(path(file), featureModule, kInput);
        QCOMPARE(backbone->featureDim(), 4);
        const torch::Tensor images = torch::randn({3, 1, 8, 8});
        const torch::Tensor weight = backbone->parameters(false).at(0);
        QVERIFY(torch::allclose(backbone->forward(images), torch::relu(torch::conv2d(images, weight)).mean({2, 3})));
    }

    void gradientsFlowAndTrainingChangesTheOutput()
    {
        const auto backbone = TorchScriptBackbone::load(path(QStringLiteral("classifier.pt")), QStringLiteral("backbone"), kInput);
        const std::vector<torch::Tensor> parameters = backbone->parameters(false);
        QCOMPARE(parameters.size(), std::size_t(2));
        // The archive says requires_grad=false (the modules were built from plain tensors).
        for (const torch::Tensor &parameter : parameters)
            QVERIFY(parameter.requires_grad());

        backbone->setTraining(true);
        const torch::Tensor images = torch::randn({4, 1, 8, 8});
        const torch::Tensor before = backbone->forward(images).detach().clone();
        torch::optim::SGD optimizer(parameters, torch::optim::SGDOptions(0.1));
        optimizer.zero_grad();
        backbone->forward(images).pow(2).sum().backward();
        for (const torch::Tensor &parameter : parameters) {
            QVERIFY(parameter.grad().defined());
            QVERIFY(parameter.grad().abs().sum().item<double>() > 0);
        }
        optimizer.step();
        backbone->setTraining(false);
        QVERIFY(!torch::allclose(backbone->forward(images), before));
    }

    void lastBlockOnlyIsTheLastChildWithParameters()
    {
        const auto backbone = TorchScriptBackbone::load(path(QStringLiteral("classifier.pt")), QStringLiteral("backbone"), kInput);
        const std::vector<torch::Tensor> all = backbone->parameters(false);
        const std::vector<torch::Tensor> last = backbone->parameters(true);
        QCOMPARE(last.size(), std::size_t(1));
        QCOMPARE(last[0].sizes().vec(), (std::vector<int64_t>{4, 6}));
        QVERIFY(last[0].is_same(all[1]));

        // A module without children is one block.
        const auto flat = TorchScriptBackbone::load(path(QStringLiteral("linear.pt")), QString(), kInput);
        QCOMPARE(flat->parameters(true).size(), std::size_t(1));
    }

    void contentHashFollowsTheBytesTheModuleAndTheInput()
    {
        const QString linear = path(QStringLiteral("linear.pt"));
        const QString hash = TorchScriptBackbone::load(linear, QString(), kInput)->contentHash();
        QCOMPARE(hash.size(), 64);
        QCOMPARE(TorchScriptBackbone::load(linear, QString(), kInput)->contentHash(), hash);
        QVERIFY(TorchScriptBackbone::load(path(QStringLiteral("linear-other-weights.pt")), QString(), kInput)->contentHash() != hash);
        InputSpec otherNormalisation = kInput;
        otherNormalisation.mean = {0.1};
        QVERIFY(TorchScriptBackbone::load(linear, QString(), otherNormalisation)->contentHash() != hash);
        const QString classifier = path(QStringLiteral("classifier.pt"));
        QVERIFY(TorchScriptBackbone::load(classifier, QString(), kInput)->contentHash()
                != TorchScriptBackbone::load(classifier, QStringLiteral("backbone"), kInput)->contentHash());
    }

    void forwardErrorsNameTheFile()
    {
        const auto backbone = TorchScriptBackbone::load(path(QStringLiteral("linear.pt")), QString(), kInput);
        const QString message = errorOf([&] { backbone->forward(torch::randn({2, 1, 9, 9})); });
        QVERIFY2(message.contains(QStringLiteral("linear.pt")) && message.contains(QStringLiteral("[2, 1, 9, 9]")), qPrintable(message));
    }

    void badFilesAndModulesAreRefused_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("featureModule");
        QTest::addColumn<int>("size");
        QTest::addColumn<QString>("fragment");
        const auto row = [](const char *name, const char *file, const char *featureModule, int size, const char *fragment) {
            QTest::newRow(name) << QString::fromUtf8(file) << QString::fromUtf8(featureModule) << size << QString::fromUtf8(fragment);
        };
        row("missing", "absent.pt", "", 8, "file not found");
        row("random bytes", "random.pt", "", 8, "is not a TorchScript archive");
        row("safetensors", "weights.safetensors", "", 8, "is a safetensors file");
        row("legacy torch.save", "legacy.pth", "", 8, "is a Python pickle");
        row("torch.save checkpoint", "checkpoint.pth", "", 8, "is a torch.save() checkpoint");
        row("plain zip", "plain.zip", "", 8,
            "is a zip archive but not a TorchScript module LibTorch can load; LibTorch says: file in archive is not in a subdirectory");
        row("unknown feature module", "classifier.pt", "encoder", 8, "the submodules of the module are: backbone, head");
        row("unknown nested module", "classifier.pt", "backbone.block3", 8, "the submodules of submodule 'backbone' are: block1, block2");
        row("module without submodules", "linear.pt", "backbone", 8, "the module has no submodules");
        row("tuple output", "tuple.pt", "", 8, "returns a tuple of 2 values, not a tensor");
        row("3-D output", "three-d.pt", "", 8, "shape [2, 8, 8]");
        row("no features", "empty.pt", "", 8, "returns an empty tensor of shape [2, 0]");
        row("wrong input size", "linear.pt", "", 10, "fails on images of model.input_size 1x10x10");
    }

    void badFilesAndModulesAreRefused()
    {
        QFETCH(QString, file);
        QFETCH(QString, featureModule);
        QFETCH(int, size);
        QFETCH(QString, fragment);
        if (file == QStringLiteral("plain.zip") && plainZip_.isEmpty())
            QSKIP("the zip tool is not installed, so no plain zip archive could be made");
        InputSpec input = kInput;
        input.rows = input.cols = size;
        const QString message = errorOf([&] { TorchScriptBackbone::load(path(file), featureModule, input); });
        QVERIFY2(!message.isEmpty(), "no gw::Error was thrown");
        QVERIFY2(message.contains(file), qPrintable(message));
        QVERIFY2(message.contains(fragment), qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(TestTorchScriptBackbone)
#include "tst_torchscriptbackbone.moc"
