#pragma once
#include "jobs/RunWork.h"
#include "training/ContrastivePretrainer.h"

namespace gw {

/// `green-workbench pretrain`: self-supervised pretraining of the bundled backbone on the
/// Fashion-MNIST training images (labels never read), written as safetensors. Its energy is
/// measured like any run's, so the weights' model card can state what they cost.
class PretrainWork : public RunWork {
public:
    PretrainWork(PretrainParams params, QString weightsPath);
    WorkOutcome execute(RunContext &context) override;

private:
    PretrainParams params_;
    QString weightsPath_;
};

} // namespace gw
