#include "models/BackboneFactory.h"
#include "models/ModelExport.h"

#include "Error.h"
#include "models/GwMobileNet.h"
#include "models/ResNet18.h"
#include "models/Safetensors.h"
#include "models/StateDict.h"
#include "models/TorchScriptBackbone.h"

#include <cmath>
#include <QCryptographicHash>
#include <QFileInfo>
#include <functional>

namespace gw {

InputSpec InputSpec::ofShape(const std::array<int, 3> &shape, double mean, double std)
{
    const std::size_t channels = std::size_t(shape[0]);
    return InputSpec{shape[0], shape[1], shape[2], std::vector<double>(channels, mean), std::vector<double>(channels, std)};
}

QString InputSpec::describe() const
{
    QStringList means, stds;
    for (double m : mean)
        means << QString::number(m, 'f', 4);
    for (double s : std)
        stds << QString::number(s, 'f', 4);
    return QStringLiteral("%1x%2x%3 mean=%4 std=%5").arg(channels).arg(rows).arg(cols).arg(means.join(QLatin1Char(',')), stds.join(QLatin1Char(',')));
}

namespace {

/// Fashion-MNIST's pixel statistics: the input normalisation of gw-mobilenet when its weights do
/// not say otherwise (random weights), so pretrained and random backbones see the same inputs.
const InputSpec kFashionInput{1, 28, 28, {0.2860}, {0.3530}};
/// ImageNet's, which torchvision's ResNet-18 weights expect.
const InputSpec kImageNetInput{3, 224, 224, {0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};

/// A native LibTorch architecture behind the Backbone interface.
class NativeBackbone : public Backbone {
public:
    NativeBackbone(QString architecture, std::shared_ptr<torch::nn::Module> module, std::function<torch::Tensor(const torch::Tensor &)> forward,
                   int featureDim, std::string lastBlockPrefix, InputSpec input)
        : architecture_(std::move(architecture)), module_(std::move(module)), forward_(std::move(forward)), featureDim_(featureDim),
          lastBlockPrefix_(std::move(lastBlockPrefix)), input_(std::move(input))
    {
        module_->eval();
    }

    QString architecture() const override { return architecture_; }
    InputSpec input() const override { return input_; }
    int featureDim() const override { return featureDim_; }
    torch::Tensor forward(const torch::Tensor &images) override { return forward_(images); }
    std::vector<torch::Tensor> parameters(bool lastBlockOnly) override
    {
        std::vector<torch::Tensor> out;
        for (const auto &item : module_->named_parameters())
            if (!lastBlockOnly || item.key().rfind(lastBlockPrefix_, 0) == 0)
                out.push_back(item.value());
        return out;
    }
    void setTraining(bool training) override { module_->train(training); }
    QString contentHash() const override { return hash_; }
    QString origin() const override { return origin_; }

    std::vector<std::pair<std::string, torch::Tensor>> stateDict() const override { return stateDictOf(*module_); }
    void loadState(const std::vector<std::pair<std::string, torch::Tensor>> &state, const QString &origin) override
    {
        loadStateDict(*module_, state, origin);
        rehash();
    }

    torch::nn::Module &module() { return *module_; }
    void setInput(const InputSpec &input) { input_ = input; }
    void setOrigin(const QString &origin) { origin_ = origin; }
    /// Hashes the architecture and the weights now in the module.
    void rehash()
    {
        QCryptographicHash hash(QCryptographicHash::Sha256);
        hash.addData(architecture_.toUtf8());
        hash.addData(Safetensors::serialize(stateDictOf(*module_), {}, architecture_));
        hash_ = QString::fromLatin1(hash.result().toHex());
    }

private:
    QString architecture_;
    std::shared_ptr<torch::nn::Module> module_;
    std::function<torch::Tensor(const torch::Tensor &)> forward_;
    int featureDim_;
    std::string lastBlockPrefix_;
    InputSpec input_;
    QString hash_;
    QString origin_;
};

std::unique_ptr<NativeBackbone> makeNative(const QString &architecture, int inChannels)
{
    if (architecture == QStringLiteral("gw-mobilenet")) {
        GwMobileNet net(inChannels);
        InputSpec input = kFashionInput;
        input.channels = inChannels;
        input.mean.assign(std::size_t(inChannels), kFashionInput.mean[0]);
        input.std.assign(std::size_t(inChannels), kFashionInput.std[0]);
        return std::make_unique<NativeBackbone>(architecture, net.ptr(), [net](const torch::Tensor &x) mutable { return net->forward(x); },
                                                GwMobileNetImpl::kFeatureDim, GwMobileNetImpl::lastBlockPrefix(), input);
    }
    if (architecture == QStringLiteral("resnet18")) {
        ResNet18 net(1000, inChannels);
        return std::make_unique<NativeBackbone>(architecture, net.ptr(), [net](const torch::Tensor &x) mutable { return net->features(x); },
                                                ResNet18Impl::kFeatureDim, "layer4.", kImageNetInput);
    }
    throw Error(QStringLiteral("model.architecture '%1' is not known (gw-mobilenet, resnet18)").arg(architecture));
}

/// The input normalisation a safetensors file states in its metadata, if it states one.
std::optional<InputSpec> inputFromMetadata(const std::map<std::string, std::string> &metadata, const QString &path)
{
    const auto size = metadata.find("input_size");
    const auto mean = metadata.find("input_mean");
    const auto stddev = metadata.find("input_std");
    if (size == metadata.end() || mean == metadata.end() || stddev == metadata.end())
        return std::nullopt;
    const QStringList dims = QString::fromStdString(size->second).split(QLatin1Char(','));
    const QStringList means = QString::fromStdString(mean->second).split(QLatin1Char(','));
    const QStringList stds = QString::fromStdString(stddev->second).split(QLatin1Char(','));
    InputSpec input;
    bool ok = dims.size() == 3;
    input.channels = ok ? dims[0].toInt(&ok) : 0;
    input.rows = ok ? dims[1].toInt(&ok) : 0;
    input.cols = ok ? dims[2].toInt(&ok) : 0;
    input.mean.clear();
    input.std.clear();
    for (const QString &m : means)
        input.mean.push_back(m.toDouble());
    for (const QString &s : stds)
        input.std.push_back(s.toDouble());
    if (!ok || input.channels < 1 || input.rows < 1 || input.cols < 1)
        throw Error(QStringLiteral("%1: metadata input_size '%2' is not C,H,W").arg(path, QString::fromStdString(size->second)));
    // One value stands for every channel.
    if (input.mean.size() == 1)
        input.mean.assign(std::size_t(input.channels), input.mean[0]);
    if (input.std.size() == 1)
        input.std.assign(std::size_t(input.channels), input.std[0]);
    if (int(input.mean.size()) != input.channels || int(input.std.size()) != input.channels)
        throw Error(QStringLiteral("%1: metadata input_mean/input_std do not give one value per channel").arg(path));
    // Images are divided by the std: zero, a negative or a non-number would turn every feature into NaN or Inf.
    for (double value : input.std)
        if (!(value > 0) || !std::isfinite(value))
            throw Error(QStringLiteral("%1: metadata input_std '%2' must hold positive finite numbers").arg(path, QString::fromStdString(stddev->second)));
    for (double value : input.mean)
        if (!std::isfinite(value))
            throw Error(QStringLiteral("%1: metadata input_mean '%2' must hold finite numbers").arg(path, QString::fromStdString(mean->second)));
    return input;
}

std::unique_ptr<Backbone> loadNative(const BackboneSpec &spec, const QString &path, const QString &origin)
{
    const SafetensorsContent content = Safetensors::read(path);
    std::optional<InputSpec> input = spec.input ? spec.input : inputFromMetadata(content.metadata, path);
    const int inChannels = input ? input->channels : (spec.architecture == QStringLiteral("resnet18") ? 3 : 1);
    std::unique_ptr<NativeBackbone> backbone = makeNative(spec.architecture, inChannels);
    // A classifier head trained for other classes is not part of a feature extractor.
    LoadOptions options;
    if (spec.architecture == QStringLiteral("resnet18"))
        options.ignorePrefixes << QStringLiteral("fc.");
    loadStateDict(backbone->module(), content.tensors, path, options);
    if (input)
        backbone->setInput(*input);
    backbone->setOrigin(origin);
    backbone->rehash();
    return backbone;
}

} // namespace

std::unique_ptr<Backbone> BackboneFactory::create(const BackboneSpec &spec)
{
    if (spec.source == QStringLiteral("bundled")) {
        BackboneSpec bundled = spec;
        bundled.architecture = QStringLiteral("gw-mobilenet");
        return loadNative(bundled, bundledWeightsPath(), QStringLiteral("bundled gw-mobilenet-fmnist.safetensors"));
    }
    if (spec.source == QStringLiteral("safetensors")) {
        if (spec.path.isEmpty())
            throw Error(QStringLiteral("model.source 'safetensors' needs model.path"));
        return loadNative(spec, spec.path, QStringLiteral("%1 (%2)").arg(QFileInfo(spec.path).fileName(), spec.architecture));
    }
    if (spec.source == QStringLiteral("scratch")) {
        torch::manual_seed(spec.seed);
        std::unique_ptr<NativeBackbone> backbone = makeNative(spec.architecture, spec.input ? spec.input->channels : 1);
        if (spec.input)
            backbone->setInput(*spec.input);
        backbone->setOrigin(QStringLiteral("%1 with random weights (seed %2)").arg(spec.architecture).arg(spec.seed));
        backbone->rehash();
        return backbone;
    }
    if (spec.source == QStringLiteral("artifact")) {
        const TrainedModel model = ModelExport::readSafetensors(spec.path);
        std::unique_ptr<NativeBackbone> backbone = makeNative(model.architecture, model.input.channels);
        loadStateDict(backbone->module(), model.backbone, spec.path);
        backbone->setInput(model.input);
        backbone->setOrigin(spec.origin.isEmpty() ? QFileInfo(spec.path).fileName() : spec.origin);
        backbone->rehash();
        return backbone;
    }
    if (spec.source == QStringLiteral("torchscript")) {
        if (spec.path.isEmpty() || !spec.input)
            throw Error(QStringLiteral("model.source 'torchscript' needs model.path and model.input_size"));
        return TorchScriptBackbone::load(spec.path, spec.featureModule, *spec.input);
    }
    throw Error(QStringLiteral("model.source '%1' is not known (bundled, scratch, safetensors, torchscript, artifact)").arg(spec.source));
}

} // namespace gw
