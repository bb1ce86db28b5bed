#include "ConvGraph.h"

#include "Error.h"
#include "TorchScriptSource.h"
#include "models/ModelExport.h"
#include "util/Files.h"

#include <sstream>
#include <torch/script.h>
#include <torch/torch.h>

namespace gw::compression {

namespace {

constexpr double kBatchNormEps = 1e-5; // torch::nn::BatchNorm2d's default, as the workbench's backbones use
constexpr double kBatchNormMomentum = 0.1;

torch::Tensor copied(const torch::Tensor &t)
{
    return t.defined() ? t.detach().clone() : t;
}

qint64 elementsOf(const torch::Tensor &t)
{
    return t.defined() ? t.numel() : 0;
}

qint64 nonzeroOf(const torch::Tensor &t)
{
    return t.defined() ? t.ne(0).sum().item<std::int64_t>() : 0;
}

/// "[a, a]": a TorchScript int list of two equal values.
} // namespace

int ConvGraph::add(GraphNode node)
{
    nodes.push_back(std::move(node));
    return int(nodes.size()) - 1;
}

std::vector<torch::Tensor> ConvGraph::activations(const torch::Tensor &image, bool training, const FakeQuantization *fake) const
{
    const auto rounded = [fake](const torch::Tensor &t, std::size_t node) {
        return fake ? torch::fake_quantize_per_tensor_affine(t, fake->scale[node], fake->zero[node], 0, 255) : t;
    };
    const auto weightOf = [fake](const torch::Tensor &w) {
        if (!fake)
            return w;
        const torch::Tensor scales = (w.detach().flatten(1).abs().amax(1) / 127.0).clamp_min(1e-8).to(torch::kFloat32);
        return torch::fake_quantize_per_channel_affine(w, scales, torch::zeros({w.size(0)}, torch::kInt32), 0, -128, 127);
    };
    const torch::Tensor x = fake ? torch::fake_quantize_per_tensor_affine(image, fake->inputScale, fake->inputZero, 0, 255) : image;
    std::vector<torch::Tensor> out(nodes.size());
    const auto in = [&](int i) -> const torch::Tensor & { return i < 0 ? x : out[std::size_t(i)]; };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode &n = nodes[i];
        const torch::Tensor &a = in(n.input);
        switch (n.op) {
        case NodeOp::Conv:
            out[i] = rounded(torch::conv2d(a, weightOf(n.weight), n.bias, n.stride, n.padding, 1, n.groups), i);
            break;
        case NodeOp::BatchNorm:
            out[i] = torch::batch_norm(a, n.weight, n.bias, n.runningMean, n.runningVar, training, kBatchNormMomentum, kBatchNormEps, false);
            break;
        case NodeOp::Relu: out[i] = rounded(torch::relu(a), i); break;
        case NodeOp::MaxPool: out[i] = torch::max_pool2d(a, n.kernel, n.stride, n.padding); break;
        case NodeOp::Add: out[i] = rounded(a + in(n.input2), i); break;
        case NodeOp::GlobalAvgPool: out[i] = a.mean({2, 3}); break;
        case NodeOp::Flatten: out[i] = a.flatten(1); break;
        case NodeOp::Linear: out[i] = rounded(torch::linear(a, weightOf(n.weight), n.bias), i); break;
        case NodeOp::Standardize: out[i] = (a - n.mean) / n.std; break;
        }
    }
    return out;
}

torch::Tensor ConvGraph::forward(const torch::Tensor &x, bool training, const FakeQuantization *fake) const
{
    return activations(x, training, fake).back();
}

std::vector<std::vector<std::int64_t>> ConvGraph::shapes() const
{
    torch::NoGradGuard noGrad;
    const std::vector<torch::Tensor> out = activations(torch::zeros({1, input.channels, input.rows, input.cols}), false);
    std::vector<std::vector<std::int64_t>> result;
    for (const torch::Tensor &t : out)
        result.emplace_back(t.sizes().begin() + 1, t.sizes().end());
    return result;
}

