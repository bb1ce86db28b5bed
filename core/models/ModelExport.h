#pragma once
#include "models/Backbone.h"
#include "models/Safetensors.h"

#include <QString>
#include <QStringList>
#include <map>
#include <optional>

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
    /// Throws Error when the architecture has no TorchScript form yet (gw-mobilenet and the small CNN have one) or
    /// the file cannot be written.
    static void writeTorchScript(const TrainedModel &model, const QString &path);
    /// Whether writeTorchScript knows @p architecture.
    static bool canWriteTorchScript(const QString &architecture);
    /// The TrainedModel in a safetensors artifact written by writeSafetensors.
    static TrainedModel readSafetensors(const QString &path);
    /// The workbench's own forward pass of @p model (float32), for checking the TorchScript one.
    static torch::Tensor predict(const TrainedModel &model, const torch::Tensor &images);
};

} // namespace gw
