#include "TorchScriptGraphs.h"

#include "Error.h"

#include <map>
#include <set>
#include <torch/csrc/jit/ir/constants.h>
#include <torch/csrc/jit/passes/freeze_module.h>
#include <torch/csrc/jit/passes/inliner.h>
#include <torch/script.h>
#include <torch/torch.h>

namespace gw::compression {

namespace {

using torch::jit::Node;
using torch::jit::Value;

/// Walks a frozen forward graph and builds the ConvGraph node by node.
class GraphReader {
public:
    GraphReader(const QString &path, ConvGraph &graph) : path_(path), graph_(graph) {}

    void read(const std::shared_ptr<torch::jit::Graph> &g)
    {
        image_ = g->inputs().back();
        for (Node *n : g->nodes())
            readNode(n);
        const auto it = index_.find(g->outputs().at(0));
        if (it == index_.end() || it->second != int(graph_.nodes.size()) - 1 || graph_.nodes.empty())
            refuse(QStringLiteral("its output is not the last layer the compression steps read"));
    }

private:
    [[noreturn]] void refuse(const QString &why) const
    {
        throw Error::in(path_, QStringLiteral("this TorchScript module cannot be compressed: %1").arg(why));
    }

    c10::IValue constant(const Value *v, const char *what) const
    {
        const c10::optional<c10::IValue> value = torch::jit::toIValue(v);
        if (!value)
            refuse(QStringLiteral("the %1 of an operation is computed, not a constant").arg(QLatin1String(what)));
        return *value;
    }
    torch::Tensor tensor(const Value *v, const char *what) const { return constant(v, what).toTensor().detach().to(torch::kFloat32).clone(); }
    torch::Tensor optionalTensor(const Value *v) const
    {
        const c10::IValue value = constant(v, "bias");
        return value.isNone() ? torch::Tensor() : value.toTensor().detach().to(torch::kFloat32).clone();
    }
    /// A pair of equal integers ([2, 2]), as the graph's layers take them.
    /// @p fallback: what an empty list means (max_pool2d's stride: the window).
    int square(const Value *v, const char *what, int fallback = -1) const
    {
        const c10::IValue value = constant(v, what);
        if (value.isInt())
            return int(value.toInt());
        const std::vector<std::int64_t> values = value.toIntVector();
        if (values.empty() && fallback >= 0)
            return fallback;
        if (values.empty() || values.front() != values.back())
            refuse(QStringLiteral("a %1 that differs between height and width").arg(QLatin1String(what)));
        return int(values.front());
    }

    /// The graph node a value comes from: -1 for the (normalised) image.
    int source(const Value *v) const
    {
        const auto it = index_.find(v);
        if (it == index_.end())
            refuse(QStringLiteral("an operation reads a value the compression steps did not make"));
        return it->second;
    }
    bool isImage(const Value *v) const { return v == image_ || normalisedImage_.count(v) > 0; }

    int add(GraphNode node, const Node *from)
    {
        node.name = QStringLiteral("%1 (%2)").arg(QString::fromUtf8(from->kind().toQualString())).arg(graph_.nodes.size());
        const int i = graph_.add(std::move(node));
        index_[from->output()] = i;
        return i;
    }