std::vector<torch::Tensor> ConvGraph::trainable() const
{
    std::vector<torch::Tensor> out;
    for (const GraphNode &n : nodes)
        if (n.op == NodeOp::Conv || n.op == NodeOp::Linear || n.op == NodeOp::BatchNorm)
            for (const torch::Tensor &t : {n.weight, n.bias})
                if (t.defined())
                    out.push_back(t);
    return out;
}

qint64 ConvGraph::parameterCount() const
{
    qint64 count = 0;
    for (const GraphNode &n : nodes)
        count += elementsOf(n.weight) + elementsOf(n.bias) + elementsOf(n.mean) + elementsOf(n.std);
    return count;
}

qint64 ConvGraph::nonzeroParameters() const
{
    torch::NoGradGuard noGrad;
    qint64 count = 0;
    for (const GraphNode &n : nodes)
        count += nonzeroOf(n.weight) + nonzeroOf(n.bias) + nonzeroOf(n.mean) + nonzeroOf(n.std);
    return count;
}

qint64 ConvGraph::multiplyAdds() const
{
    const std::vector<std::vector<std::int64_t>> shape = shapes();
    qint64 macs = 0;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode &n = nodes[i];
        if (n.op == NodeOp::Conv) // every output value: in/groups x k x k multiply-adds
            macs += shape[i][0] * shape[i][1] * shape[i][2] * n.weight.size(1) * n.weight.size(2) * n.weight.size(3);
        else if (n.op == NodeOp::Linear)
            macs += n.weight.size(0) * n.weight.size(1);
    }
    return macs;
}

ConvGraph ConvGraph::clone() const
{
    ConvGraph copy = *this;
    for (GraphNode &n : copy.nodes)
        for (torch::Tensor *t : {&n.weight, &n.bias, &n.runningMean, &n.runningVar, &n.mean, &n.std})
            *t = copied(*t);
    return copy;
}

std::vector<int> readersOf(const ConvGraph &graph, int index)
{
    std::vector<int> readers;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i)
        if (graph.nodes[i].input == index || graph.nodes[i].input2 == index)
            readers.push_back(int(i));
    return readers;
}

ConvGraph ConvGraph::folded() const
{
    torch::NoGradGuard noGrad;
    ConvGraph out;
    out.architecture = architecture;
    out.input = input;
    out.classNames = classNames;
    std::vector<int> newIndex(nodes.size(), -1);
    const auto mapped = [&newIndex](int i) { return i < 0 ? i : newIndex[std::size_t(i)]; };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode &n = nodes[i];
        const bool foldable = n.op == NodeOp::BatchNorm && n.input >= 0 && nodes[std::size_t(n.input)].op == NodeOp::Conv
                              && readersOf(*this, n.input).size() == 1;
        if (foldable) {
            // w' = w * gamma / sqrt(var + eps); b' = (b - mean) * gamma / sqrt(var + eps) + beta
            GraphNode &conv = out.nodes[std::size_t(mapped(n.input))];
            const torch::Tensor scale = n.weight / torch::sqrt(n.runningVar + kBatchNormEps);
            const torch::Tensor bias = conv.bias.defined() ? conv.bias : torch::zeros_like(n.runningMean);
            conv.weight = conv.weight * scale.view({-1, 1, 1, 1});
            conv.bias = (bias - n.runningMean) * scale + n.bias;
            newIndex[i] = mapped(n.input);
            continue;
        }
        const std::vector<int> readers = readersOf(*this, int(i));
        if (n.op == NodeOp::Standardize && readers.size() == 1 && nodes[std::size_t(readers.front())].op == NodeOp::Linear) {
            newIndex[i] = mapped(n.input); // folded into its linear layer, below
            continue;
        }
        GraphNode copy = n;
        for (torch::Tensor *t : {&copy.weight, &copy.bias, &copy.runningMean, &copy.runningVar, &copy.mean, &copy.std})
            *t = copied(*t);
        copy.input = mapped(n.input);
        copy.input2 = mapped(n.input2);
        const int source = n.input >= 0 ? n.input : -1;
        if (n.op == NodeOp::Linear && source >= 0 && nodes[std::size_t(source)].op == NodeOp::Standardize && readersOf(*this, source).size() == 1) {
            // W (x - m) / s + b = (W / s) x + (b - (W / s) m): the standardisation disappears into the layer.
            const GraphNode &standardize = nodes[std::size_t(source)];
            copy.weight = copy.weight / standardize.std.view({1, -1});
            const torch::Tensor bias = copy.bias.defined() ? copy.bias : torch::zeros({copy.weight.size(0)});
            copy.bias = bias - torch::mv(copy.weight, standardize.mean);
        }
        newIndex[i] = out.add(std::move(copy));
    }
    return out;
}

