#pragma once
#include "models/Backbone.h"

#include <QString>
#include <QStringList>
#include <torch/types.h>
#include <vector>

namespace gw::compression {

/// What a node of a ConvGraph computes.
enum class NodeOp {
    Conv,          ///< torch.conv2d(weight, bias?, stride, padding, groups)
    BatchNorm,     ///< eval: running statistics; training: the batch's (and the running ones follow)
    Relu,
    MaxPool,       ///< kernel, stride, padding
    Add,           ///< input + input2 (a residual connection)
    GlobalAvgPool, ///< mean over H and W
    Flatten,       ///< [N, C, H, W] -> [N, C*H*W]
    Linear,        ///< torch.linear(weight, bias?)
    Standardize,   ///< (x - mean) / std per feature
};

/// One node: its operation, the node(s) it reads (-1: the normalised image) and its tensors.
struct GraphNode {
    NodeOp op = NodeOp::Relu;
    QString name; ///< the layer it came from ("blocks.3.pw"): what messages and variants name
    int input = -1;
    int input2 = -1; ///< Add only
    torch::Tensor weight, bias;            ///< Conv [out, in/groups, k, k], Linear [out, in]; BatchNorm's gamma and beta
    torch::Tensor runningMean, runningVar; ///< BatchNorm
    torch::Tensor mean, std;               ///< Standardize
    int stride = 1;
    int padding = 0;
    std::int64_t groups = 1;
    int kernel = 2; ///< MaxPool
};

/// Int8 arithmetic simulated in float, for quantization-aware training: activations rounded as
/// their int8 form would round them (per-tensor quint8, the given scale and zero point, after the
/// image, every convolution, linear layer, addition and ReLU), weights of convolutions and linear
/// layers rounded per output channel to symmetric int8. Gradients pass straight through the rounding.
struct FakeQuantization {
    double inputScale = 1;
    std::int64_t inputZero = 0;
    std::vector<double> scale;        ///< per node
    std::vector<std::int64_t> zero;   ///< per node
};

/// A trained image classifier as a graph of plain operations over its own tensors: what the
/// compression steps rewrite (pruning removes channels from the tensors of every node that shares
/// them, quantization replaces the operations, distillation trains a new graph) and what becomes
/// the TorchScript every variant is measured and shipped as. Nodes are in topological order; the
/// last one gives the logits. Its input is normalised images ([N, C, H, W], the InputSpec's
/// normalisation applied); its TorchScript form takes images in 0..1 and normalises them itself.
class ConvGraph {
public:
    QString architecture;
    InputSpec input;
    QStringList classNames;
    std::vector<GraphNode> nodes;

    /// Appends @p node; returns its index.
    int add(GraphNode node);
    /// Logits of normalised images. @p training: batch statistics in the batch norms (which
    /// update their running statistics), for recovery fine-tuning; gradients flow when the
    /// tensors require them.
    torch::Tensor forward(const torch::Tensor &normalised, bool training = false, const FakeQuantization *fake = nullptr) const;
    /// Each node's output shape for one image ([C, H, W] or [F]).
    std::vector<std::vector<std::int64_t>> shapes() const;
    /// Weights, biases, batch-norm scales and shifts: what training changes.
    std::vector<torch::Tensor> trainable() const;
    /// Parameters (weights, biases, batch-norm scales and shifts, standardisation) in all, and those
    /// that are not zero (what unstructured pruning leaves).
    qint64 parameterCount() const;
    qint64 nonzeroParameters() const;
    /// Multiply-adds of one image's forward pass (convolutions and linear layers).
    qint64 multiplyAdds() const;
    /// A copy that shares no tensor with this one.
    ConvGraph clone() const;
    /// The inference form: every batch norm that follows a convolution (and is its only reader)
    /// folded into that convolution's weight and bias, and a standardisation read only by a linear
    /// layer folded into that layer. The same function, fewer operations (and none that int8
    /// arithmetic lacks).
    ConvGraph folded() const;
    /// Writes the graph as a TorchScript module that stock torch::jit::load and Python's
    /// torch.jit.load run: forward(images in 0..1, [N, C, H, W]) -> logits [N, K]. Throws Error
    /// naming @p path when it cannot be written.
    void writeTorchScript(const QString &path) const;
    /// The tensors by name ("n3.weight"), for a safetensors export of a float variant.
    std::vector<std::pair<std::string, torch::Tensor>> namedTensors() const;

    /// Every node's output for @p normalised, in node order (what calibration observes).
    std::vector<torch::Tensor> activations(const torch::Tensor &normalised, bool training = false, const FakeQuantization *fake = nullptr) const;
};

/// The nodes that read node @p index's output (as input or input2).
std::vector<int> readersOf(const ConvGraph &graph, int index);

} // namespace gw::compression
