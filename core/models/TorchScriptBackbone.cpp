#include "models/TorchScriptBackbone.h"

#include "Error.h"

#include <QCryptographicHash>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QStringList>
#include <QtEndian>
#include <cstring>
#include <torch/script.h>

namespace gw {

namespace {

const QString kExportHint = QStringLiteral("export the model with torch.jit.script(model).save(path) or torch.jit.trace(model, example).save(path)");

/// The file's bytes for LibTorch's zip reader. Loading from the bytes we also hash (rather than
/// from the path) means the hash always describes the weights actually loaded.
class ByteArrayReadAdapter : public caffe2::serialize::ReadAdapterInterface {
public:
    explicit ByteArrayReadAdapter(QByteArray bytes) : bytes_(std::move(bytes)) {}
    size_t size() const override { return size_t(bytes_.size()); }
    size_t read(uint64_t pos, void *buf, size_t n, const char *) const override
    {
        if (pos >= size())
            return 0;
        const size_t count = std::min(n, size_t(size() - pos));
        std::memcpy(buf, bytes_.constData() + pos, count);
        return count;
    }

private:
    QByteArray bytes_;
};

/// LibTorch's reason in one line. c10::Error's what() carries a C++ backtrace, and the TorchScript
/// interpreter puts a TorchScript traceback before the error it caught: neither helps a person, the
/// error itself does.
QString torchReason(const std::exception &e)
{
    const auto *c10Error = dynamic_cast<const c10::Error *>(&e);
    const QString text = QString::fromUtf8(c10Error ? c10Error->what_without_backtrace() : e.what());
    QStringList lines;
    for (const QString &line : text.split(QLatin1Char('\n')))
        if (!line.trimmed().isEmpty())
            lines << line.trimmed();
    if (lines.isEmpty())
        return QStringLiteral("LibTorch gave no reason");
    QString reason = lines.first().startsWith(QStringLiteral("The following operation failed in the TorchScript interpreter"))
        ? lines.last()
        : lines.first();
    // TORCH_ENFORCE's source location ("[enforce fail at inline_container.cc:129] . ") means nothing to a person.
    static const QRegularExpression enforcePrefix(QStringLiteral("^\\[enforce fail at [^\\]]*\\]\\s*\\.?\\s*"));
    return reason.remove(enforcePrefix);
}

QString shapeOf(const torch::Tensor &tensor)
{
    QStringList sizes;
    for (const int64_t size : tensor.sizes())
        sizes << QString::number(size);
    return QLatin1Char('[') + sizes.join(QStringLiteral(", ")) + QLatin1Char(']');
}

/// Why bytes that LibTorch would not load as TorchScript are not TorchScript, from what they look
/// like: the usual mistakes (a safetensors file, a torch.save() checkpoint) get their own words.
Error notTorchScript(const QString &path, const QByteArray &bytes, const QString &reason)
{
    if (bytes.size() >= 9 && bytes[8] == '{' && qFromLittleEndian<quint64>(bytes.constData()) <= quint64(bytes.size() - 8))
        return Error(QStringLiteral("%1: is a safetensors file (weights without code), not a TorchScript module; use model.source "
                                    "'safetensors' with a known model.architecture, or %2")
                         .arg(path, kExportHint));
    // Protocol 2+ pickles start with 0x80: torch.save() before PyTorch 1.6 wrote one.
    if (bytes.startsWith('\x80'))
        return Error(QStringLiteral("%1: is a Python pickle (torch.save() in the legacy format), not a TorchScript module; %2").arg(path, kExportHint));
    if (!bytes.startsWith("PK"))
        return Error(QStringLiteral("%1: is not a TorchScript archive (those are zip archives written by torch.jit.save); LibTorch says: %2")
                         .arg(path, reason));
    try {
        caffe2::serialize::PyTorchStreamReader reader(std::make_shared<ByteArrayReadAdapter>(bytes));
        // torch.save() writes data.pkl alone; a TorchScript archive has constants.pkl and code/ too.
        if (reader.hasRecord("data.pkl") && !reader.hasRecord("constants.pkl"))
            return Error(QStringLiteral("%1: is a torch.save() checkpoint (pickled tensors such as a state_dict), not a TorchScript "
                                        "module; %2")
                             .arg(path, kExportHint));
    } catch (const std::exception &) {
        // Not even PyTorch's zip layout: the generic zip message below says so.
    }
    return Error(QStringLiteral("%1: is a zip archive but not a TorchScript module LibTorch can load; LibTorch says: %2").arg(path, reason));
}

QByteArray readFile(const QString &path)
{
    const QFileInfo info(path);
    if (!info.exists())
        throw Error(QStringLiteral("%1: file not found").arg(path));
    if (info.isDir())
        throw Error(QStringLiteral("%1: is a folder, not a TorchScript file").arg(path));
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("%1: cannot be read (%2)").arg(path, file.errorString()));
    return file.readAll();
}

/// The submodule at a dotted path. At the level where a name is missing, the message lists the
/// submodules that do exist there, since guessing names inside someone else's model is the hard part.
torch::jit::Module findSubmodule(const torch::jit::Module &root, const QString &dottedPath, const QString &path)
{
    torch::jit::Module current = root;
    QString reached;
    for (const QString &name : dottedPath.split(QLatin1Char('.'))) {
        QStringList available;
        c10::optional<torch::jit::Module> next;
        for (const auto &child : current.named_children()) {
            available << QString::fromStdString(child.name);
            if (child.name == name.toStdString())
                next = child.value;
        }
        if (!next) {
            const QString where = reached.isEmpty() ? QStringLiteral("the module") : QStringLiteral("submodule '%1'").arg(reached);
            const QString choices = available.isEmpty() ? QStringLiteral("%1 has no submodules").arg(where)
                                                        : QStringLiteral("the submodules of %1 are: %2").arg(where, available.join(QStringLiteral(", ")));
            throw Error(QStringLiteral("%1: model.feature_module '%2' not found; %3").arg(path, dottedPath, choices));
        }
        current = *next;
        reached = reached.isEmpty() ? name : reached + QLatin1Char('.') + name;
    }
    return current;
}

} // namespace

