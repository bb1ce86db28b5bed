#pragma once
#include "jobs/RunWork.h"

namespace gw::compression {

/// One compress run: loads the input model and the data, measures the input as the reference,
/// then applies the configured steps in order, each making a variant from the one before, kept as
/// artifacts (TorchScript, and safetensors for float variants) and measured like the reference.
/// The summary's "variants" list holds the reference first, then every variant with its figures,
/// what making it cost and its break-even.
class CompressionWork : public RunWork {
public:
    WorkOutcome execute(RunContext &context) override;
};

} // namespace gw::compression
