#include "models/StateDict.h"

#include "Error.h"

#include <torch/torch.h>

#include <algorithm>
#include <map>
#include <set>

namespace gw {

namespace {

// Recursion over named_children instead of named_modules(): the latter needs the top module to be
// held by a shared_ptr, which a caller's stack-allocated module is not.
void collect(const torch::nn::Module &module, const std::string &prefix, NamedTensors &out)
{
    // LibTorch registers absent optional tensors (a Linear without bias) as undefined ones.
    for (const auto &item : module.named_parameters(/*recurse=*/false))
        if (item.value().defined())
            out.emplace_back(prefix + item.key(), item.value().detach());
    for (const auto &item : module.named_buffers(/*recurse=*/false))
        if (item.value().defined())
            out.emplace_back(prefix + item.key(), item.value().detach());
    for (const auto &child : module.named_children())
        collect(*child.value(), prefix + child.key() + ".", out);
}

// Values convert within a kind (a F16 file into a F32 model); across kinds (floats into a step
// counter, integers into weights) the file is for some other model.
bool convertible(c10::ScalarType from, c10::ScalarType to)
{
    if (c10::isFloatingType(to))
        return c10::isFloatingType(from);
    if (c10::isIntegralType(to, /*includeBool=*/false))
        return c10::isIntegralType(from, /*includeBool=*/false);
    return from == to;
}

// LibTorch's own notation, "[5, 144]", as in its error messages.
QString shapeText(c10::IntArrayRef sizes)
{
    return QString::fromStdString(c10::str(sizes));
}

QString quoted(const std::string &name)
{
    return QLatin1Char('\'') + QString::fromStdString(name) + QLatin1Char('\'');
}

// All problems at once, since fixing a file one complaint per attempt is slow; a few suffice to
// recognise a wrong file.
[[noreturn]] void failWith(const QString &origin, const QStringList &problems)
{
    constexpr qsizetype kShown = 5;
    QString text = problems.mid(0, kShown).join(QStringLiteral("; "));
    if (problems.size() > kShown)
        text += QStringLiteral("; and %1 more").arg(problems.size() - kShown);
    throw Error(QStringLiteral("%1: %2").arg(origin, text));
}

} // namespace

NamedTensors stateDictOf(const torch::nn::Module &module)
{
    NamedTensors out;
    collect(module, std::string(), out);
    return out;
}

void loadStateDict(torch::nn::Module &module, const NamedTensors &tensors, const QString &origin,
                   const LoadOptions &options)
{
    std::vector<std::string> prefixes;
    for (const QString &prefix : options.ignorePrefixes)
        prefixes.push_back(prefix.toStdString());
    const auto ignored = [&prefixes](const std::string &name) {
        return std::any_of(prefixes.begin(), prefixes.end(),
                           [&name](const std::string &prefix) { return name.compare(0, prefix.size(), prefix) == 0; });
    };

    QStringList problems;
    std::map<std::string, const torch::Tensor *> given;
    for (const auto &[name, tensor] : tensors)
        if (!given.emplace(name, &tensor).second)
            problems << QStringLiteral("tensor %1 is given twice").arg(quoted(name));

    // Detached aliases: copying into them fills the module's own tensors.
    const NamedTensors targets = stateDictOf(module);
    std::set<std::string> known;
    std::vector<std::pair<torch::Tensor, torch::Tensor>> copies;
    for (const auto &[name, target] : targets) {
        known.insert(name);
        if (ignored(name))
            continue;
        const auto found = given.find(name);
        if (found == given.end()) {
            problems << QStringLiteral("missing tensor %1").arg(quoted(name));
            continue;
        }
        const torch::Tensor &source = *found->second;
        if (!source.defined())
            problems << QStringLiteral("tensor %1 is undefined").arg(quoted(name));
        else if (!source.sizes().equals(target.sizes()))
            problems << QStringLiteral("tensor %1 has shape %2, the module's has shape %3")
                            .arg(quoted(name), shapeText(source.sizes()), shapeText(target.sizes()));
        else if (!convertible(source.scalar_type(), target.scalar_type()))
            problems << QStringLiteral("tensor %1 has dtype %2, which cannot become the module's %3")
                            .arg(quoted(name), Safetensors::dtypeName(source.scalar_type()),
                                 Safetensors::dtypeName(target.scalar_type()));
        else
            copies.emplace_back(target, source);
    }
    if (!options.allowUnexpected)
        for (const auto &entry : given)
            if (!ignored(entry.first) && known.count(entry.first) == 0)
                problems << QStringLiteral("unexpected tensor %1 (the module has no such parameter or buffer)")
                                .arg(quoted(entry.first));
    if (!problems.isEmpty())
        failWith(origin, problems);

    torch::NoGradGuard noGrad;
    for (auto &[target, source] : copies)
        target.copy_(source);
}

} // namespace gw
