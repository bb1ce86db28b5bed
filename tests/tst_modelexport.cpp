#include "Error.h"
#include "TestData.h"
#include "data/FashionMnist.h"
#include "models/BackboneFactory.h"
#include "models/ImageTensors.h"
#include "models/ModelExport.h"
#include "models/SmallCnn.h"
#include "models/StateDict.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/script.h>

using namespace gw;

namespace {

/// A classifier of @p architecture (gw-mobilenet by default) with random weights, feature
/// statistics and head (batch-norm statistics too, so the export must carry them).
TrainedModel randomModel(const QString &architecture = QStringLiteral("gw-mobilenet"), const std::optional<InputSpec> &input = std::nullopt)
{
    torch::manual_seed(3);
    BackboneSpec spec;
    spec.source = QStringLiteral("scratch");
    spec.architecture = architecture;
    spec.input = input;
    spec.seed = 3;
    std::unique_ptr<Backbone> backbone = BackboneFactory::create(spec);
    TrainedModel model;
    model.architecture = backbone->architecture();
    model.input = backbone->input();
    for (auto &[name, tensor] : backbone->stateDict()) {
        torch::Tensor t = tensor.clone();
        if (name.find("running_var") != std::string::npos)
            t = torch::rand_like(t) + 0.5;
        else if (name.find("running_mean") != std::string::npos)
            t = torch::randn_like(t) * 0.1;
        model.backbone.emplace_back(name, t);
    }
    const std::int64_t features = backbone->featureDim();
    model.featureMean = torch::randn({features}) * 0.1;
    model.featureStd = torch::rand({features}) + 0.5;
    model.headWeight = torch::randn({10, features}) * 0.1;
    model.headBias = torch::randn({10}) * 0.1;
    for (int i = 0; i < 10; ++i)
        model.classNames << QStringLiteral("class %1").arg(i);
    return model;
}

/// A python3 that has PyTorch (Debian's python3-torch), or empty.
QString pythonWithTorch()
{
    for (const QString &candidate : {QStringLiteral("/usr/bin/python3"), QStandardPaths::findExecutable(QStringLiteral("python3"))}) {
        if (candidate.isEmpty())
            continue;
        QProcess probe;
        probe.start(candidate, {QStringLiteral("-c"), QStringLiteral("import torch")});
        if (probe.waitForFinished(60000) && probe.exitStatus() == QProcess::NormalExit && probe.exitCode() == 0)
            return candidate;
    }
    return QString();
}

QByteArray readBytes(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

void writeFloats(const QString &path, const torch::Tensor &t)
{
    const torch::Tensor c = t.contiguous().to(torch::kFloat32);
    test::writeBytes(path, QByteArray(reinterpret_cast<const char *>(c.data_ptr<float>()), int(c.numel() * 4)));
}

} // namespace

class TestModelExport : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void theTorchScriptModelComputesWhatTheWorkbenchComputes()
    {
        const TrainedModel model = randomModel();
        const QString script = dir_.filePath(QStringLiteral("model.pt"));
        ModelExport::writeTorchScript(model, script);
        torch::jit::Module loaded = torch::jit::load(script.toStdString()); // stock LibTorch, no workbench code
        const torch::Tensor images = torch::rand({10, 1, 28, 28});
        const torch::Tensor theirs = loaded.forward({images}).toTensor();
        const torch::Tensor ours = ModelExport::predict(model, images);
        QCOMPARE(theirs.sizes().vec(), (std::vector<std::int64_t>{10, 10}));
        QVERIFY2((theirs - ours).abs().max().item<double>() < 1e-4, qPrintable(QString::number((theirs - ours).abs().max().item<double>())));
    }

    void theSmallCnnIsKeptWholeToo()
    {
        torch::manual_seed(5);
        SmallCnn cnn(16, 16, 4);
        TrainedModel model;
        model.architecture = ModelExport::kSmallCnn;
        model.input = InputSpec{1, 16, 16, {0.3}, {0.4}};
        for (const auto &[name, tensor] : stateDictOf(*cnn))
            model.backbone.emplace_back(name, tensor.clone());
        const QString script = dir_.filePath(QStringLiteral("cnn.pt"));
        ModelExport::writeTorchScript(model, script);
        const torch::Tensor images = torch::rand({6, 1, 16, 16});
        const torch::Tensor theirs = torch::jit::load(script.toStdString()).forward({images}).toTensor();
        const torch::Tensor ours = ModelExport::predict(model, images);
        QCOMPARE(theirs.sizes().vec(), (std::vector<std::int64_t>{6, 4}));
        QVERIFY((theirs - ours).abs().max().item<double>() < 1e-5);
        const QString weights = dir_.filePath(QStringLiteral("cnn.safetensors"));
        ModelExport::writeSafetensors(model, weights, {});
        QVERIFY(torch::allclose(ModelExport::predict(ModelExport::readSafetensors(weights), images), ours));
    }