TorchScriptBackbone::TorchScriptBackbone(const torch::jit::Module &features, QString path, const QString &featureModule, InputSpec input)
    : features_(std::make_unique<torch::jit::Module>(features)), path_(std::move(path)),
      subject_(featureModule.isEmpty() ? QStringLiteral("the module") : QStringLiteral("feature module '%1'").arg(featureModule)),
      input_(std::move(input))
{
}

TorchScriptBackbone::~TorchScriptBackbone() = default;

std::unique_ptr<Backbone> TorchScriptBackbone::load(const QString &path, const QString &featureModule, const InputSpec &input)
{
    const QByteArray bytes = readFile(path);
    torch::jit::Module root;
    try {
        // On the CPU, so a module saved from a GPU loads on machines without one.
        root = torch::jit::load(std::make_shared<ByteArrayReadAdapter>(bytes), torch::Device(torch::kCPU));
    } catch (const std::exception &e) {
        throw notTorchScript(path, bytes, torchReason(e));
    }
    // The archive records requires_grad as it was at export (often false after a frozen export);
    // fine-tuning needs it on.
    for (torch::Tensor parameter : root.parameters())
        if (parameter.is_floating_point())
            parameter.requires_grad_(true);

    const torch::jit::Module features = featureModule.isEmpty() ? root : findSubmodule(root, featureModule, path);
    std::unique_ptr<TorchScriptBackbone> backbone(new TorchScriptBackbone(features, path, featureModule, input));
    if (!features.find_method("forward"))
        throw Error(QStringLiteral("%1: %2 has no forward method").arg(path, backbone->subject_));
    backbone->features_->eval();
    {
        torch::NoGradGuard noGrad;
        const torch::Tensor probe = torch::zeros({2, input.channels, input.rows, input.cols});
        c10::IValue output;
        try {
            output = backbone->features_->forward({probe});
        } catch (const std::exception &e) {
            throw Error(QStringLiteral("%1: the forward of %2 fails on images of model.input_size %3x%4x%5 (channels x rows x cols); "
                                       "LibTorch says: %6")
                            .arg(path, backbone->subject_)
                            .arg(input.channels)
                            .arg(input.rows)
                            .arg(input.cols)
                            .arg(torchReason(e)));
        }
        const torch::Tensor probed = backbone->toFeatures(output);
        if (probed.size(0) != 2)
            throw Error(QStringLiteral("%1: the forward of %2 returns %3 rows for a batch of 2 images; it must return one feature "
                                       "vector per image")
                            .arg(path, backbone->subject_)
                            .arg(probed.size(0)));
        backbone->featureDim_ = int(probed.size(1));
    }

    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(bytes);
    // Separators, so that no two (module, input) pairs hash the same bytes.
    hash.addData(QByteArray(1, '\0') + featureModule.toUtf8() + QByteArray(1, '\0') + input.describe().toUtf8());
    backbone->hash_ = QString::fromLatin1(hash.result().toHex());
    const QString fileName = QFileInfo(path).fileName();
    backbone->origin_ = featureModule.isEmpty() ? QStringLiteral("%1 (TorchScript)").arg(fileName)
                                                : QStringLiteral("%1 (TorchScript, feature module %2)").arg(fileName, featureModule);
    return backbone;
}