    void readNode(const Node *n)
    {
        const std::string kind = n->kind().toQualString();
        if (kind == "prim::Constant" || kind == "prim::ListConstruct")
            return; // read where they are used
        GraphNode node;
        if (kind == "aten::sub" || kind == "aten::div") {
            // (image - mean) / std at the start, or a standardisation of the features before a linear layer.
            const torch::Tensor c = tensor(n->input(1), "operand").flatten();
            if (isImage(n->input(0))) {
                (kind == "aten::sub" ? mean_ : std_) = c;
                normalisedImage_.insert(n->output());
                return;
            }
            const int from = source(n->input(0));
            if (kind == "aten::div" && graph_.nodes[std::size_t(from)].op == NodeOp::Standardize && !graph_.nodes[std::size_t(from)].std.defined()) {
                graph_.nodes[std::size_t(from)].std = c;
                index_[n->output()] = from;
                return;
            }
            if (kind != "aten::sub")
                refuse(QStringLiteral("a division that is not part of a standardisation"));
            node.op = NodeOp::Standardize;
            node.input = from;
            node.mean = c;
            add(std::move(node), n);
            return;
        }
        if (kind == "aten::conv2d" || kind == "aten::_convolution") {
            node.op = NodeOp::Conv;
            node.input = isImage(n->input(0)) ? -1 : source(n->input(0));
            node.weight = tensor(n->input(1), "weight");
            node.bias = optionalTensor(n->input(2));
            node.stride = square(n->input(3), "stride");
            node.padding = square(n->input(4), "padding");
            if (square(n->input(5), "dilation") != 1)
                refuse(QStringLiteral("a dilated convolution"));
            node.groups = constant(n->input(kind == "aten::conv2d" ? 6 : 8), "groups").toInt();
            if (kind == "aten::_convolution" && constant(n->input(6), "transposed").toBool())
                refuse(QStringLiteral("a transposed convolution"));
        } else if (kind == "aten::batch_norm") {
            node.op = NodeOp::BatchNorm;
            node.input = source(n->input(0));
            node.weight = tensor(n->input(1), "scale");
            node.bias = tensor(n->input(2), "shift");
            node.runningMean = tensor(n->input(3), "running mean");
            node.runningVar = tensor(n->input(4), "running variance");
            if (std::abs(constant(n->input(7), "epsilon").toDouble() - 1e-5) > 1e-12)
                refuse(QStringLiteral("a batch norm whose epsilon is not 1e-5"));
        } else if (kind == "aten::relu" || kind == "aten::relu_") {
            node.op = NodeOp::Relu;
            node.input = source(n->input(0));
        } else if (kind == "aten::max_pool2d") {
            node.op = NodeOp::MaxPool;
            node.input = source(n->input(0));
            node.kernel = square(n->input(1), "pooling window");
            node.stride = square(n->input(2), "pooling stride", node.kernel);
            node.padding = square(n->input(3), "pooling padding");
            if (square(n->input(4), "pooling dilation") != 1 || constant(n->input(5), "ceil mode").toBool())
                refuse(QStringLiteral("a max pooling with dilation or ceil mode"));
        } else if (kind == "aten::add" || kind == "aten::add_") {
            node.op = NodeOp::Add;
            node.input = source(n->input(0));
            node.input2 = source(n->input(1));
        } else if (kind == "aten::mean" || kind == "aten::adaptive_avg_pool2d") {
            node.op = NodeOp::GlobalAvgPool;
            node.input = source(n->input(0));
            if (kind == "aten::adaptive_avg_pool2d" && square(n->input(1), "output size") != 1)
                refuse(QStringLiteral("an adaptive pooling to more than 1x1"));
            if (kind == "aten::adaptive_avg_pool2d")
                pooledMaps_.insert(n->output()); // [N, C, 1, 1]: the flatten after it is the pooling's own
        } else if (kind == "aten::flatten" || kind == "aten::view" || kind == "aten::reshape") {
            if (pooledMaps_.count(n->input(0))) {
                index_[n->output()] = source(n->input(0));
                return;
            }
            node.op = NodeOp::Flatten;
            node.input = source(n->input(0));
        } else if (kind == "aten::linear") {
            node.op = NodeOp::Linear;
            node.input = source(n->input(0));
            node.weight = tensor(n->input(1), "weight");
            node.bias = optionalTensor(n->input(2));
        } else if (kind == "aten::dropout" || kind == "aten::contiguous" || kind == "aten::detach") {
            index_[n->output()] = source(n->input(0)); // nothing in eval
            return;
        } else {
            refuse(QStringLiteral("operation '%1' is not one the compression steps know (conv2d, batch_norm, relu, max_pool2d, add, mean, "
                                  "adaptive_avg_pool2d, flatten, linear)")
                       .arg(QString::fromStdString(kind)));
        }
        add(std::move(node), n);
    }

public:
    torch::Tensor mean_, std_;

private:
    QString path_;
    ConvGraph &graph_;
    const Value *image_ = nullptr;
    std::set<const Value *> normalisedImage_;
    std::set<const Value *> pooledMaps_;
    std::map<const Value *, int> index_;
};

} // namespace

ConvGraph graphOfTorchScript(const QString &path, InputSpec input)
{
    torch::jit::Module module;
    try {
        module = torch::jit::load(path.toStdString());
    } catch (const std::exception &e) {
        throw Error::in(path, QStringLiteral("not a TorchScript module: %1").arg(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
    }
    module.eval();
    torch::jit::Module frozen = torch::jit::freeze_module(module);
    std::shared_ptr<torch::jit::Graph> g = frozen.get_method("forward").graph()->copy();
    torch::jit::Inline(*g);
    ConvGraph graph;
    graph.architecture = QStringLiteral("torchscript");
    GraphReader reader(path, graph);
    reader.read(g);
    // The module's own normalisation becomes the input's; the graph then starts at the normalised image.
    if (reader.mean_.defined())
        input.mean.assign(reader.mean_.data_ptr<float>(), reader.mean_.data_ptr<float>() + reader.mean_.numel());
    if (reader.std_.defined())
        input.std.assign(reader.std_.data_ptr<float>(), reader.std_.data_ptr<float>() + reader.std_.numel());
    graph.input = input;
    for (GraphNode &n : graph.nodes)
        if (n.op == NodeOp::Standardize && !n.std.defined())
            n.std = torch::ones_like(n.mean);
    // A module carries no class names: its classes are its logits.
    const GraphNode &last = graph.nodes.back();
    if (last.op != NodeOp::Linear)
        throw Error::in(path, QStringLiteral("this TorchScript module cannot be compressed: it does not end in a linear classifier"));
    for (std::int64_t c = 0; c < last.weight.size(0); ++c)
        graph.classNames << QStringLiteral("class %1").arg(c);
    return graph;
}

} // namespace gw::compression
