// The compression plugin's engine: graphs that compute what the workbench's models compute (and
// their TorchScript form), structured pruning that keeps residual, depthwise and flatten shapes
// consistent, magnitude pruning, bad input named, and a whole compress run through RunJob that
// measures the input and every variant.
#include "ArchitectureGraphs.h"
#include "ChannelPruner.h"
#include "CompressKind.h"
#include "ScriptedRun.h"
#include "ConvGraph.h"
#include "Error.h"
#include "GraphTraining.h"
#include "Int8Export.h"
#include "TestData.h"
#include "TorchScriptGraphs.h"
#include "VariantMeasurer.h"
#include "extension/RunKindRegistry.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "models/GwMobileNet.h"
#include "models/SmallCnn.h"
#include "models/BackboneFactory.h"
#include "data/FashionMnist.h"
#include "models/ImageTensors.h"
#include "store/ArtifactRepository.h"
#include "store/Database.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QtTest>
#include <torch/script.h>
#include <torch/torch.h>

using namespace gw;
using namespace gw::compression;

namespace {

constexpr int kClasses = 10;

/// A classifier of @p architecture with random weights (batch norms with scales and statistics
/// of their own, so folding and pruning have something to get wrong), a standardisation and a head.
TrainedModel randomModel(const QString &architecture)
{
    torch::manual_seed(3);
    TrainedModel model;
    model.architecture = architecture;
    model.input = InputSpec{1, 28, 28, {0.3}, {0.35}};
    for (int c = 0; c < kClasses; ++c)
        model.classNames << QStringLiteral("class %1").arg(c);
    if (architecture == ModelExport::kSmallCnn) {
        model.backbone = {{"conv1.weight", torch::randn({16, 1, 3, 3}) * 0.3}, {"conv1.bias", torch::randn({16}) * 0.1},
                          {"conv2.weight", torch::randn({32, 16, 3, 3}) * 0.1}, {"conv2.bias", torch::randn({32}) * 0.1},
                          {"fc1.weight", torch::randn({128, 32 * 7 * 7}) * 0.02}, {"fc1.bias", torch::randn({128}) * 0.1},
                          {"fc2.weight", torch::randn({kClasses, 128}) * 0.1}, {"fc2.bias", torch::randn({kClasses}) * 0.1}};
        return model;
    }
    BackboneSpec spec;
    spec.source = QStringLiteral("scratch");
    spec.architecture = architecture;
    spec.input = model.input;
    std::unique_ptr<Backbone> backbone = BackboneFactory::create(spec);
    for (auto &[name, tensor] : backbone->stateDict()) {
        torch::Tensor t = tensor.detach().clone();
        if (!t.is_floating_point())
            ; // num_batches_tracked: as it is
        else if (name.find("running_var") != std::string::npos)
            t = torch::rand_like(t) + 0.5;
        else if (name.find("running_mean") != std::string::npos || (name.find("bn") != std::string::npos && name.find("bias") != std::string::npos))
            t = torch::randn_like(t) * 0.1;
        else if (name.find("bn") != std::string::npos && name.find("weight") != std::string::npos)
            t = torch::rand_like(t) + 0.5;
        model.backbone.emplace_back(name, t);
    }
    const int features = architecture == QStringLiteral("resnet18") ? 512 : 256;
    model.featureMean = torch::randn({features}) * 0.1;
    model.featureStd = torch::rand({features}) + 0.5;
    model.headWeight = torch::randn({kClasses, features}) * 0.1;
    model.headBias = torch::randn({kClasses}) * 0.1;
    return model;
}

torch::Tensor images(std::int64_t n)
{
    torch::manual_seed(5);
    return torch::rand({n, 1, 28, 28});
}

torch::Tensor normalised(const ConvGraph &graph, const torch::Tensor &raw)
{
    return (raw - graph.input.mean.front()) / graph.input.std.front();
}

double maxDifference(const torch::Tensor &a, const torch::Tensor &b)
{
    return (a - b).abs().max().item<double>();
}

} // namespace

