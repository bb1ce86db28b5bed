#include "ArchitectureGraphs.h"

#include "Error.h"
#include "TorchScriptGraphs.h"

#include <QRegularExpression>
#include <optional>

#include <algorithm>
#include <torch/torch.h>

namespace gw::compression {

namespace {

/// Builds a graph node by node from a state dict's names.
class GraphBuilder {
public:
    GraphBuilder(ConvGraph &graph, const NamedTensors &state) : graph_(graph), state_(state) {}

    bool has(const std::string &name) const
    {
        return std::any_of(state_.begin(), state_.end(), [&name](const auto &t) { return t.first == name; });
    }
    torch::Tensor tensor(const std::string &name) const
    {
        const auto it = std::find_if(state_.begin(), state_.end(), [&name](const auto &t) { return t.first == name; });
        if (it == state_.end())
            throw Error(QStringLiteral("the %1 model has no tensor '%2'").arg(graph_.architecture, QString::fromStdString(name)));
        return it->second.detach().to(torch::kFloat32).clone();
    }
    int conv(const std::string &prefix, int input, int stride, int padding, std::int64_t groups = 1)
    {
        GraphNode n;
        n.op = NodeOp::Conv;
        n.name = QString::fromStdString(prefix);
        n.input = input;
        n.weight = tensor(prefix + ".weight");
        if (has(prefix + ".bias"))
            n.bias = tensor(prefix + ".bias");
        n.stride = stride;
        n.padding = padding;
        n.groups = groups;
        return graph_.add(std::move(n));
    }
    int batchNorm(const std::string &prefix, int input)
    {
        GraphNode n;
        n.op = NodeOp::BatchNorm;
        n.name = QString::fromStdString(prefix);
        n.input = input;
        n.weight = tensor(prefix + ".weight");
        n.bias = tensor(prefix + ".bias");
        n.runningMean = tensor(prefix + ".running_mean");
        n.runningVar = tensor(prefix + ".running_var");
        return graph_.add(std::move(n));
    }
    int simple(NodeOp op, int input, const QString &name, int input2 = -1)
    {
        GraphNode n;
        n.op = op;
        n.name = name;
        n.input = input;
        n.input2 = input2;
        return graph_.add(std::move(n));
    }
    int relu(int input) { return simple(NodeOp::Relu, input, graph_.nodes[std::size_t(input)].name + QStringLiteral(" relu")); }
    int maxPool(int input, int kernel, int stride, int padding)
    {
        GraphNode n;
        n.op = NodeOp::MaxPool;
        n.name = QStringLiteral("max-pool");
        n.input = input;
        n.kernel = kernel;
        n.stride = stride;
        n.padding = padding;
        return graph_.add(std::move(n));
    }
    int linear(const QString &name, int input, const torch::Tensor &weight, const torch::Tensor &bias)
    {
        GraphNode n;
        n.op = NodeOp::Linear;
        n.name = name;
        n.input = input;
        n.weight = weight.detach().to(torch::kFloat32).clone();
        n.bias = bias.defined() ? bias.detach().to(torch::kFloat32).clone() : bias;
        return graph_.add(std::move(n));
    }

private:
    ConvGraph &graph_;
    const NamedTensors &state_;
};

int gwMobileNet(GraphBuilder &b)
{
    int x = b.relu(b.batchNorm("stem.1", b.conv("stem.0", -1, 1, 1)));
    const int strides[] = {2, 1, 2, 1, 2};
    for (int block = 0; block < 5; ++block) {
        const std::string p = "blocks." + std::to_string(block) + ".";
        const std::int64_t channels = b.tensor(p + "dw.weight").size(0);
        x = b.relu(b.batchNorm(p + "dw_bn", b.conv(p + "dw", x, strides[block], 1, channels)));
        x = b.relu(b.batchNorm(p + "pw_bn", b.conv(p + "pw", x, 1, 0)));
    }
    return b.simple(NodeOp::GlobalAvgPool, x, QStringLiteral("average-pool"));
}

int resNet18(GraphBuilder &b)
{
    int x = b.relu(b.batchNorm("bn1", b.conv("conv1", -1, 2, 3)));
    x = b.maxPool(x, 3, 2, 1);
    for (int layer = 1; layer <= 4; ++layer)
        for (int block = 0; block < 2; ++block) {
            const std::string p = "layer" + std::to_string(layer) + "." + std::to_string(block) + ".";
            const int stride = layer > 1 && block == 0 ? 2 : 1;
            int out = b.relu(b.batchNorm(p + "bn1", b.conv(p + "conv1", x, stride, 1)));
            out = b.batchNorm(p + "bn2", b.conv(p + "conv2", out, 1, 1));
            const int shortcut = b.has(p + "downsample.0.weight") ? b.batchNorm(p + "downsample.1", b.conv(p + "downsample.0", x, stride, 0)) : x;
            x = b.relu(b.simple(NodeOp::Add, out, QString::fromStdString(p + "add"), shortcut));
        }
    return b.simple(NodeOp::GlobalAvgPool, x, QStringLiteral("average-pool"));
}

int smallCnn(GraphBuilder &b)
{
    int x = b.maxPool(b.relu(b.conv("conv1", -1, 1, 1)), 2, 2, 0);
    x = b.maxPool(b.relu(b.conv("conv2", x, 1, 1)), 2, 2, 0);
    x = b.simple(NodeOp::Flatten, x, QStringLiteral("flatten"));
    x = b.relu(b.linear(QStringLiteral("fc1"), x, b.tensor("fc1.weight"), b.tensor("fc1.bias")));
    return b.linear(QStringLiteral("fc2"), x, b.tensor("fc2.weight"), b.tensor("fc2.bias"));
}

} // namespace

ConvGraph graphOf(const TrainedModel &model)
{
    ConvGraph graph;
    graph.architecture = model.architecture;
    graph.input = model.input;
    graph.classNames = model.classNames;
    if (model.architecture != ModelExport::kSmallCnn && model.architecture != QStringLiteral("gw-mobilenet")
        && model.architecture != QStringLiteral("resnet18"))
        throw Error(QStringLiteral("the compression steps know the layers of gw-mobilenet, resnet18 and the small CNN; a model of architecture '%1' "
                                   "(an imported TorchScript module is opaque to them) cannot be pruned or quantized")
                        .arg(model.architecture));
    if (model.architecture != ModelExport::kSmallCnn && !model.hasHead())
        throw Error(QStringLiteral("the %1 model has no classifier head (a pretrained feature extractor): there is no accuracy to keep while "
                                   "compressing it; compress a fine-tuned run's model")
                        .arg(model.architecture));
    GraphBuilder builder(graph, model.backbone);
    if (model.architecture == ModelExport::kSmallCnn) {
        smallCnn(builder);
        return graph;
    }
    int x = model.architecture == QStringLiteral("resnet18") ? resNet18(builder) : gwMobileNet(builder);
    if (model.featureMean.defined()) {
        GraphNode standardize;
        standardize.op = NodeOp::Standardize;
        standardize.name = QStringLiteral("feature standardisation");
        standardize.input = x;
        standardize.mean = model.featureMean.detach().to(torch::kFloat32).clone();
        standardize.std = model.featureStd.detach().to(torch::kFloat32).clone();
        x = graph.add(std::move(standardize));
    }
    builder.linear(QStringLiteral("head"), x, model.headWeight, model.headBias);
    return graph;
}

QStringList studentNames()
{
    return {QStringLiteral("gw-mobilenet-0.5"), QStringLiteral("gw-mobilenet-0.25"), ModelExport::kSmallCnn};
}

namespace {

/// The width of "gw-mobilenet-W", or nothing for another name.
std::optional<double> mobileNetWidth(const QString &name)
{
    static const QRegularExpression pattern(QStringLiteral("^gw-mobilenet-([0-9]*\\.?[0-9]+)$"));
    const QRegularExpressionMatch m = pattern.match(name);
    if (!m.hasMatch())
        return std::nullopt;
    const double width = m.captured(1).toDouble();
    return width > 0 && width <= 1 ? std::optional<double>(width) : std::nullopt;
}

bool isModelFile(const QString &name)
{
    return name.endsWith(QLatin1String(".safetensors")) || name.endsWith(QLatin1String(".pt"));
}

} // namespace

bool isStudentName(const QString &name)
{
    return name == ModelExport::kSmallCnn || mobileNetWidth(name) || isModelFile(name);
}

ConvGraph studentGraph(const QString &name, const InputSpec &input, const QStringList &classNames, std::uint64_t seed)
{
    if (!isStudentName(name))
        throw Error(QStringLiteral("unknown student '%1' (gw-mobilenet-W with 0 < W <= 1, such as %2, or a .safetensors or .pt model file)")
                        .arg(name, studentNames().join(QStringLiteral(", "))));
    if (isModelFile(name)) {
        ConvGraph own = name.endsWith(QLatin1String(".pt")) ? graphOfTorchScript(name, input) : graphOf(ModelExport::readSafetensors(name));
        if (own.input.channels != input.channels || own.input.rows != input.rows || own.input.cols != input.cols)
            throw Error::in(name, QStringLiteral("the student takes %1x%2x%3 images, its teacher %4x%5x%6")
                                      .arg(own.input.channels).arg(own.input.rows).arg(own.input.cols)
                                      .arg(input.channels).arg(input.rows).arg(input.cols));
        if (own.nodes.back().weight.size(0) != classNames.size())
            throw Error::in(name, QStringLiteral("the student gives %1 classes, its teacher %2").arg(own.nodes.back().weight.size(0)).arg(classNames.size()));
        own.classNames = classNames;
        return own;
    }
    torch::manual_seed(seed);
    ConvGraph graph;
    graph.architecture = name;
    graph.input = input;
    graph.classNames = classNames;
    const std::int64_t classes = classNames.size();
    const auto kaiming = [](std::int64_t out, std::int64_t in, int k) {
        return torch::randn({out, in, k, k}) * std::sqrt(2.0 / double(in * k * k));
    };
    const auto conv = [&graph, &kaiming](const QString &layer, int from, std::int64_t in, std::int64_t out, int k, int stride, int padding,
                                         std::int64_t groups, bool bias) {
        GraphNode n;
        n.op = NodeOp::Conv;
        n.name = layer;
        n.input = from;
        n.weight = kaiming(out, in / groups, k);
        if (bias)
            n.bias = torch::zeros({out});
        n.stride = stride;
        n.padding = padding;
        n.groups = groups;
        return graph.add(std::move(n));
    };
    const auto batchNormRelu = [&graph](const QString &layer, int from, std::int64_t channels) {
        GraphNode bn;
        bn.op = NodeOp::BatchNorm;
        bn.name = layer;
        bn.input = from;
        bn.weight = torch::ones({channels});
        bn.bias = torch::zeros({channels});
        bn.runningMean = torch::zeros({channels});
        bn.runningVar = torch::ones({channels});
        const int normed = graph.add(std::move(bn));
        GraphNode relu;
        relu.op = NodeOp::Relu;
        relu.name = layer + QStringLiteral(" relu");
        relu.input = normed;
        return graph.add(std::move(relu));
    };
    const auto linear = [&graph](const QString &layer, int from, std::int64_t in, std::int64_t out) {
        GraphNode n;
        n.op = NodeOp::Linear;
        n.name = layer;
        n.input = from;
        n.weight = torch::randn({out, in}) * std::sqrt(1.0 / double(in));
        n.bias = torch::zeros({out});
        return graph.add(std::move(n));
    };
    if (name == ModelExport::kSmallCnn) {
        GraphNode pool;
        pool.op = NodeOp::MaxPool;
        pool.name = QStringLiteral("max-pool");
        pool.kernel = 2;
        pool.stride = 2;
        int x = conv(QStringLiteral("conv1"), -1, input.channels, 16, 3, 1, 1, 1, true);
        GraphNode relu;
        relu.op = NodeOp::Relu;
        relu.input = x;
        x = graph.add(relu);
        pool.input = x;
        x = graph.add(pool);
        x = conv(QStringLiteral("conv2"), x, 16, 32, 3, 1, 1, 1, true);
        relu.input = x;
        x = graph.add(relu);
        pool.input = x;
        x = graph.add(pool);
        GraphNode flatten;
        flatten.op = NodeOp::Flatten;
        flatten.name = QStringLiteral("flatten");
        flatten.input = x;
        x = graph.add(flatten);
        x = linear(QStringLiteral("fc1"), x, 32 * (input.rows / 4) * (input.cols / 4), 128);
        relu.input = x;
        x = graph.add(relu);
        linear(QStringLiteral("fc2"), x, 128, classes);
        return graph;
    }
    const double width = *mobileNetWidth(name);
    const auto scaled = [width](int channels) { return std::max<std::int64_t>(8, std::int64_t(channels * width)); };
    std::int64_t channels = scaled(32);
    int x = batchNormRelu(QStringLiteral("stem.1"), conv(QStringLiteral("stem.0"), -1, input.channels, channels, 3, 1, 1, 1, false), channels);
    const int widths[] = {64, 128, 128, 256, 256};
    const int strides[] = {2, 1, 2, 1, 2};
    for (int b = 0; b < 5; ++b) {
        const QString p = QStringLiteral("blocks.%1.").arg(b);
        x = batchNormRelu(p + QStringLiteral("dw_bn"), conv(p + QStringLiteral("dw"), x, channels, channels, 3, strides[b], 1, channels, false), channels);
        const std::int64_t out = scaled(widths[b]);
        x = batchNormRelu(p + QStringLiteral("pw_bn"), conv(p + QStringLiteral("pw"), x, channels, out, 1, 1, 0, 1, false), out);
        channels = out;
    }
    GraphNode pool;
    pool.op = NodeOp::GlobalAvgPool;
    pool.name = QStringLiteral("average-pool");
    pool.input = x;
    x = graph.add(pool);
    linear(QStringLiteral("head"), x, channels, classes);
    return graph;
}

} // namespace gw::compression