torch::Tensor TorchScriptBackbone::toFeatures(const c10::IValue &output) const
{
    if (!output.isTensor()) {
        QString kind;
        if (output.isTuple())
            kind = QStringLiteral("a tuple of %1 values").arg(output.toTupleRef().elements().size());
        else if (output.isGenericDict())
            kind = QStringLiteral("a dict");
        else if (output.isList())
            kind = QStringLiteral("a list");
        else
            kind = QStringLiteral("a %1").arg(QString::fromUtf8(output.tagKind().c_str()));
        throw Error(QStringLiteral("%1: the forward of %2 returns %3, not a tensor; the features must be one tensor [N, D] or "
                                   "[N, C, H, W] (name the submodule that returns them with model.feature_module)")
                        .arg(path_, subject_, kind));
    }
    const torch::Tensor tensor = output.toTensor();
    if ((tensor.dim() == 2 || tensor.dim() == 4) && tensor.numel() == 0)
        throw Error(QStringLiteral("%1: the forward of %2 returns an empty tensor of shape %3; features need at least one value per image")
                        .arg(path_, subject_, shapeOf(tensor)));
    if (tensor.dim() == 2)
        return tensor;
    if (tensor.dim() == 4)
        return tensor.mean({2, 3});
    throw Error(QStringLiteral("%1: the forward of %2 returns a tensor of shape %3; features must be [N, D], or [N, C, H, W] "
                               "feature maps (average-pooled to [N, C])")
                    .arg(path_, subject_, shapeOf(tensor)));
}

torch::Tensor TorchScriptBackbone::forward(const torch::Tensor &images)
{
    c10::IValue output;
    try {
        output = features_->forward({images});
    } catch (const std::exception &e) {
        throw Error(QStringLiteral("%1: the forward of %2 fails on images of shape %3; LibTorch says: %4")
                        .arg(path_, subject_, shapeOf(images), torchReason(e)));
    }
    return toFeatures(output);
}

std::vector<torch::Tensor> TorchScriptBackbone::parameters(bool lastBlockOnly)
{
    torch::jit::Module block = *features_;
    if (lastBlockOnly)
        for (const torch::jit::Module &child : features_->children())
            if (child.parameters().size() > 0)
                block = child;
    std::vector<torch::Tensor> out;
    for (const torch::Tensor &parameter : block.parameters())
        out.push_back(parameter);
    return out;
}

void TorchScriptBackbone::setTraining(bool training)
{
    features_->train(training);
}

void TorchScriptBackbone::loadState(const std::vector<std::pair<std::string, torch::Tensor>> &, const QString &origin)
{
    throw Error::in(origin, QStringLiteral("weights by name cannot be loaded into an imported TorchScript module (%1)").arg(origin_));
}

} // namespace gw
