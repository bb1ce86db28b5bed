#pragma once
#include "ConvGraph.h"
#include "models/ModelExport.h"

namespace gw::compression {

/// The ConvGraph of a trained classifier the workbench made: the small CNN, or a gw-mobilenet or
/// ResNet-18 backbone with its standardisation and linear head. Throws Error naming the
/// architecture (an imported TorchScript module, whose layers the pruner cannot see) or the
/// missing tensor, and a model without a head (a pretrained feature extractor: no accuracy to keep).
ConvGraph graphOf(const TrainedModel &model);

} // namespace gw::compression
