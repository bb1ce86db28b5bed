#pragma once
#include "models/Safetensors.h"

#include <QStringList>
#include <torch/nn/module.h>

namespace gw {

/// How loadStateDict treats entries the file and the module do not share.
struct LoadOptions {
    /// Name prefixes ("fc.") whose tensors are neither required from the file nor taken from it,
    /// for a part that is meant to differ, such as a classifier head with another class count.
    QStringList ignorePrefixes;
    /// Accept tensors in the file that the module does not have, instead of refusing the file.
    bool allowUnexpected = false;
};

/// A module's parameters and buffers under their dotted names ("layer1.0.conv1.weight"), in
/// PyTorch's state_dict order: each module's own parameters, then its buffers, then its children.
/// The tensors are detached aliases of the module's own; clone them for a snapshot.
NamedTensors stateDictOf(const torch::nn::Module &module);

/// Copies named tensors into a module's parameters and buffers, converting floating dtypes
/// (F64/F32/F16/BF16) to the parameter's and integer ones to the buffer's. Everything is checked
/// before anything is copied, so on a gw::Error (naming `origin` and the tensors at fault: missing,
/// unexpected, wrong shape, unconvertible dtype, named twice) the module is left as it was.
void loadStateDict(torch::nn::Module &module, const NamedTensors &tensors, const QString &origin,
                   const LoadOptions &options = {});

} // namespace gw