    void theSafetensorsArtifactReadsBackWhole()
    {
        const TrainedModel model = randomModel();
        const QString path = dir_.filePath(QStringLiteral("model.safetensors"));
        ModelExport::writeSafetensors(model, path, {{"run_id", "7"}});
        const TrainedModel back = ModelExport::readSafetensors(path);
        QCOMPARE(back.architecture, QStringLiteral("gw-mobilenet"));
        QCOMPARE(back.classNames, model.classNames);
        QCOMPARE(back.input.rows, 28);
        QCOMPARE(back.parameterCount(), model.parameterCount());
        const torch::Tensor images = torch::rand({4, 1, 28, 28});
        QVERIFY(torch::allclose(ModelExport::predict(back, images), ModelExport::predict(model, images)));
    }

    void aFileThatIsNoModelArtifactIsNamed()
    {
        const QString path = dir_.filePath(QStringLiteral("plain.safetensors"));
        Safetensors::write(path, {{"w", torch::zeros({2})}});
        try {
            ModelExport::readSafetensors(path);
            QFAIL("accepted");
        } catch (const Error &e) {
            QVERIFY2(e.message().startsWith(path) && e.message().contains(QStringLiteral("not a model artifact")), qPrintable(e.message()));
        }
        // An imported TorchScript backbone is kept as the module it came from, not rewritten.
        TrainedModel imported = randomModel();
        imported.architecture = QStringLiteral("torchscript");
        QVERIFY(!ModelExport::canWriteTorchScript(imported)); // its module is not there
        QVERIFY_THROWS_EXCEPTION(Error, ModelExport::writeTorchScript(imported, dir_.filePath(QStringLiteral("r.pt"))));
    }

    // A model on an imported TorchScript backbone embeds that module and pools its feature maps.
    void anImportedBackboneIsEmbeddedInTheTorchScriptModel()
    {
        torch::manual_seed(8);
        auto scripted = std::make_shared<torch::jit::Module>("Imported");
        scripted->register_parameter("weight", torch::randn({6, 3, 3, 3}) * 0.3, false);
        scripted->define(R"JIT(
def forward(self, x):
    return torch.relu(torch.conv2d(x, self.weight, None, [1, 1], [1, 1]))
)JIT");
        TrainedModel model;
        model.architecture = ModelExport::kTorchScript;
        model.input = InputSpec{3, 10, 10, {0.5, 0.4, 0.3}, {0.2, 0.25, 0.3}};
        model.scriptedBackbone = scripted;
        model.backbone.emplace_back("weight", scripted->attr("weight").toTensor());
        model.featureMean = torch::randn({6}) * 0.1;
        model.featureStd = torch::rand({6}) + 0.5;
        model.headWeight = torch::randn({3, 6});
        model.headBias = torch::randn({3});
        QVERIFY(ModelExport::canWriteTorchScript(model));
        const QString file = dir_.filePath(QStringLiteral("imported.pt"));
        ModelExport::writeTorchScript(model, file);
        torch::jit::Module loaded = torch::jit::load(file.toStdString());
        QVERIFY(loaded.hasattr(ModelExport::kScriptedBackboneName.toStdString()));
        const torch::Tensor images = torch::rand({5, 3, 10, 10});
        const torch::Tensor theirs = loaded.forward({images}).toTensor();
        const torch::Tensor ours = ModelExport::predict(model, images);
        QCOMPARE(theirs.sizes().vec(), (std::vector<std::int64_t>{5, 3}));
        QVERIFY((theirs - ours).abs().max().item<double>() < 1e-5);
        QCOMPARE(model.parameterCount(), qint64(6 * 27 + 6 + 6 + 18 + 3));
    }

