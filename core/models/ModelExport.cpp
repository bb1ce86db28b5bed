#include "models/ModelExport.h"

#include "Error.h"
#include "models/BackboneFactory.h"
#include "models/SmallCnn.h"
#include "models/StateDict.h"
#include "util/Files.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <algorithm>
#include <cstring>
#include <sstream>
#include <torch/script.h>

namespace gw {

namespace {

constexpr const char *kBackbonePrefix = "backbone.";
constexpr double kBatchNormEps = 1e-5; // torch::nn::BatchNorm2d's default, as the native backbones use

/// A dotted state-dict name as a TorchScript attribute name ("blocks.3.pw_bn.weight" -> "blocks_3_pw_bn_weight").
std::string attribute(const std::string &name)
{
    std::string out = name;
    for (char &c : out)
        if (c == '.')
            c = '_';
    return out;
}

QString inputText(const InputSpec &input)
{
    const auto list = [](const std::vector<double> &values) {
        QJsonArray a;
        for (double v : values)
            a.append(v);
        return QString::fromUtf8(QJsonDocument(a).toJson(QJsonDocument::Compact));
    };
    return QStringLiteral("{\"size\":[%1,%2,%3],\"mean\":%4,\"std\":%5}").arg(input.channels).arg(input.rows).arg(input.cols).arg(list(input.mean), list(input.std));
}

/// The tensor @p name of @p state; an Error when it has none.
const torch::Tensor &tensorNamed(const NamedTensors &state, const std::string &name)
{
    const auto it = std::find_if(state.begin(), state.end(), [&name](const auto &t) { return t.first == name; });
    if (it == state.end())
        throw Error(QStringLiteral("the model has no tensor '%1'").arg(QString::fromStdString(name)));
    return it->second;
}

/// "torch.batch_norm(INPUT, <prefix's weight, bias, running statistics>, ...)" in eval mode, as
/// the native backbones' BatchNorm2d computes it.
std::string batchNorm(const std::string &prefix, const std::string &input)
{
    std::ostringstream code;
    code << "torch.batch_norm(" << input << ", self." << attribute(prefix + "weight") << ", self." << attribute(prefix + "bias") << ", self."
         << attribute(prefix + "running_mean") << ", self." << attribute(prefix + "running_var") << ", False, 0.1, " << kBatchNormEps << ", False)";
    return code.str();
}

/// "torch.conv2d(INPUT, <weight>, None, stride, padding, dilation 1, groups)": the backbones' convolutions have no bias.
std::string conv(const std::string &weight, const std::string &input, int stride, int padding, std::int64_t groups = 1)
{
    std::ostringstream code;
    code << "torch.conv2d(" << input << ", self." << attribute(weight) << ", None, [" << stride << ", " << stride << "], [" << padding << ", "
         << padding << "], [1, 1], " << groups << ")";
    return code.str();
}

/// TorchScript source of the small CNN (see SmallCnn): two 3x3 conv + ReLU + 2x2 max-pool stages,
/// then two linear layers; its own last layer gives the logits.
std::string smallCnnForward()
{
    return "        x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv1_weight, self.conv1_bias, [1, 1], [1, 1], [1, 1], 1)), [2, 2], [2, 2], [0, 0], [1, 1], False)\n"
           "        x = torch.max_pool2d(torch.relu(torch.conv2d(x, self.conv2_weight, self.conv2_bias, [1, 1], [1, 1], [1, 1], 1)), [2, 2], [2, 2], [0, 0], [1, 1], False)\n"
           "        x = torch.relu(torch.linear(x.flatten(1), self.fc1_weight, self.fc1_bias))\n"
           "        x = torch.linear(x, self.fc2_weight, self.fc2_bias)\n";
}

/// TorchScript source of gw-mobilenet's forward over flat attributes: a 3x3 stem, then five
/// depthwise-separable blocks (see GwMobileNet), each conv followed by batch norm (eval) and ReLU.
std::string gwMobileNetFeatures(const NamedTensors &state)
{
    std::ostringstream code;
    code << "        x = torch.relu(" << batchNorm("stem.1.", conv("stem.0.weight", "x", 1, 1)) << ")\n";
    const int strides[] = {2, 1, 2, 1, 2};
    for (int b = 0; b < 5; ++b) {
        const std::string prefix = "blocks." + std::to_string(b) + ".";
        const std::int64_t channels = tensorNamed(state, prefix + "dw.weight").size(0);
        code << "        x = torch.relu(" << batchNorm(prefix + "dw_bn.", conv(prefix + "dw.weight", "x", strides[b], 1, channels)) << ")\n";
        code << "        x = torch.relu(" << batchNorm(prefix + "pw_bn.", conv(prefix + "pw.weight", "x", 1, 0)) << ")\n";
    }
    code << "        x = x.mean([2, 3])\n";
    return code.str();
}

/// TorchScript source of ResNet-18's features (see ResNet18): a 7x7 stride-2 stem with max-pool,
/// then four stages of two basic blocks (3x3 convs, a 1x1 projection where the shape changes),
/// global average pooling. Its ImageNet classifier (fc) is not part of the features.
std::string resNet18Features(const NamedTensors &state)
{
    std::ostringstream code;
    code << "        x = torch.relu(" << batchNorm("bn1.", conv("conv1.weight", "x", 2, 3)) << ")\n";
    code << "        x = torch.max_pool2d(x, [3, 3], [2, 2], [1, 1], [1, 1], False)\n";
    for (int layer = 1; layer <= 4; ++layer) {
        for (int block = 0; block < 2; ++block) {
            const std::string prefix = "layer" + std::to_string(layer) + "." + std::to_string(block) + ".";
            const int stride = layer > 1 && block == 0 ? 2 : 1;
            code << "        out = torch.relu(" << batchNorm(prefix + "bn1.", conv(prefix + "conv1.weight", "x", stride, 1)) << ")\n";
            code << "        out = " << batchNorm(prefix + "bn2.", conv(prefix + "conv2.weight", "out", 1, 1)) << "\n";
            const bool projects = std::any_of(state.begin(), state.end(), [&prefix](const auto &t) { return t.first == prefix + "downsample.0.weight"; });
            const std::string shortcut = projects ? batchNorm(prefix + "downsample.1.", conv(prefix + "downsample.0.weight", "x", stride, 0)) : "x";
            code << "        x = torch.relu(out + " << shortcut << ")\n";
        }
    }
    code << "        x = x.mean([2, 3])\n";
    return code.str();
}

/// The TorchScript source of @p model's features (or, for the small CNN, its logits).
std::string forwardSource(const TrainedModel &model)
{
    if (model.scriptedBackbone)
        return "        x = self." + ModelExport::kScriptedBackboneName.toStdString() + ".forward(x)\n"
               "        if x.dim() == 4:\n"
               "            x = x.mean([2, 3])\n";
    if (model.architecture == ModelExport::kSmallCnn)
        return smallCnnForward();
    if (model.architecture == QStringLiteral("resnet18"))
        return resNet18Features(model.backbone);
    return gwMobileNetFeatures(model.backbone);
}

/// Floating tensors as float32 (what every consumer reads); integer ones (batch counts) as they are.
torch::Tensor stored(const torch::Tensor &t)
{
    const torch::Tensor detached = t.detach();
    return (detached.is_floating_point() ? detached.to(torch::kFloat32) : detached).contiguous().clone();
}

} // namespace

qint64 TrainedModel::parameterCount() const
{
    qint64 n = 0;
    for (const auto &[name, tensor] : backbone)
        n += tensor.numel();
    for (const torch::Tensor *t : {&featureMean, &featureStd, &headWeight, &headBias})
        if (t->defined())
            n += t->numel();
    return n;
}

void ModelExport::writeSafetensors(const TrainedModel &model, const QString &path, const std::map<std::string, std::string> &metadataIn)
{
    NamedTensors tensors;
    for (const auto &[name, tensor] : model.backbone)
        tensors.emplace_back(kBackbonePrefix + name, stored(tensor));
    if (model.featureMean.defined()) {
        tensors.emplace_back("features.mean", stored(model.featureMean));
        tensors.emplace_back("features.std", stored(model.featureStd));
    }
    if (model.hasHead()) {
        tensors.emplace_back("head.weight", stored(model.headWeight));
        tensors.emplace_back("head.bias", stored(model.headBias));
    }
    std::map<std::string, std::string> metadata = metadataIn;
    metadata["architecture"] = model.architecture.toStdString();
    metadata["input"] = inputText(model.input).toStdString();
    metadata["input_mean"] = QString::number(model.input.mean.front(), 'g', 17).toStdString();
    metadata["input_std"] = QString::number(model.input.std.front(), 'g', 17).toStdString();
    metadata["class_names"] = QJsonDocument(QJsonArray::fromStringList(model.classNames)).toJson(QJsonDocument::Compact).toStdString();
    metadata["format"] = "green-workbench model: backbone.*, features.mean/std, head.weight/bias";
    Safetensors::write(path, tensors, metadata);
}

TrainedModel ModelExport::readSafetensors(const QString &path)
{
    const SafetensorsContent content = Safetensors::read(path);
    TrainedModel model;
    const auto meta = [&content](const char *key) {
        const auto it = content.metadata.find(key);
        return it == content.metadata.end() ? QString() : QString::fromStdString(it->second);
    };
    model.architecture = meta("architecture");
    const QJsonObject input = QJsonDocument::fromJson(meta("input").toUtf8()).object();
    const QJsonArray size = input.value(QLatin1String("size")).toArray();
    if (model.architecture.isEmpty() || size.size() != 3)
        throw Error::in(path, QStringLiteral("not a model artifact of the workbench (its metadata lacks the architecture or the input size)"));
    model.input.channels = size[0].toInt();
    model.input.rows = size[1].toInt();
    model.input.cols = size[2].toInt();
    model.input.mean.clear();
    model.input.std.clear();
    for (const QJsonValue &v : input.value(QLatin1String("mean")).toArray())
        model.input.mean.push_back(v.toDouble());
    for (const QJsonValue &v : input.value(QLatin1String("std")).toArray())
        model.input.std.push_back(v.toDouble());
    for (const QJsonValue &v : QJsonDocument::fromJson(meta("class_names").toUtf8()).array())
        model.classNames << v.toString();
    for (const auto &[name, tensor] : content.tensors) {
        if (name.rfind(kBackbonePrefix, 0) == 0)
            model.backbone.emplace_back(name.substr(std::strlen(kBackbonePrefix)), tensor);
        else if (name == "features.mean")
            model.featureMean = tensor;
        else if (name == "features.std")
            model.featureStd = tensor;
        else if (name == "head.weight")
            model.headWeight = tensor;
        else if (name == "head.bias")
            model.headBias = tensor;
    }
    return model;
}

bool ModelExport::canWriteTorchScript(const TrainedModel &model)
{
    if (model.architecture == kTorchScript)
        return model.scriptedBackbone != nullptr;
    return model.architecture == QStringLiteral("gw-mobilenet") || model.architecture == QStringLiteral("resnet18") || model.architecture == kSmallCnn;
}

void ModelExport::writeTorchScript(const TrainedModel &model, const QString &path)
{
    if (!canWriteTorchScript(model))
        throw Error::in(path, QStringLiteral("no TorchScript form of architecture '%1' (gw-mobilenet, resnet18, the small CNN and imported "
                                             "TorchScript backbones have one); the safetensors artifact holds the model")
                                  .arg(model.architecture));
    torch::jit::Module module("GreenWorkbenchModel");
    if (model.scriptedBackbone)
        module.register_module(kScriptedBackboneName.toStdString(), model.scriptedBackbone->clone());
    else
        for (const auto &[name, tensor] : model.backbone)
            module.register_buffer(attribute(name), stored(tensor));
    registerInputNormalisation(module, model.input);
    std::ostringstream source;
    source << "def forward(self, images: Tensor) -> Tensor:\n"
           << "        x = (images - self.input_mean) / self.input_std\n"
           << forwardSource(model);
    if (model.featureMean.defined()) {
        module.register_buffer("feature_mean", stored(model.featureMean));
        module.register_buffer("feature_std", stored(model.featureStd));
        source << "        x = (x - self.feature_mean) / self.feature_std\n";
    }
    if (model.hasHead()) {
        module.register_buffer("head_weight", stored(model.headWeight));
        module.register_buffer("head_bias", stored(model.headBias));
        source << "        x = torch.linear(x, self.head_weight, self.head_bias)\n";
    }
    source << "        return x\n";
    module.define(source.str());
    module.eval();
    std::ostringstream bytes;
    module.save(bytes);
    AtomicFile::writeWhole(path, QByteArray::fromStdString(bytes.str()), QStringLiteral("the TorchScript model"));
}

void ModelExport::registerInputNormalisation(torch::jit::Module &module, const InputSpec &input)
{
    // One value per channel; a shorter list repeats its last value (a grey mean for RGB input).
    const auto perChannel = [&input](const std::vector<double> &values) {
        std::vector<float> v(values.begin(), values.end());
        v.resize(std::size_t(input.channels), v.empty() ? 0.0F : v.back());
        return torch::tensor(v).view({1, input.channels, 1, 1});
    };
    module.register_buffer("input_mean", perChannel(input.mean));
    module.register_buffer("input_std", perChannel(input.std));
}

torch::Tensor ModelExport::predict(const TrainedModel &model, const torch::Tensor &images)
{
    if (model.architecture == kSmallCnn) {
        const std::int64_t classes = tensorNamed(model.backbone, "fc2.bias").size(0);
        SmallCnn cnn(model.input.rows, model.input.cols, int(classes));
        loadStateDict(*cnn, model.backbone, QStringLiteral("the model"));
        cnn->eval();
        torch::NoGradGuard noGrad;
        return cnn->forward((images - model.input.mean.front()) / model.input.std.front());
    }
    torch::NoGradGuard noGrad;
    const torch::Tensor mean = torch::tensor(std::vector<float>(model.input.mean.begin(), model.input.mean.end())).view({1, -1, 1, 1});
    const torch::Tensor std = torch::tensor(std::vector<float>(model.input.std.begin(), model.input.std.end())).view({1, -1, 1, 1});
    torch::Tensor x;
    if (model.scriptedBackbone) {
        torch::jit::Module scripted = model.scriptedBackbone->clone();
        scripted.eval();
        x = scripted.forward({(images - mean) / std}).toTensor();
        if (x.dim() == 4)
            x = x.mean({2, 3});
    } else {
        BackboneSpec spec;
        spec.source = QStringLiteral("scratch");
        spec.architecture = model.architecture;
        spec.input = model.input;
        std::unique_ptr<Backbone> backbone = BackboneFactory::create(spec);
        backbone->loadState(model.backbone, QStringLiteral("the model"));
        backbone->setTraining(false);
        x = backbone->forward((images - mean) / std);
    }
    if (model.featureMean.defined())
        x = (x - model.featureMean) / model.featureStd;
    if (model.hasHead())
        x = torch::linear(x, model.headWeight, model.headBias);
    return x;
}

} // namespace gw
