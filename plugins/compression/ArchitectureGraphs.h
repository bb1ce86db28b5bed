#pragma once
#include "ConvGraph.h"
#include "models/ModelExport.h"

namespace gw::compression {

/// The ConvGraph of a trained classifier the workbench made: the small CNN, or a gw-mobilenet or
/// ResNet-18 backbone with its standardisation and linear head. Throws Error naming the
/// architecture (an imported TorchScript module, whose layers the pruner cannot see) or the
/// missing tensor, and a model without a head (a pretrained feature extractor: no accuracy to keep).
ConvGraph graphOf(const TrainedModel &model);

/// The students distillation can train: gw-mobilenet at half or a quarter of its widths, or the
/// small CNN.
QStringList studentNames();
/// A student @p name for @p input images and @p classNames, with fresh weights (Kaiming-normal
/// convolutions, batch norms at identity, a small random head), seeded. Throws Error for an
/// unknown name.
ConvGraph studentGraph(const QString &name, const InputSpec &input, const QStringList &classNames, std::uint64_t seed);

} // namespace gw::compression
