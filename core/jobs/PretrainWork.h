#pragma once
#include "jobs/RunWork.h"
#include "training/ContrastivePretrainer.h"

namespace gw {

/// A run of the "pretrain" kind: self-supervised pretraining of the bundled backbone on the
/// Fashion-MNIST training images (labels never read), written as safetensors to pretrain.output,
/// or into the store's cache when it names no file. Its energy is measured like any run's, so the
/// weights' model card can state what they cost.
class PretrainWork : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

} // namespace gw
