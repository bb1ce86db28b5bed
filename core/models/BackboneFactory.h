#pragma once
#include "models/Backbone.h"

#include <QString>
#include <memory>
#include <optional>

namespace gw {

/// Where a backbone comes from (the "model" section of a run config).
struct BackboneSpec {
    QString source = QStringLiteral("bundled"); ///< bundled, scratch (random weights), safetensors, torchscript, artifact
    QString architecture = QStringLiteral("gw-mobilenet"); ///< for scratch and safetensors: gw-mobilenet or resnet18
    QString path;                               ///< the weights file (safetensors, torchscript)
    QString featureModule;                      ///< torchscript: submodule whose output is the feature vector
    std::optional<InputSpec> input;             ///< overrides the architecture's default input
    std::uint64_t seed = 1;                     ///< random weights of scratch
    QString origin;                             ///< artifact: what made it ("run 4's model"), for people
};

/// Makes backbones from specs: native LibTorch architectures (gw-mobilenet, resnet18) with random
/// or safetensors weights, the bundled pretrained gw-mobilenet, TorchScript modules, and the
/// backbone of a model artifact another run kept (its architecture and input in its metadata).
class BackboneFactory {
public:
    /// The bundled weights, compiled into the program.
    static QString bundledWeightsPath() { return QStringLiteral(":/gw/models/gw-mobilenet-fmnist.safetensors"); }
    /// Throws gw::Error naming the file and the problem (missing tensor, wrong shape, not a
    /// TorchScript archive, a probe forward whose output does not fit).
    static std::unique_ptr<Backbone> create(const BackboneSpec &spec);
};

} // namespace gw
