#include "Int8Export.h"

#include "Error.h"
#include "TorchScriptSource.h"
#include "models/ModelExport.h"
#include "util/Files.h"

#include <ATen/Context.h>
#include <QElapsedTimer>
#include <algorithm>
#include <iomanip>
#include <sstream>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/custom_class.h>
#include <torch/script.h>
#include <torch/torch.h>

namespace gw::compression {

namespace {

constexpr const char *kConvPacked = "__torch__.torch.classes.quantized.Conv2dPackedParamsBase";
constexpr const char *kLinearPacked = "__torch__.torch.classes.quantized.LinearPackedParamsBase";
constexpr int kQUInt8 = 13; // torch.quint8 as TorchScript source spells a dtype
constexpr int kEngineTimingPasses = 7;

/// Lets source given to Module::define say `ops.quantized.conv2d(...)`: the default resolver knows
/// `torch` only, and `torch.ops` is not an attribute TorchScript resolves there.
struct OpsNamespace : torch::jit::SugaredValue {
    std::string kind() const override { return "ops namespace"; }
    std::shared_ptr<torch::jit::SugaredValue> attr(const torch::jit::SourceRange &, torch::jit::GraphFunction &, const std::string &ns) override
    {
        return std::make_shared<torch::jit::BuiltinModule>(ns);
    }
};

struct QuantizedOpsResolver : torch::jit::NativeResolver {
    std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string &name, torch::jit::GraphFunction &m,
                                                           const torch::jit::SourceRange &loc) override
    {
        if (name == "ops")
            return std::make_shared<OpsNamespace>();
        return torch::jit::NativeResolver::resolveValue(name, m, loc);
    }
};

const std::shared_ptr<QuantizedOpsResolver> &resolver()
{
    static const auto r = std::make_shared<QuantizedOpsResolver>();
    return r;
}

/// Packs weights under the engine in force, as TorchScript custom-class objects.
torch::jit::Module &packer()
{
    static torch::jit::Module module = [] {
        torch::jit::Module m("Int8Packer");
        m.define(R"(
def conv(self, w: Tensor, b: Optional[Tensor], stride: int, padding: int, groups: int):
    return ops.quantized.conv2d_prepack(w, b, [stride, stride], [padding, padding], [1, 1], groups)
def linear(self, w: Tensor, b: Optional[Tensor]):
    return ops.quantized.linear_prepack(w, b)
)",
                 resolver());
        return m;
    }();
    return module;
}

/// Per output channel, symmetric (zero point 0): what every engine here accepts.
torch::Tensor quantizedWeight(const torch::Tensor &w)
{
    const torch::Tensor scales = (w.detach().flatten(1).abs().amax(1) / 127.0).clamp_min(1e-8).to(torch::kFloat64);
    return torch::quantize_per_channel(w.detach().contiguous(), scales, torch::zeros({w.size(0)}, torch::kInt64), 0, torch::kQInt8);
}

struct QParams {
    double scale = 1;
    std::int64_t zero = 0;
};

/// Min/max observed (zero always inside), as quint8.
QParams observed(const torch::Tensor &t)
{
    const double lo = std::min(0.0, t.min().item<double>()), hi = std::max(0.0, t.max().item<double>());
    QParams q;
    q.scale = std::max((hi - lo) / 255.0, 1e-8);
    q.zero = std::clamp<std::int64_t>(std::llround(-lo / q.scale), 0, 255);
    return q;
}

std::string number(double v)
{
    std::ostringstream out;
    out << std::setprecision(17) << v;
    return out.str();
}

QString opName(NodeOp op)
{
    switch (op) {
    case NodeOp::BatchNorm: return QStringLiteral("batch norm");
    case NodeOp::Standardize: return QStringLiteral("standardisation");
    default: return QStringLiteral("operation");
    }
}

} // namespace

QStringList Int8Export::engines()
{
    QStringList out;
    for (const at::QEngine e : at::globalContext().supportedQEngines()) {
        if (e == at::QEngine::ONEDNN)
            out << QStringLiteral("onednn");
        else if (e == at::QEngine::QNNPACK)
            out << QStringLiteral("qnnpack");
    }
    return out;
}

void Int8Export::useEngine(const QString &engine)
{
    if (!engines().contains(engine))
        throw Error(QStringLiteral("quantized engine '%1' is not in this LibTorch build (it has: %2)").arg(engine, engines().join(QStringLiteral(", "))));
    at::globalContext().setQEngine(engine == QStringLiteral("onednn") ? at::QEngine::ONEDNN : at::QEngine::QNNPACK);
}

QString Int8Export::currentEngine()
{
    const at::QEngine e = at::globalContext().qEngine();
    return e == at::QEngine::ONEDNN ? QStringLiteral("onednn") : e == at::QEngine::QNNPACK ? QStringLiteral("qnnpack") : QStringLiteral("none");
}

