#pragma once
#include "jobs/RunWork.h"
#include "training/ContrastivePretrainer.h"

#include <memory>

namespace gw {

/// A run of the "pretrain" kind: self-supervised pretraining of the bundled backbone on the
/// Fashion-MNIST training images (labels never read), written as safetensors to pretrain.output,
/// or into the store's cache when it names no file. Its energy is measured like any run's, so the
/// weights' model card can state what they cost.
/// With training.hosts.workers it is data-parallel across hosts (see ContrastivePretrainer::train);
/// a worker keeps its copy of the weights in its own store, never at pretrain.output.
class PretrainWork : public RunWork {
public:
    PretrainWork();
    /// A data-parallel worker's work: @p parallel is its place among the hosts.
    explicit PretrainWork(std::shared_ptr<distributed::DataParallel> parallel);
    ~PretrainWork() override;
    WorkOutcome execute(RunContext &context) override;

private:
    std::shared_ptr<distributed::DataParallel> parallel_;
};

} // namespace gw