std::vector<std::pair<std::string, torch::Tensor>> ConvGraph::namedTensors() const
{
    std::vector<std::pair<std::string, torch::Tensor>> out;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode &n = nodes[i];
        const std::string prefix = "n" + std::to_string(i) + ".";
        const std::pair<const char *, const torch::Tensor *> named[] = {{"weight", &n.weight}, {"bias", &n.bias},
                                                                        {"running_mean", &n.runningMean}, {"running_var", &n.runningVar},
                                                                        {"mean", &n.mean},     {"std", &n.std}};
        for (const auto &[name, tensor] : named)
            if (tensor->defined())
                out.emplace_back(prefix + name, tensor->detach().to(torch::kFloat32).contiguous());
    }
    return out;
}

void ConvGraph::writeTorchScript(const QString &path) const
{
    torch::jit::Module module("GreenWorkbenchCompressedModel");
    ModelExport::registerInputNormalisation(module, input);
    std::ostringstream code;
    code << "def forward(self, images: Tensor) -> Tensor:\n"
         << "        x = (images - self.input_mean) / self.input_std\n";
    const auto var = [](int i) { return i < 0 ? std::string("x") : "v" + std::to_string(i); };
    for (std::size_t i = 0; i < nodes.size(); ++i) {
        const GraphNode &n = nodes[i];
        const std::string p = "n" + std::to_string(i) + "_";
        const auto buffer = [&module, &p](const char *name, const torch::Tensor &t) {
            module.register_buffer(p + name, t.detach().to(torch::kFloat32).contiguous().clone());
            return "self." + p + name;
        };
        const std::string a = var(n.input);
        code << "        " << var(int(i)) << " = ";
        switch (n.op) {
        case NodeOp::Conv:
            code << "torch.conv2d(" << a << ", " << buffer("weight", n.weight) << ", " << (n.bias.defined() ? buffer("bias", n.bias) : "None")
                 << ", " << pair(n.stride) << ", " << pair(n.padding) << ", [1, 1], " << n.groups << ")";
            break;
        case NodeOp::BatchNorm:
            code << "torch.batch_norm(" << a << ", " << buffer("weight", n.weight) << ", " << buffer("bias", n.bias) << ", "
                 << buffer("running_mean", n.runningMean) << ", " << buffer("running_var", n.runningVar) << ", False, " << kBatchNormMomentum
                 << ", " << kBatchNormEps << ", False)";
            break;
        case NodeOp::Relu: code << "torch.relu(" << a << ")"; break;
        case NodeOp::MaxPool:
            code << "torch.max_pool2d(" << a << ", " << pair(n.kernel) << ", " << pair(n.stride) << ", " << pair(n.padding) << ", [1, 1], False)";
            break;
        case NodeOp::Add: code << a << " + " << var(n.input2); break;
        case NodeOp::GlobalAvgPool: code << a << ".mean([2, 3])"; break;
        case NodeOp::Flatten: code << a << ".flatten(1)"; break;
        case NodeOp::Linear:
            code << "torch.linear(" << a << ", " << buffer("weight", n.weight) << ", " << (n.bias.defined() ? buffer("bias", n.bias) : "None") << ")";
            break;
        case NodeOp::Standardize: code << "(" << a << " - " << buffer("mean", n.mean) << ") / " << buffer("std", n.std); break;
        }
        code << "\n";
    }
    code << "        return " << var(int(nodes.size()) - 1) << "\n";
    module.define(code.str());
    module.eval();
    std::ostringstream bytes;
    module.save(bytes);
    AtomicFile::writeWhole(path, QByteArray::fromStdString(bytes.str()), QStringLiteral("the TorchScript model"));
}

} // namespace gw::compression