class TestCompression : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void initTestCase()
    {
        RunKindRegistry::instance().add(std::make_shared<CompressKind>(), QStringLiteral("tst_compression"));
        test::writeBandDataset(dir_.filePath(QStringLiteral("bands")), 300, 60);
    }

    void graphsComputeWhatTheModelsCompute_data()
    {
        QTest::addColumn<QString>("architecture");
        QTest::newRow("gw-mobilenet") << QStringLiteral("gw-mobilenet");
        QTest::newRow("resnet18") << QStringLiteral("resnet18");
        QTest::newRow("small-cnn") << ModelExport::kSmallCnn;
    }

    // The graph, its folded inference form and its TorchScript file give the model's own logits.
    void graphsComputeWhatTheModelsCompute()
    {
        QFETCH(QString, architecture);
        const TrainedModel model = randomModel(architecture);
        const ConvGraph graph = graphOf(model);
        const torch::Tensor raw = images(4);
        torch::NoGradGuard noGrad;
        const torch::Tensor expected = ModelExport::predict(model, raw);
        const torch::Tensor logits = graph.forward(normalised(graph, raw));
        QCOMPARE(logits.sizes().vec(), (std::vector<std::int64_t>{4, kClasses}));
        QVERIFY2(maxDifference(logits, expected) < 1e-4, qPrintable(QString::number(maxDifference(logits, expected))));
        const ConvGraph folded = graph.folded();
        QVERIFY(folded.nodes.size() <= graph.nodes.size());
        if (architecture != ModelExport::kSmallCnn)
            QVERIFY(std::none_of(folded.nodes.begin(), folded.nodes.end(), [](const GraphNode &n) { return n.op == NodeOp::BatchNorm; }));
        QVERIFY(maxDifference(folded.forward(normalised(graph, raw)), expected) < 1e-3);
        const QString file = dir_.filePath(architecture + QStringLiteral(".pt"));
        folded.writeTorchScript(file);
        torch::jit::Module loaded = torch::jit::load(file.toStdString());
        loaded.eval();
        QVERIFY(maxDifference(loaded.forward({raw}).toTensor(), expected) < 1e-3);
        QCOMPARE(graph.multiplyAdds(), folded.multiplyAdds());
    }

    // The engine's own counts, which the federated plugin models clients' compute from, agree with
    // the graph's count of the same models (whose heads are linear layers over the features).
    void theModelsCountTheirMultiplyAddsAsTheirGraphsDo()
    {
        const std::int64_t head = std::int64_t(kClasses) * GwMobileNetImpl::kFeatureDim;
        QCOMPARE(graphOf(randomModel(QStringLiteral("gw-mobilenet"))).multiplyAdds(), GwMobileNetImpl::multiplyAdds(1, 28, 28) + head);
        QCOMPARE(graphOf(randomModel(ModelExport::kSmallCnn)).multiplyAdds(), SmallCnnImpl::multiplyAdds(28, 28, kClasses));
    }

    void pruningKeepsShapesConsistent_data()
    {
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<QString>("criterion");
        QTest::addColumn<bool>("global");
        QTest::newRow("gw-mobilenet l1 per layer") << QStringLiteral("gw-mobilenet") << QStringLiteral("l1") << false;
        QTest::newRow("gw-mobilenet bn global") << QStringLiteral("gw-mobilenet") << QStringLiteral("bn") << true;
        QTest::newRow("resnet18 l2 per layer") << QStringLiteral("resnet18") << QStringLiteral("l2") << false;
        QTest::newRow("resnet18 l1 global") << QStringLiteral("resnet18") << QStringLiteral("l1") << true;
        QTest::newRow("small-cnn l1 per layer") << ModelExport::kSmallCnn << QStringLiteral("l1") << false;
    }

    // Half the channels go: every layer that shares them shrinks with them, the logits stay ten,
    // and a forward pass (and its TorchScript form) still works.
    void pruningKeepsShapesConsistent()
    {
        QFETCH(QString, architecture);
        QFETCH(QString, criterion);
        QFETCH(bool, global);
        ConvGraph graph = graphOf(randomModel(architecture));
        const qint64 before = graph.parameterCount(), macsBefore = graph.multiplyAdds();
        PruneOptions options;
        options.ratio = 0.5;
        options.criterion = criterion;
        options.global = global;
        const PruneReport report = ChannelPruner::prune(graph, options);
        QVERIFY(!report.groups.empty());
        const torch::Tensor logits = graph.forward(normalised(graph, images(3)));
        QCOMPARE(logits.sizes().vec(), (std::vector<std::int64_t>{3, kClasses}));
        // Most weights sit in layers whose inputs and outputs both halve: about a quarter is left.
        QVERIFY2(graph.parameterCount() < before * 0.4, qPrintable(QStringLiteral("%1 of %2").arg(graph.parameterCount()).arg(before)));
        QVERIFY(graph.multiplyAdds() < macsBefore * 0.45);
        for (const GraphNode &n : graph.nodes)
            if (n.op == NodeOp::Conv && n.groups > 1)
                QCOMPARE(n.groups, n.weight.size(0)); // depthwise stays depthwise
        if (architecture == QStringLiteral("resnet18")) {
            // The residual additions' branches kept one width: both stage outputs agree.
            for (const GraphNode &n : graph.nodes)
                if (n.op == NodeOp::Add)
                    QVERIFY(graph.shapes()[std::size_t(n.input)] == graph.shapes()[std::size_t(n.input2)]);
        }
        if (architecture == ModelExport::kSmallCnn) {
            // The classifier's inputs went in blocks of 7x7, one per removed channel of conv2.
            const GraphNode &conv2 = graph.nodes[3];
            QCOMPARE(conv2.name, QStringLiteral("conv2"));
            QCOMPARE(graph.nodes[7].weight.size(1), conv2.weight.size(0) * 49);
        }
        if (!global)
            for (const PruneReport::Group &g : report.groups)
                QCOMPARE(g.after, g.before - g.before / 2);
        const QString file = dir_.filePath(QStringLiteral("pruned.pt"));
        graph.folded().writeTorchScript(file);
        torch::jit::Module loaded = torch::jit::load(file.toStdString());
        QCOMPARE(loaded.forward({images(2)}).toTensor().size(1), kClasses);
    }

    void globalPruningKeepsAChannelInEveryLayer()
    {
        ConvGraph graph = graphOf(randomModel(QStringLiteral("gw-mobilenet")));
        PruneOptions options;
        options.ratio = 0.95;
        options.global = true;
        const PruneReport report = ChannelPruner::prune(graph, options);
        std::int64_t before = 0, after = 0;
        for (const PruneReport::Group &g : report.groups) {
            QVERIFY(g.after >= 1);
            before += g.before;
            after += g.after;
        }
        QVERIFY(after <= before - std::int64_t(0.95 * double(before)) + std::int64_t(report.groups.size()));
        QCOMPARE(graph.forward(normalised(graph, images(2))).size(1), kClasses);
    }

    // A TorchScript classifier is read back layer by layer: the workbench's own file, and one
    // written as plain TorchScript (as Python would script it); an operation the steps do not know
    // is named, with the file.
    void torchScriptClassifiersAreReadLayerByLayer()
    {
        const TrainedModel model = randomModel(QStringLiteral("gw-mobilenet"));
        const QString file = dir_.filePath(QStringLiteral("workbench-model.pt"));
        ModelExport::writeTorchScript(model, file);
        const ConvGraph graph = graphOfTorchScript(file, InputSpec{1, 28, 28, {0.0}, {1.0}});
        QVERIFY(qAbs(graph.input.mean.front() - 0.3) < 1e-6); // the module's own normalisation
        const torch::Tensor raw = images(3);
        torch::NoGradGuard noGrad;
        QVERIFY(maxDifference(graph.forward(normalised(graph, raw)), ModelExport::predict(model, raw)) < 1e-4);
        QCOMPARE(graph.classNames.size(), kClasses);

        torch::jit::Module scripted("Plain");
        scripted.register_buffer("w1", torch::randn({8, 1, 3, 3}) * 0.3);
        scripted.register_buffer("b1", torch::zeros({8}));
        scripted.register_buffer("fc", torch::randn({4, 8 * 14 * 14}) * 0.05);
        scripted.define(R"(
def forward(self, x: Tensor) -> Tensor:
    y = torch.relu(torch.conv2d(x, self.w1, self.b1, [1, 1], [1, 1], [1, 1], 1))
    y = torch.max_pool2d(y, [2], [], [0], [1], False)
    return torch.linear(torch.flatten(y, 1), self.fc, None)
)");
        const QString plain = dir_.filePath(QStringLiteral("plain.pt"));
        scripted.save(plain.toStdString());
        const ConvGraph plainGraph = graphOfTorchScript(plain, InputSpec{1, 28, 28, {0.0}, {1.0}});
        QVERIFY(maxDifference(plainGraph.forward(raw), scripted.forward({raw}).toTensor()) < 1e-5);
        ConvGraph pruned = plainGraph.clone();
        ChannelPruner::prune(pruned, PruneOptions{}); // the flatten's column blocks follow the conv
        QCOMPARE(pruned.nodes.back().weight.size(1), 4 * 14 * 14);

        torch::jit::Module odd("Odd");
        odd.define("def forward(self, x: Tensor) -> Tensor:\n    return torch.sigmoid(x).flatten(1)\n");
        const QString oddFile = dir_.filePath(QStringLiteral("odd.pt"));
        odd.save(oddFile.toStdString());
        try {
            graphOfTorchScript(oddFile, InputSpec{});
            QFAIL("a module with sigmoid was taken");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("aten::sigmoid")) && e.message().contains(oddFile), qPrintable(e.message()));
        }
        const QString notAModule = dir_.filePath(QStringLiteral("not-a-module.pt"));
        test::writeBytes(notAModule, "not a zip at all");
        QVERIFY_THROWS_EXCEPTION(Error, graphOfTorchScript(notAModule, InputSpec{}));
    }

    void badInputIsRefusedWithItsName()
    {
        ConvGraph graph = graphOf(randomModel(QStringLiteral("gw-mobilenet")));
        PruneOptions options;
        options.ratio = 1.2;
        try {
            ChannelPruner::prune(graph, options);
            QFAIL("a ratio of 1.2 was taken");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("0 to 0.95")) && e.message().contains(QStringLiteral("1.2")), qPrintable(e.message()));
        }
        QVERIFY_THROWS_EXCEPTION(Error, pruneMagnitudes(graph, -0.1));
        TrainedModel opaque = randomModel(QStringLiteral("gw-mobilenet"));
        opaque.architecture = ModelExport::kTorchScript;
        try {
            graphOf(opaque);
            QFAIL("a TorchScript model was taken");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("'torchscript'")), qPrintable(e.message()));
        }
        TrainedModel headless = randomModel(QStringLiteral("gw-mobilenet"));
        headless.headWeight = torch::Tensor();
        QVERIFY_THROWS_EXCEPTION(Error, graphOf(headless));
        // A grouped convolution that is not depthwise: the pruner names the layer it cannot handle.
        QCOMPARE(graph.nodes[3].name, QStringLiteral("blocks.0.dw"));
        graph.nodes[3].weight = torch::randn({32, 16, 3, 3});
        graph.nodes[3].groups = 2;
        try {
            options.ratio = 0.5;
            ChannelPruner::prune(graph, options);
            QFAIL("a grouped convolution was pruned");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("'blocks.0.dw'")), qPrintable(e.message()));
        }
    }

    // Unstructured pruning zeroes the smallest weights, keeps every shape, and training keeps them zero.
    void magnitudePruningZeroesTheSmallestAndKeepsThemZero()
    {
        ConvGraph graph = graphOf(randomModel(ModelExport::kSmallCnn));
        const qint64 parameters = graph.parameterCount();
        const auto masks = pruneMagnitudes(graph, 0.6);
        QCOMPARE(graph.parameterCount(), parameters);
        QVERIFY(graph.nonzeroParameters() < qint64(double(parameters) * 0.45));
        QVERIFY(graph.nonzeroParameters() > qint64(double(parameters) * 0.35));
        const qint64 zeros = parameters - graph.nonzeroParameters();
        ImageDataset data = FashionMnist::load(dir_.filePath(QStringLiteral("bands")), FashionMnist::Split::Train);
        std::vector<std::int64_t> all(std::size_t(data.size()));
        std::iota(all.begin(), all.end(), 0);
        TrainingOptions options;
        options.maxEpochs = 1;
        const std::atomic_bool cancel{false};
        trainGraph(graph, TrainingSplit::of(data, all, 1), options, cancel, masks);
        QVERIFY(parameters - graph.nonzeroParameters() >= zeros);
    }

    // Recovery training on a learnable task: the pruned graph gets better, not worse.
    void trainingImprovesAPrunedGraph()
    {
        ImageDataset data = FashionMnist::load(dir_.filePath(QStringLiteral("bands")), FashionMnist::Split::Train);
        ConvGraph graph = graphOf(randomModel(ModelExport::kSmallCnn));
        ChannelPruner::prune(graph, PruneOptions{});
        std::vector<std::int64_t> all(std::size_t(data.size()));
        std::iota(all.begin(), all.end(), 0);
        const TrainingSplit split = TrainingSplit::of(data, all, 1);
        const double before = graphAccuracy(graph, data, split.validation);
        TrainingOptions options;
        options.maxEpochs = 4;
        options.patience = 0;
        options.lr = 3e-3;
        const std::atomic_bool cancel{false};
        const TrainingResult result = trainGraph(graph, split, options, cancel);
        QVERIFY2(result.validationAccuracy > before + 0.2, qPrintable(QStringLiteral("%1 -> %2").arg(before).arg(result.validationAccuracy)));
        QCOMPARE(graphAccuracy(graph, data, split.validation), result.validationAccuracy); // the best epoch is what is kept
    }

    // Int8 conv and linear layers agree with float within a stated tolerance: the largest logit
    // difference at most 5 % of the logits' range (static, calibrated on the same kind of images),
    // 2 % for dynamic (linear layers only); the files run with stock torch::jit::load.
    void int8FormsAgreeWithFloat_data()
    {
        QTest::addColumn<QString>("architecture");
        QTest::addColumn<QString>("mode");
        QTest::addColumn<double>("tolerance");
        QTest::newRow("gw-mobilenet static") << QStringLiteral("gw-mobilenet") << QStringLiteral("static") << 0.05;
        QTest::newRow("resnet18 static") << QStringLiteral("resnet18") << QStringLiteral("static") << 0.05;
        QTest::newRow("small-cnn static") << ModelExport::kSmallCnn << QStringLiteral("static") << 0.05;
        QTest::newRow("small-cnn dynamic") << ModelExport::kSmallCnn << QStringLiteral("dynamic") << 0.02;
    }

    void int8FormsAgreeWithFloat()
    {
        QFETCH(QString, architecture);
        QFETCH(QString, mode);
        QFETCH(double, tolerance);
        QVERIFY2(!Int8Export::engines().isEmpty(), "this LibTorch has no quantized engine");
        const ConvGraph folded = graphOf(randomModel(architecture)).folded();
        const torch::Tensor raw = images(64);
        const QString file = dir_.filePath(QStringLiteral("int8-%1-%2.pt").arg(architecture, mode));
        const QStringList notices = Int8Export::write(folded, mode, normalised(folded, raw), file);
        QVERIFY2(notices.isEmpty(), qPrintable(notices.join(QLatin1Char('\n')))); // standardisation folded into the head: nothing left in float
        for (const QString &engine : Int8Export::engines()) {
            Int8Export::useEngine(engine);
            torch::jit::Module loaded = torch::jit::load(file.toStdString());
            loaded.eval();
            torch::NoGradGuard noGrad;
            const torch::Tensor expected = folded.forward(normalised(folded, raw));
            const torch::Tensor got = loaded.forward({raw}).toTensor();
            QCOMPARE(got.sizes().vec(), expected.sizes().vec());
            const double range = (expected.max() - expected.min()).item<double>();
            QVERIFY2(maxDifference(got, expected) <= tolerance * range,
                     qPrintable(QStringLiteral("%1: %2 of a range of %3").arg(engine).arg(maxDifference(got, expected)).arg(range)));
        }
        QVERIFY(!Int8Export::fasterEngine(file, raw).isEmpty());
        QVERIFY_THROWS_EXCEPTION(Error, Int8Export::useEngine(QStringLiteral("fbgemm-of-another-build")));
        QVERIFY_THROWS_EXCEPTION(Error, Int8Export::write(folded, QStringLiteral("int4"), normalised(folded, raw), file));
    }

    // A layer int8 cannot do runs in float between int8 layers, named in the notices, and the file still runs.
    void aLayerInt8CannotDoFallsBackToFloat()
    {
        const ConvGraph unfolded = graphOf(randomModel(QStringLiteral("gw-mobilenet"))); // batch norms and the standardisation left in
        const torch::Tensor raw = images(16);
        const QString file = dir_.filePath(QStringLiteral("fallback.pt"));
        const QStringList notices = Int8Export::write(unfolded, QStringLiteral("static"), normalised(unfolded, raw), file);
        QVERIFY2(notices.join(QLatin1Char('\n')).contains(QStringLiteral("'blocks.0.dw_bn' (batch norm) runs in float")), qPrintable(notices.join(QLatin1Char('\n'))));
        QVERIFY(notices.join(QLatin1Char('\n')).contains(QStringLiteral("(standardisation) runs in float")));
        Int8Export::useEngine(Int8Export::engines().first());
        torch::jit::Module loaded = torch::jit::load(file.toStdString());
        torch::NoGradGuard noGrad;
        const torch::Tensor expected = unfolded.forward(normalised(unfolded, raw));
        const double range = (expected.max() - expected.min()).item<double>();
        QVERIFY(maxDifference(loaded.forward({raw}).toTensor(), expected) <= 0.1 * range);
    }

    // The simulated int8 forward (quantization-aware training's) computes what the int8 file does.
    void fakeQuantizationSimulatesTheInt8Form()
    {
        const ConvGraph folded = graphOf(randomModel(QStringLiteral("gw-mobilenet"))).folded();
        const torch::Tensor raw = images(32);
        const FakeQuantization scales = Int8Export::calibrate(folded, normalised(folded, raw));
        QCOMPARE(scales.scale.size(), folded.nodes.size());
        const QString file = dir_.filePath(QStringLiteral("fake.pt"));
        Int8Export::write(folded, QStringLiteral("static"), normalised(folded, raw), file);
        Int8Export::useEngine(Int8Export::engines().first());
        torch::jit::Module int8 = torch::jit::load(file.toStdString());
        torch::NoGradGuard noGrad;
        const torch::Tensor simulated = folded.forward(normalised(folded, raw), false, &scales);
        const torch::Tensor exact = folded.forward(normalised(folded, raw));
        const torch::Tensor real = int8.forward({raw}).toTensor();
        // Nearer the int8 file than the float graph is, or as near.
        QVERIFY2(maxDifference(simulated, real) <= maxDifference(exact, real) * 1.05,
                 qPrintable(QStringLiteral("%1 against %2").arg(maxDifference(simulated, real)).arg(maxDifference(exact, real))));
    }

    void quantizationAwareTrainingWritesAStaticInt8Variant()
    {
        RunConfig config = compressRandomModel(QStringLiteral("qat"), "quantize");
        RunParameters::find(QStringLiteral("compress.quantize.mode"))->set(config, "qat");
        RunParameters::find(QStringLiteral("compress.quantize.qat_epochs"))->set(config, 1);
        RunParameters::find(QStringLiteral("compress.measure.energy_samples"))->set(config, 2);
        const RunSummary s = runToEnd(config, dir_.filePath(QStringLiteral("qat.sqlite")));
        QVERIFY2(s.status == QStringLiteral("completed"), qPrintable(s.error));
        const QJsonObject variant = s.extra.value(QStringLiteral("variants")).toArray().at(1).toObject();
        QCOMPARE(variant.value(QStringLiteral("precision")).toString(), QStringLiteral("int8 static"));
        QVERIFY2(variant.value(QStringLiteral("description")).toString().contains(QStringLiteral("quantization-aware")),
                 qPrintable(variant.value(QStringLiteral("description")).toString()));
        QVERIFY(variant.value(QStringLiteral("compression_energy_j")).toDouble() > 0);
    }

    // Folding the standardisation into the head and the batch norms into their convolutions keeps
    // the function and leaves no operation int8 lacks.
    void foldingLeavesOnlyInt8Operations()
    {
        const ConvGraph folded = graphOf(randomModel(QStringLiteral("resnet18"))).folded();
        for (const GraphNode &n : folded.nodes)
            QVERIFY(n.op != NodeOp::BatchNorm && n.op != NodeOp::Standardize);
    }

    // Hinton's loss, against a value computed by hand: student logits (1, 2), teacher (2, 1), label 0,
    // T = 2, alpha = 0.5: KL = 0.1224593, so 0.5 x 4 x 0.1224593 + 0.5 x 1.3132617 = 0.9015495.
    void theDistillationLossIsHintons()
    {
        const torch::Tensor student = torch::tensor({{1.0F, 2.0F}}), teacher = torch::tensor({{2.0F, 1.0F}});
        const torch::Tensor label = torch::tensor({0}, torch::kInt64);
        QVERIFY(qAbs(distillationLoss(student, teacher, label, 2.0, 0.5).item<double>() - 0.9015495) < 1e-5);
        // alpha 0: cross-entropy alone; a student that matches its teacher pays no distillation term.
        QVERIFY(qAbs(distillationLoss(student, teacher, label, 2.0, 0.0).item<double>() - 1.3132617) < 1e-5);
        QVERIFY(qAbs(distillationLoss(teacher, teacher, label, 4.0, 1.0).item<double>()) < 1e-6);
        // An image without a label (-100) is taught by the teacher alone.
        const torch::Tensor none = torch::tensor({-100}, torch::kInt64);
        QVERIFY(qAbs(distillationLoss(student, teacher, none, 2.0, 0.5).item<double>() - 0.5 * 4 * 0.1224593) < 1e-5);
    }

    void studentsAreSmallAndWork_data()
    {
        QTest::addColumn<QString>("student");
        for (const QString &name : studentNames())
            QTest::newRow(qPrintable(name)) << name;
    }

    void studentsAreSmallAndWork()
    {
        QFETCH(QString, student);
        const TrainedModel teacher = randomModel(QStringLiteral("gw-mobilenet"));
        const ConvGraph graph = studentGraph(student, teacher.input, teacher.classNames, 1);
        QCOMPARE(graph.forward(normalised(graph, images(2)), true).size(1), kClasses);
        if (student.startsWith(QLatin1String("gw-mobilenet")))
            QVERIFY(graph.multiplyAdds() * 3 < graphOf(teacher).multiplyAdds()); // at least 4x fewer at half width, 16x at a quarter
        QVERIFY_THROWS_EXCEPTION(Error, studentGraph(QStringLiteral("giant"), teacher.input, teacher.classNames, 1));
    }

    // A student named by the config: any width of gw-mobilenet, or a model file from its own weights.
    void aStudentMayBeNamed()
    {
        const TrainedModel teacher = randomModel(QStringLiteral("gw-mobilenet"));
        const qint64 half = studentGraph(QStringLiteral("gw-mobilenet-0.5"), teacher.input, teacher.classNames, 1).multiplyAdds();
        QVERIFY(studentGraph(QStringLiteral("gw-mobilenet-0.75"), teacher.input, teacher.classNames, 1).multiplyAdds() > half);
        QVERIFY(!isStudentName(QStringLiteral("gw-mobilenet-1.5")));
        QVERIFY(!isStudentName(QStringLiteral("gw-mobilenet-0")));
        const QString file = dir_.filePath(QStringLiteral("student.safetensors"));
        const TrainedModel small = randomModel(ModelExport::kSmallCnn);
        ModelExport::writeSafetensors(small, file, {});
        const ConvGraph fromFile = studentGraph(file, teacher.input, teacher.classNames, 1);
        torch::NoGradGuard noGrad;
        QVERIFY(maxDifference(fromFile.forward(normalised(fromFile, images(2))), ModelExport::predict(small, images(2))) < 1e-4); // its own weights
        QStringList five = teacher.classNames.mid(0, 5);
        try {
            studentGraph(file, teacher.input, five, 1);
            QFAIL("a student of other classes was taken");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(file) && e.message().contains(QStringLiteral("10 classes")), qPrintable(e.message()));
        }
    }

    // Distillation from a safetensors model: the student and its CE-only control are both measured;
    // a student no smaller than its teacher is refused with both sizes named.
    void distillationMakesAStudentAndItsControl()
    {
        const QString db = dir_.filePath(QStringLiteral("distil.sqlite"));
        RunConfig config = compressRandomModel(QStringLiteral("teacher"), "distil");
        RunParameters::find(QStringLiteral("compress.distil.student"))->set(config, "gw-mobilenet-0.25");
        RunParameters::find(QStringLiteral("compress.distil.epochs"))->set(config, 1);
        RunParameters::find(QStringLiteral("compress.measure.energy_samples"))->set(config, 2);
        const RunSummary s = runToEnd(config, db);
        QVERIFY2(s.status == QStringLiteral("completed"), qPrintable(s.error));
        const QJsonArray variants = s.extra.value(QStringLiteral("variants")).toArray();
        QCOMPARE(variants.size(), 3);
        QCOMPARE(variants[1][QStringLiteral("name")].toString(), QStringLiteral("1-distil"));
        QCOMPARE(variants[2][QStringLiteral("name")].toString(), QStringLiteral("1-distil-control"));
        QVERIFY(variants[1][QStringLiteral("multiply_adds")].toDouble() * 4 < variants[0][QStringLiteral("multiply_adds")].toDouble());
        QVERIFY(variants[1][QStringLiteral("description")].toString().contains(QStringLiteral("T = 4")));
        QVERIFY(variants[2][QStringLiteral("compression_energy_j")].toDouble() > 0);

        RunParameters::find(QStringLiteral("compress.distil.student"))->set(config, "gw-mobilenet-0.5");
        RunParameters::find(QStringLiteral("compress.steps"))->set(config, "distil, distil");
        const RunSummary larger = runToEnd(config, db); // the second student (half width) is larger than the first (a quarter)
        QCOMPARE(larger.status, QStringLiteral("failed"));
        QVERIFY2(larger.error.contains(QStringLiteral("not smaller than its teacher")) && larger.error.contains(QStringLiteral("1-distil")),
                 qPrintable(larger.error));
    }

    void breakEvenIsWhenTheSavingsPayForTheCompression()
    {
        QCOMPARE(breakEvenInferences(100.0, 3.0, 1.0).value_or(-1), 50000.0); // 100 J at 2 mJ saved per inference
        QVERIFY(!breakEvenInferences(100.0, 1.0, 1.0));
        QVERIFY(!breakEvenInferences(100.0, 1.0, 2.0)); // a variant that costs more per inference never pays back
    }

    // A whole run: the store's latest kept model (a small CNN trained here) compressed in two
    // steps; the input and both variants measured, kept and loadable.
    void aCompressRunMeasuresEveryVariant()
    {
        const QString db = dir_.filePath(QStringLiteral("store.sqlite"));
        RunConfig train = RunConfig::defaultsFor(QStringLiteral("train"));
        train.name = QStringLiteral("cnn");
        train.dataset.path = dir_.filePath(QStringLiteral("bands"));
        train.training.epochs = 2;
        train.training.threads = 1;
        const RunSummary trained = runToEnd(train, db);
        QCOMPARE(trained.status, QStringLiteral("completed"));

        RunConfig config = RunConfig::defaultsFor(QStringLiteral("compress"));
        config.dataset.path = dir_.filePath(QStringLiteral("bands"));
        config.training.threads = 1;
        config.energy.sampleHz = 20;
        RunParameters::find(QStringLiteral("compress.steps"))->set(config, "prune, unstructured, quantize");
        RunParameters::find(QStringLiteral("compress.prune.recovery_epochs"))->set(config, 1);
        RunParameters::find(QStringLiteral("compress.measure.energy_samples"))->set(config, 2);
        const RunSummary s = runToEnd(config, db);
        QVERIFY2(s.status == QStringLiteral("completed"), qPrintable(s.error));
        const QJsonArray variants = s.extra.value(QStringLiteral("variants")).toArray();
        QCOMPARE(variants.size(), 4);
        QVERIFY(variants[0].toObject().value(QStringLiteral("reference")).toBool());
        for (const QJsonValue &v : variants) {
            const QJsonObject o = v.toObject();
            QVERIFY(o.value(QStringLiteral("accuracy")).toDouble() > 0);
            QVERIFY(o.value(QStringLiteral("energy_per_1k_inferences_j")).toDouble() > 0);
            QVERIFY(o.value(QStringLiteral("latency_ms_batch1")).toDouble() > 0);
            QCOMPARE(o.value(QStringLiteral("energy_source")).toString(), QStringLiteral("estimated"));
            torch::jit::Module loaded = torch::jit::load(o.value(QStringLiteral("torchscript")).toString().toStdString());
            QCOMPARE(loaded.forward({images(1)}).toTensor().size(1), kClasses);
        }
        const QJsonObject pruned = variants[1].toObject();
        QVERIFY(pruned.value(QStringLiteral("parameters")).toDouble() < variants[0].toObject().value(QStringLiteral("parameters")).toDouble() * 0.4);
        QVERIFY(pruned.value(QStringLiteral("compression_energy_j")).toDouble() > 0);
        const QJsonObject sparse = variants[2].toObject();
        QCOMPARE(sparse.value(QStringLiteral("parameters")).toDouble(), pruned.value(QStringLiteral("parameters")).toDouble());
        QVERIFY(sparse.value(QStringLiteral("nonzero_parameters")).toDouble() < pruned.value(QStringLiteral("nonzero_parameters")).toDouble());
        QVERIFY(sparse.value(QStringLiteral("compression_energy_j")).toDouble() > pruned.value(QStringLiteral("compression_energy_j")).toDouble());
        QVERIFY(sparse.value(QStringLiteral("description")).toString().contains(QStringLiteral("no speed")));
        const Database store(db);
        int kept = 0;
        for (const ArtifactRecord &a : ArtifactRepository(store).list(s.runId))
            kept += a.role.startsWith(QStringLiteral("variant "));
        QCOMPARE(kept, 7); // TorchScript of each, safetensors of the float ones
        QVERIFY(ArtifactRepository(store).find(s.runId, QStringLiteral("variants"), QStringLiteral("json"))); // what each variant is, for the window
        const QJsonObject int8 = variants[3].toObject();
        QCOMPARE(int8.value(QStringLiteral("precision")).toString(), QStringLiteral("int8 static"));
        QVERIFY(Int8Export::engines().contains(int8.value(QStringLiteral("quantized_engine")).toString()));
        QVERIFY(int8.value(QStringLiteral("file_bytes")).toDouble() < sparse.value(QStringLiteral("file_bytes")).toDouble() * 0.5);
        QVERIFY(qAbs(int8.value(QStringLiteral("accuracy")).toDouble() - sparse.value(QStringLiteral("accuracy")).toDouble()) < 0.1);

        // A run without a kept model is named, and the run fails cleanly.
        config.model.runId = 999;
        const RunSummary missing = runToEnd(config, db);
        QCOMPARE(missing.status, QStringLiteral("failed"));
        QVERIFY2(missing.error.contains(QStringLiteral("run 999")), qPrintable(missing.error));
    }

    void aConfigOutsideTheLimitsIsRefused()
    {
        const auto refused = [](const std::string &json, const QString &expected) {
            try {
                RunConfig::fromJsonText(json, QStringLiteral("bad.json"));
                return QStringLiteral("accepted");
            } catch (const Error &e) {
                return e.message().contains(expected) && e.message().contains(QStringLiteral("bad.json")) ? QString() : e.message();
            }
        };
        QCOMPARE(refused(R"({"kind": "compress", "compress": {"prune": {"ratio": 0.99}}})", QStringLiteral("compress.prune.ratio")), QString());
        QCOMPARE(refused(R"({"kind": "compress", "compress": {"steps": "prune, shrink"}})", QStringLiteral("'shrink'")), QString());
        QCOMPARE(refused(R"({"kind": "compress", "model": {"source": "torchscript", "path": "m.pt"}})", QStringLiteral("'model.input_size'")), QString());
        QCOMPARE(refused(R"({"kind": "compress", "model": {"source": "bundled"}})", QStringLiteral("'bundled'")), QString());
        QCOMPARE(refused(R"({"kind": "compress", "compress": {"steps": "distil", "distil": {"student": "giant"}}})", QStringLiteral("'giant'")), QString());
        QCOMPARE(refused(R"({"kind": "compress", "compress": {"steps": "quantize, prune"}})", QStringLiteral("last step")), QString());
    }

private:
    /// A compress config of @p steps on a random gw-mobilenet classifier saved as @p name.safetensors.
    RunConfig compressRandomModel(const QString &name, const char *steps)
    {
        const QString model = dir_.filePath(name + QStringLiteral(".safetensors"));
        ModelExport::writeSafetensors(randomModel(QStringLiteral("gw-mobilenet")), model, {});
        RunConfig config = RunConfig::defaultsFor(QStringLiteral("compress"));
        config.dataset.path = dir_.filePath(QStringLiteral("bands"));
        config.model.source = QStringLiteral("safetensors");
        config.model.path = model;
        config.training.threads = 1;
        config.energy.sampleHz = 20;
        RunParameters::find(QStringLiteral("compress.steps"))->set(config, steps);
        return config;
    }

    static RunSummary runToEnd(const RunConfig &config, const QString &db) { return test::runScripted(config, db); }
};

QTEST_GUILESS_MAIN(TestCompression)
#include "tst_compression.moc"
