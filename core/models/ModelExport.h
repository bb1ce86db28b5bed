#pragma once
#include "models/Backbone.h"
#include "models/Safetensors.h"

#include <QString>
#include <QStringList>
#include <map>
#include <memory>
#include <optional>

namespace torch::jit {
struct Module;
}

namespace gw {

/// A trained image classifier as a run leaves it: images (0..1, [N, C, H, W]) are normalised with
/// the backbone's input statistics, turned into features, standardised with the training labels'
/// feature statistics and classified by a linear head. Without a head it is a feature extractor
/// (what pretraining leaves).
struct TrainedModel {
    QString architecture;      ///< "gw-mobilenet", "resnet18", "torchscript"
    InputSpec input;
    NamedTensors backbone;     ///< the backbone's state dict (PyTorch names)
    torch::Tensor featureMean; ///< [D]; undefined: no standardisation
    torch::Tensor featureStd;  ///< [D]
    torch::Tensor headWeight;  ///< [K, D]; undefined: no head
    torch::Tensor headBias;    ///< [K]
    QStringList classNames;
    /// Architecture "torchscript": the imported module whose forward gives the features (4-D
    /// outputs are average-pooled); `backbone` then holds its tensors by name for the safetensors
    /// artifact only, and the TorchScript artifact embeds the module as submodule "backbone".
    std::shared_ptr<const torch::jit::Module> scriptedBackbone;

    bool hasHead() const { return headWeight.defined(); }
    /// Parameters and buffers in all (what the artifact table records).
    qint64 parameterCount() const;
};

/// Writes a TrainedModel as the two artifacts a run keeps: safetensors (every tensor, prefixed
/// "backbone." and "head.", with metadata: architecture, input size and normalisation, class names,
/// the run and its config) and a TorchScript module that stock `torch::jit::load` and Python's
/// `torch.jit.load` run without the workbench: forward(images in 0..1, [N, C, H, W]) -> logits
/// [N, K] (features [N, D] without a head).
class ModelExport {
public:
    /// The architecture name of the train kind's small CNN: a whole classifier (its "backbone"
    /// tensors include its own last layer; no separate head).
    static inline const QString kSmallCnn = QStringLiteral("small-cnn");

    /// Throws Error naming @p path when it cannot be written.
    static void writeSafetensors(const TrainedModel &model, const QString &path, const std::map<std::string, std::string> &metadata);
    /// Throws Error when the model has no TorchScript form (gw-mobilenet, resnet18, the small CNN
    /// and imported TorchScript backbones have one) or the file cannot be written.
    static void writeTorchScript(const TrainedModel &model, const QString &path);
    /// Whether writeTorchScript can write @p model (a native architecture, or an imported module).
    static bool canWriteTorchScript(const TrainedModel &model);
    /// The architecture name of a model on an imported TorchScript backbone.
    static inline const QString kTorchScript = QStringLiteral("torchscript");
    /// The name of that backbone inside the TorchScript artifact: a later run takes it up with
    /// model.feature_module "backbone".
    static inline const QString kScriptedBackboneName = QStringLiteral("backbone");
    /// The TrainedModel in a safetensors artifact written by writeSafetensors.
    static TrainedModel readSafetensors(const QString &path);
    /// Registers @p input's per-channel mean and std on @p module as the buffers input_mean and
    /// input_std ([1, C, 1, 1]) that every TorchScript form the workbench writes normalises images with.
    static void registerInputNormalisation(torch::jit::Module &module, const InputSpec &input);
    /// The workbench's own forward pass of @p model (float32), for checking the TorchScript one.
    static torch::Tensor predict(const TrainedModel &model, const torch::Tensor &images);
};

} // namespace gw
