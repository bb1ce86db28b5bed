#pragma once
#include <QStringList>

namespace gw {

/// `green-workbench pretrain [options]`: pretrains the bundled backbone (self-supervised, on the
/// Fashion-MNIST training images without labels) as a measured run, then writes its weights as
/// safetensors and, next to them, a Hugging Face model card stating what the pretraining cost.
class PretrainCommand {
public:
    /// @p arguments are those after the word "pretrain". Returns the exit code.
    static int execute(const QStringList &arguments);
    static QString usage();
};

} // namespace gw
