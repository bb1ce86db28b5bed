#include "jobs/ModelArtifacts.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "models/TorchScriptBackbone.h"

#include <torch/script.h>

#include <QCoreApplication>
#include <QDir>

namespace gw {

void ModelArtifacts::keep(RunContext &context, const TrainedModel &model, QJsonObject &summary)
{
    const MeasuredWindow exporting(context, QStringLiteral("export"));
    const QDir folder(context.artifactDirectory());
    const QString weights = folder.filePath(safetensorsName());
    ModelExport::writeSafetensors(model, weights,
                                  {{"run_id", std::to_string(context.runId())},
                                   {"kind", context.config().kind.toStdString()},
                                   {"config", context.config().toJsonText(-1)},
                                   {"workbench", QCoreApplication::applicationVersion().toStdString()}});
    context.recordArtifact(QStringLiteral("model"), QStringLiteral("safetensors"), weights, model.parameterCount());
    summary.insert(QStringLiteral("model_safetensors"), weights);
    if (!ModelExport::canWriteTorchScript(model)) {
        context.notice(QStringLiteral("the model is kept as safetensors only: architecture '%1' has no TorchScript form in the workbench yet")
                           .arg(model.architecture));
        return;
    }
    const QString script = folder.filePath(torchScriptName());
    ModelExport::writeTorchScript(model, script);
    context.recordArtifact(QStringLiteral("model"), QStringLiteral("torchscript"), script, model.parameterCount());
    summary.insert(QStringLiteral("model_torchscript"), script);
}

void ModelArtifacts::keepClassifier(RunContext &context, const Backbone &backbone, const torch::Tensor &mean, const torch::Tensor &std,
                                    const torch::Tensor &weight, const torch::Tensor &bias, const QStringList &classNames, QJsonObject &summary)
{
    TrainedModel model;
    model.architecture = backbone.architecture();
    model.input = backbone.input();
    model.backbone = backbone.stateDict();
    if (const auto *imported = dynamic_cast<const TorchScriptBackbone *>(&backbone)) {
        // Its module (as fine-tuning left it) goes into the TorchScript artifact whole; the
        // safetensors artifact keeps its tensors by name beside the head.
        model.scriptedBackbone = std::make_shared<const torch::jit::Module>(imported->module()); // a handle; the export copies it
        for (const auto &named : imported->module().named_parameters())
            model.backbone.emplace_back(named.name, named.value);
        for (const auto &named : imported->module().named_buffers())
            model.backbone.emplace_back(named.name, named.value);
    }
    model.featureMean = mean;
    model.featureStd = std;
    model.headWeight = weight;
    model.headBias = bias;
    model.classNames = classNames;
    keep(context, model, summary);
}

} // namespace gw
