#pragma once
#include "jobs/RunWork.h"
#include "models/ModelExport.h"

namespace gw {

/// Keeps a run's trained model: writes it into the run's artifact folder as safetensors (with the
/// run and its config in the metadata) and as TorchScript where its architecture has that form,
/// records both in the store and names them in the run's summary. An architecture without a
/// TorchScript form gets a notice; the safetensors artifact is kept all the same.
class ModelArtifacts {
public:
    static void keep(RunContext &context, const TrainedModel &model, QJsonObject &summary);
    /// keep() for a classifier over @p backbone's features, standardised with @p mean and @p std,
    /// with the linear head @p weight [K, D] and @p bias [K]. A backbone imported as TorchScript is
    /// kept as the module it is, inside the TorchScript artifact.
    static void keepClassifier(RunContext &context, const Backbone &backbone, const torch::Tensor &mean, const torch::Tensor &std,
                               const torch::Tensor &weight, const torch::Tensor &bias, const QStringList &classNames, QJsonObject &summary);
    /// The files' names inside a run's artifact folder.
    static QString safetensorsName() { return QStringLiteral("model.safetensors"); }
    static QString torchScriptName() { return QStringLiteral("model.pt"); }
};

} // namespace gw