    // ResNet-18 (colour input with per-channel normalisation, projection shortcuts) too.
    void resNet18HasATorchScriptFormThatComputesTheSame()
    {
        const TrainedModel model = randomModel(QStringLiteral("resnet18"), InputSpec{3, 32, 32, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}});
        QVERIFY(ModelExport::canWriteTorchScript(model));
        const QString script = dir_.filePath(QStringLiteral("resnet.pt"));
        ModelExport::writeTorchScript(model, script);
        const torch::Tensor images = torch::rand({4, 3, 32, 32});
        const torch::Tensor theirs = torch::jit::load(script.toStdString()).forward({images}).toTensor();
        const torch::Tensor ours = ModelExport::predict(model, images);
        QCOMPARE(theirs.sizes().vec(), (std::vector<std::int64_t>{4, 10}));
        QVERIFY2((theirs - ours).abs().max().item<double>() < 1e-4, qPrintable(QString::number((theirs - ours).abs().max().item<double>())));
    }

    void theEmbeddedDefaultRunLeavesAModelPythonRuns()
    {
        // The embedded default (bundled backbone, linear probe) on a small 28x28 dataset of the tests.
        const QString data = dir_.filePath(QStringLiteral("bands"));
        test::writeBandDataset(data, 400, 40, 28, 28);
        const QString db = dir_.filePath(QStringLiteral("default.sqlite"));
        QProcess run;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("HOME"), dir_.path());
        run.setProcessEnvironment(env);
        run.start(QStringLiteral(GW_WORKBENCH_BINARY), {QStringLiteral("run"), QStringLiteral("--dataset.path=") + data, QStringLiteral("--training.epochs=2"),
                                                         QStringLiteral("--training.threads=1"), QStringLiteral("--db"), db});
        QVERIFY(run.waitForFinished(300000));
        QVERIFY2(run.exitCode() == 0, run.readAllStandardError().constData());
        QProcess list;
        list.start(QStringLiteral(GW_WORKBENCH_BINARY), {QStringLiteral("artifacts"), QStringLiteral("--db"), db, QStringLiteral("--json")});
        QVERIFY(list.waitForFinished(60000));
        QString safetensors, script;
        for (const QJsonValue &v : QJsonDocument::fromJson(list.readAllStandardOutput()).array()) {
            const QJsonObject o = v.toObject();
            QCOMPARE(o[QStringLiteral("role")].toString(), QStringLiteral("model"));
            QVERIFY(o[QStringLiteral("sha256")].toString().size() == 64);
            (o[QStringLiteral("format")].toString() == QStringLiteral("torchscript") ? script : safetensors) = o[QStringLiteral("path")].toString();
        }
        QVERIFY2(!script.isEmpty() && !safetensors.isEmpty(), "the run kept no TorchScript and safetensors model");

        // Ten test images, as the workbench sees them before normalisation (0..1).
        const ImageDataset test = FashionMnist::load(data, FashionMnist::Split::Test);
        const TrainedModel model = ModelExport::readSafetensors(safetensors);
        InputSpec raw = model.input;
        raw.mean.assign(raw.mean.size(), 0.0);
        raw.std.assign(raw.std.size(), 1.0);
        const torch::Tensor images = ImageTensors::batch(test, 0, 10, raw);
        const torch::Tensor expected = ModelExport::predict(model, images);
        const torch::Tensor loaded = torch::jit::load(script.toStdString()).forward({images}).toTensor();
        QVERIFY((loaded - expected).abs().max().item<double>() < 1e-4);

        // Exported hash-checked; an altered or missing artifact is an error naming the file.
        const auto exportModel = [&](const QString &output) {
            QProcess e;
            e.start(QStringLiteral(GW_WORKBENCH_BINARY), {QStringLiteral("export"), QStringLiteral("--run"), QStringLiteral("1"), QStringLiteral("--format"),
                                                           QStringLiteral("model"), QStringLiteral("--db"), db, QStringLiteral("--output"), output});
            e.waitForFinished(60000);
            return std::make_pair(e.exitCode(), QString::fromUtf8(e.readAllStandardError()));
        };
        const QString exported = dir_.filePath(QStringLiteral("exported.pt"));
        QCOMPARE(exportModel(exported).first, 0);
        QCOMPARE(readBytes(exported), readBytes(script));
        test::writeBytes(dir_.filePath(QStringLiteral("original.pt")), readBytes(script));
        test::writeBytes(script, readBytes(script) + "x");
        const auto altered = exportModel(dir_.filePath(QStringLiteral("altered.pt")));
        QCOMPARE(altered.first, 2);
        QVERIFY2(altered.second.contains(script) && altered.second.contains(QStringLiteral("was altered")), qPrintable(altered.second));
        QVERIFY(!QFileInfo::exists(dir_.filePath(QStringLiteral("altered.pt"))));
        QFile::remove(script);
        const auto missing = exportModel(dir_.filePath(QStringLiteral("missing.pt")));
        QVERIFY2(missing.first == 2 && missing.second.contains(QStringLiteral("is missing")), qPrintable(missing.second));
        QVERIFY(QFile::copy(dir_.filePath(QStringLiteral("original.pt")), script));

        // Another run starts from this run's model (model.source "run"): the hash is checked, the backbone taken.
        QProcess second;
        second.setProcessEnvironment(env);
        second.start(QStringLiteral(GW_WORKBENCH_BINARY), {QStringLiteral("run"), QStringLiteral("--dataset.path=") + data, QStringLiteral("--training.epochs=1"),
                                                            QStringLiteral("--model.source=run"), QStringLiteral("--model.run_id=1"), QStringLiteral("--training.threads=1"),
                                                            QStringLiteral("--db"), db, QStringLiteral("--json")});
        QVERIFY(second.waitForFinished(300000));
        QVERIFY2(second.exitCode() == 0, second.readAllStandardError().constData());
        const QJsonObject summary = QJsonDocument::fromJson(second.readAllStandardOutput().trimmed().split('\n').last()).object();
        QVERIFY2(summary[QStringLiteral("model_origin")].toString().startsWith(QStringLiteral("run 1's model")), qPrintable(summary[QStringLiteral("model_origin")].toString()));
        QProcess unknown;
        unknown.setProcessEnvironment(env);
        unknown.start(QStringLiteral(GW_WORKBENCH_BINARY), {QStringLiteral("run"), QStringLiteral("--dataset.path=") + data, QStringLiteral("--model.source=run"),
                                                             QStringLiteral("--model.run_id=99"), QStringLiteral("--db"), db});
        QVERIFY(unknown.waitForFinished(300000));
        QCOMPARE(unknown.exitCode(), 1); // the run is stored as failed, with the reason
        QVERIFY2(unknown.readAllStandardError().contains("model.run_id 99: run 99 kept no model"), "no reason given");

        const QString python = pythonWithTorch();
        if (python.isEmpty())
            QSKIP("python3-torch is not installed (installer/install-deps.sh --bench brings it): the Python check is skipped");
        writeFloats(dir_.filePath(QStringLiteral("images.f32")), images);
        writeFloats(dir_.filePath(QStringLiteral("expected.f32")), expected);
        const QString snippet = QStringLiteral(
            "import sys, torch\n"
            "model = torch.jit.load(sys.argv[1])\n"
            "images = torch.frombuffer(bytearray(open(sys.argv[2], 'rb').read()), dtype=torch.float32).reshape(10, %1, %2, %3)\n"
            "expected = torch.frombuffer(bytearray(open(sys.argv[3], 'rb').read()), dtype=torch.float32).reshape(10, -1)\n"
            "with torch.no_grad():\n"
            "    logits = model(images)\n"
            "print(float((logits - expected).abs().max()))\n")
                                    .arg(model.input.channels).arg(model.input.rows).arg(model.input.cols);
        QProcess py;
        py.start(python, {QStringLiteral("-c"), snippet, script, dir_.filePath(QStringLiteral("images.f32")), dir_.filePath(QStringLiteral("expected.f32"))});
        QVERIFY(py.waitForFinished(120000));
        QVERIFY2(py.exitCode() == 0, py.readAllStandardError().constData());
        const double difference = QString::fromUtf8(py.readAllStandardOutput()).trimmed().toDouble();
        qInfo("Python's torch.jit.load of the run's model: max |difference| %g over 10 images", difference);
        QVERIFY2(difference < 1e-4, qPrintable(QString::number(difference)));
    }
};

QTEST_GUILESS_MAIN(TestModelExport)
#include "tst_modelexport.moc"