QString Int8Export::fasterEngine(const QString &path, const torch::Tensor &images)
{
    torch::NoGradGuard noGrad;
    QString best;
    double bestMs = 0;
    for (const QString &engine : engines()) {
        useEngine(engine); // weights are packed for the engine in force when the module loads
        torch::jit::Module module = torch::jit::load(path.toStdString());
        module.eval();
        std::vector<double> ms;
        for (int i = 0; i < kEngineTimingPasses + 2; ++i) {
            QElapsedTimer clock;
            clock.start();
            module.forward({images});
            if (i >= 2)
                ms.push_back(double(clock.nsecsElapsed()) / 1e6);
        }
        std::nth_element(ms.begin(), ms.begin() + std::ptrdiff_t(ms.size() / 2), ms.end());
        if (best.isEmpty() || ms[ms.size() / 2] < bestMs) {
            best = engine;
            bestMs = ms[ms.size() / 2];
        }
    }
    if (best.isEmpty())
        throw Error(QStringLiteral("this LibTorch build has no quantized engine (onednn or qnnpack): int8 variants cannot run here"));
    useEngine(best);
    return best;
}

FakeQuantization Int8Export::calibrate(const ConvGraph &graph, const torch::Tensor &calibration)
{
    torch::NoGradGuard noGrad;
    FakeQuantization scales;
    for (const torch::Tensor &seen : graph.activations(calibration)) {
        const QParams q = observed(seen);
        scales.scale.push_back(q.scale);
        scales.zero.push_back(q.zero);
    }
    const QParams input = observed(calibration);
    scales.inputScale = input.scale;
    scales.inputZero = input.zero;
    return scales;
}

