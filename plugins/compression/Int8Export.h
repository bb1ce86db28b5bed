#pragma once
#include "ConvGraph.h"

#include <QString>
#include <QStringList>

namespace gw::compression {

/// Int8 forms of a graph, through LibTorch's quantized operators, saved as TorchScript that stock
/// torch::jit::load runs (set the same quantized engine first: weights are packed for the engine in
/// force when a module is loaded).
///  - static: every convolution and linear layer in int8 with per-channel symmetric weights and
///    activations quantized with scales calibrated (min/max) on training images; convolution+ReLU
///    and addition+ReLU fused; pooling and flattening stay int8. An operation int8 cannot do runs
///    in float between a dequantize and a quantize, and is named in the returned notices.
///  - dynamic: linear layers in int8 (weights per channel, activations quantized on the fly), the
///    rest in float.
class Int8Export {
public:
    /// The quantized engines of this LibTorch build ("onednn", "qnnpack").
    static QStringList engines();
    /// The engine that packs weights from now on; throws Error for one this build lacks.
    static void useEngine(const QString &engine);
    static QString currentEngine();
    /// Of @p engines, the one that runs the TorchScript at @p path faster on @p images (batch
    /// throughput, median of a few passes); leaves that engine in force.
    static QString fasterEngine(const QString &path, const torch::Tensor &images);

    /// The int8 scales of @p folded's activations, observed (min/max) on @p calibration
    /// (normalised images): what the static form uses, and what quantization-aware training rounds to.
    static FakeQuantization calibrate(const ConvGraph &folded, const torch::Tensor &calibration);

    /// Writes @p folded (ConvGraph::folded) in int8 form @p mode ("static" or "dynamic") to @p path;
    /// @p calibration: normalised training images (static). Returns notices of layers left in float.
    static QStringList write(const ConvGraph &folded, const QString &mode, const torch::Tensor &calibration, const QString &path);
};

} // namespace gw::compression
