#pragma once
#include "data/ImageDataset.h"

#include <torch/types.h>

namespace gw {

struct RunConfig;

/// Which training samples carry a label in a fine-tuning run, and which of those validate.
struct LabelSplit {
    torch::Tensor train; ///< int64 indices into the training set
    torch::Tensor validation;
};

/// The labelled samples of a run of @p config over @p train: labels.count of them (all when 0),
/// seeded by the config's seed, validation_fraction of them held out (none when under ten). A later
/// run that works on the same model (compression) gets the same samples from the same config.
LabelSplit chooseLabels(const ImageDataset &train, const RunConfig &config);

} // namespace gw
