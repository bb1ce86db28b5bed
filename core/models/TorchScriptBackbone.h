#pragma once
#include "models/Backbone.h"

#include <QString>
#include <memory>

// Declared only: the jit headers are large and only the .cpp needs them.
namespace torch::jit {
struct Module;
}

namespace gw {

/// An imported TorchScript module (torch.jit.script or torch.jit.trace, then .save()) used as a
/// backbone, so people can bring any PyTorch model without us knowing its architecture.
///
/// The feature extractor is either the whole module's forward or, with a feature module, the
/// forward of one submodule named by a dotted path ("backbone", "features.encoder"). The submodule
/// is run directly on the images, which assumes it is the first stage of the model (the common
/// "backbone + head" layout); a submodule that expects another stage's output fails the probe.
///
/// Outputs of [N, D] are the features as they are; [N, C, H, W] feature maps are global-average
/// pooled to [N, C], so a convolutional trunk without its own pooling works too.
class TorchScriptBackbone : public Backbone {
public:
    /// Loads the archive onto the CPU and runs a probe forward (eval mode, no gradients, a batch of
    /// two zero images of @p input) to learn the feature size and check the output's shape. Every
    /// failure (file missing, not a TorchScript archive, unknown feature module, a forward that
    /// throws or returns something other than a 2-D or 4-D tensor) is a gw::Error naming the file.
    /// Floating parameters are made trainable, whatever the archive says, so fine-tuning works.
    static std::unique_ptr<Backbone> load(const QString &path, const QString &featureModule, const InputSpec &input);
    ~TorchScriptBackbone() override;

    QString architecture() const override { return QStringLiteral("torchscript"); }
    InputSpec input() const override { return input_; }
    int featureDim() const override { return featureDim_; }
    /// Runs in the caller's grad mode, so fine-tuning gets gradients through it.
    torch::Tensor forward(const torch::Tensor &images) override;
    /// All parameters of the feature module; with @p lastBlockOnly those of its last direct child
    /// that has parameters, or all of them when no child has any (the module is one block).
    std::vector<torch::Tensor> parameters(bool lastBlockOnly) override;
    void setTraining(bool training) override;
    /// SHA-256 of the file's bytes, the feature module and the input spec.
    QString contentHash() const override { return hash_; }
    /// "<file name> (TorchScript[, feature module X])".
    QString origin() const override { return origin_; }
    /// An imported module's weights are its own archive's: none are exported or loaded by name.
    std::vector<std::pair<std::string, torch::Tensor>> stateDict() const override { return {}; }
    void loadState(const std::vector<std::pair<std::string, torch::Tensor>> &, const QString &origin) override;
    /// The feature module itself (trained in place by fine-tuning), for keeping the run's model.
    const torch::jit::Module &module() const { return *features_; }

private:
    TorchScriptBackbone(const torch::jit::Module &features, QString path, const QString &featureModule, InputSpec input);

    /// The module's output as [N, D] features; throws gw::Error for any other output.
    torch::Tensor toFeatures(const c10::IValue &output) const;

    std::unique_ptr<torch::jit::Module> features_;
    QString path_;
    /// "the module" or "feature module 'x'": whose forward a message speaks of.
    QString subject_;
    InputSpec input_;
    int featureDim_ = 0;
    QString hash_;
    QString origin_;
};

} // namespace gw