QStringList Int8Export::write(const ConvGraph &graph, const QString &mode, const torch::Tensor &calibration, const QString &path)
{
    if (mode != QStringLiteral("static") && mode != QStringLiteral("dynamic"))
        throw Error(QStringLiteral("unknown quantization mode '%1' (static or dynamic)").arg(mode));
    const bool isStatic = mode == QStringLiteral("static");
    if (currentEngine() == QStringLiteral("none"))
        useEngine(engines().value(0));
    torch::NoGradGuard noGrad;
    QStringList notices;
    const std::size_t n = graph.nodes.size();
    std::vector<QParams> qp(n);
    QParams inputQp;
    if (isStatic) {
        const FakeQuantization scales = calibrate(graph, calibration);
        for (std::size_t i = 0; i < n; ++i)
            qp[i] = {scales.scale[i], scales.zero[i]};
        inputQp = {scales.inputScale, scales.inputZero};
    }

    torch::jit::Module module("GreenWorkbenchInt8Model");
    ModelExport::registerInputNormalisation(module, graph.input);
    const c10::ClassTypePtr convType = torch::getCustomClass(kConvPacked);
    const c10::ClassTypePtr linearType = torch::getCustomClass(kLinearPacked);

    // Each value's name and whether it is int8 now; -1 is the normalised image.
    std::vector<std::string> name(n);
    std::vector<bool> quantized(n, false);
    std::vector<bool> skip(n, false);
    const auto nameOf = [&name](int i) { return i < 0 ? std::string("x") : name[std::size_t(i)]; };
    const auto isQuantized = [&quantized](int i) { return i >= 0 && quantized[std::size_t(i)]; };
    const auto asInt8 = [&](int i) {
        if (isQuantized(i))
            return nameOf(i);
        const QParams q = i < 0 ? inputQp : qp[std::size_t(i)];
        return "torch.quantize_per_tensor(" + nameOf(i) + ", " + number(q.scale) + ", " + std::to_string(q.zero) + ", " + std::to_string(kQUInt8) + ")";
    };
    const auto asFloat = [&](int i) { return isQuantized(i) ? nameOf(i) + ".dequantize()" : nameOf(i); };
    /// The single reader of node @p i when it is a ReLU: fused into i.
    const auto fusedRelu = [&](std::size_t i) -> int {
        const std::vector<int> readers = readersOf(graph, int(i));
        return readers.size() == 1 && graph.nodes[std::size_t(readers.front())].op == NodeOp::Relu ? readers.front() : -1;
    };

    /// Node @p i's int8 output, with its ReLU @p relu (-1: none) done inside the same operation.
    const auto fuse = [&](std::size_t i, int relu) {
        quantized[i] = true;
        if (relu < 0)
            return;
        skip[std::size_t(relu)] = true;
        name[std::size_t(relu)] = name[i];
        quantized[std::size_t(relu)] = true;
    };

    std::ostringstream code;
    code << "def forward(self, images: Tensor) -> Tensor:\n"
         << "        x = (images - self.input_mean) / self.input_std\n";
    for (std::size_t i = 0; i < n; ++i) {
        if (skip[i])
            continue;
        const GraphNode &node = graph.nodes[i];
        const std::string v = "v" + std::to_string(i);
        const std::string p = "n" + std::to_string(i) + "_";
        name[i] = v;
        code << "        " << v << " = ";
        const auto float32 = [&module, &p](const char *what, const torch::Tensor &t) {
            module.register_buffer(p + what, t.detach().to(torch::kFloat32).contiguous().clone());
            return "self." + p + what;
        };
        switch (node.op) {
        case NodeOp::Conv: {
            if (!isStatic) {
                code << "torch.conv2d(" << asFloat(node.input) << ", " << float32("weight", node.weight) << ", "
                     << (node.bias.defined() ? float32("bias", node.bias) : "None") << ", " << pair(node.stride) << ", " << pair(node.padding)
                     << ", [1, 1], " << node.groups << ")";
                break;
            }
            module.register_attribute(p + "packed", convType,
                                      packer().run_method("conv", quantizedWeight(node.weight),
                                                          node.bias.defined() ? c10::IValue(node.bias.detach().contiguous()) : c10::IValue(),
                                                          std::int64_t(node.stride), std::int64_t(node.padding), node.groups));
            const int relu = fusedRelu(i);
            const QParams out = relu >= 0 ? qp[std::size_t(relu)] : qp[i];
            code << "ops.quantized." << (relu >= 0 ? "conv2d_relu" : "conv2d") << "(" << asInt8(node.input) << ", self." << p << "packed, "
                 << number(out.scale) << ", " << out.zero << ")";
            fuse(i, relu);
            break;
        }
        case NodeOp::Linear: {
            // Each layer packs its own weights: a pack used by static and then dynamic linear gives NaN on oneDNN.
            module.register_attribute(p + "packed", linearType,
                                      packer().run_method("linear", quantizedWeight(node.weight),
                                                          node.bias.defined() ? c10::IValue(node.bias.detach().contiguous()) : c10::IValue()));
            if (isStatic)
                code << "ops.quantized.linear(" << asInt8(node.input) << ", self." << p << "packed, " << number(qp[i].scale) << ", " << qp[i].zero << ")";
            else
                code << "ops.quantized.linear_dynamic(" << asFloat(node.input) << ", self." << p << "packed, False)";
            quantized[i] = isStatic;
            break;
        }
        case NodeOp::Add: {
            if (!isStatic) {
                code << asFloat(node.input) << " + " << asFloat(node.input2);
                break;
            }
            const int relu = fusedRelu(i);
            const QParams out = relu >= 0 ? qp[std::size_t(relu)] : qp[i];
            code << "ops.quantized." << (relu >= 0 ? "add_relu" : "add") << "(" << asInt8(node.input) << ", " << asInt8(node.input2) << ", "
                 << number(out.scale) << ", " << out.zero << ")";
            fuse(i, relu);
            break;
        }
        // These keep the domain of their input (int8 ones keep its scale).
        case NodeOp::Relu:
            code << "torch.relu(" << nameOf(node.input) << ")";
            quantized[i] = isQuantized(node.input);
            break;
        case NodeOp::MaxPool:
            code << "torch.max_pool2d(" << nameOf(node.input) << ", " << pair(node.kernel) << ", " << pair(node.stride) << ", " << pair(node.padding)
                 << ", [1, 1], False)";
            quantized[i] = isQuantized(node.input);
            break;
        case NodeOp::GlobalAvgPool:
            code << "torch.flatten(torch.adaptive_avg_pool2d(" << nameOf(node.input) << ", [1, 1]), 1)";
            quantized[i] = isQuantized(node.input);
            break;
        case NodeOp::Flatten:
            code << "torch.flatten(" << nameOf(node.input) << ", 1)";
            quantized[i] = isQuantized(node.input);
            break;
        // Int8 arithmetic has no form of these: float in between.
        case NodeOp::Standardize:
            code << "(" << asFloat(node.input) << " - " << float32("mean", node.mean) << ") / " << float32("std", node.std);
            if (isStatic)
                notices << QStringLiteral("layer '%1' (%2) runs in float between int8 layers").arg(node.name, opName(node.op));
            break;
        case NodeOp::BatchNorm:
            code << "torch.batch_norm(" << asFloat(node.input) << ", " << float32("weight", node.weight) << ", " << float32("bias", node.bias) << ", "
                 << float32("running_mean", node.runningMean) << ", " << float32("running_var", node.runningVar) << ", False, 0.1, 1e-05, False)";
            if (isStatic)
                notices << QStringLiteral("layer '%1' (%2) runs in float between int8 layers").arg(node.name, opName(node.op));
            break;
        }
        code << "\n";
    }
    code << "        return " << asFloat(int(n) - 1) << "\n";
    module.define(code.str(), resolver());
    module.eval();
    std::ostringstream bytes;
    module.save(bytes);
    AtomicFile::writeWhole(path, QByteArray::fromStdString(bytes.str()), QStringLiteral("the int8 TorchScript model"));
    return notices;
}

} // namespace gw::compression
