#pragma once
#include "ConvGraph.h"
#include "models/ModelExport.h"

namespace gw::compression {

/// The ConvGraph of a trained classifier the workbench made: the small CNN, or a gw-mobilenet or
/// ResNet-18 backbone with its standardisation and linear head. Throws Error naming the
/// architecture (an imported TorchScript module, whose layers the pruner cannot see) or the
/// missing tensor, and a model without a head (a pretrained feature extractor: no accuracy to keep).
ConvGraph graphOf(const TrainedModel &model);

/// The students distillation offers by name: gw-mobilenet at half or a quarter of its widths, or the
/// small CNN. Any width is named the same way ("gw-mobilenet-0.75"), and a model file can be a student.
QStringList studentNames();
/// The student @p name for @p input images and @p classNames:
///  - "gw-mobilenet-W" (0 < W <= 1: every width times W, at least 8) or "small-cnn", with fresh
///    weights (Kaiming-normal convolutions, batch norms at identity, a small random head), seeded;
///  - a workbench safetensors model or a TorchScript classifier file, starting from its own weights
///    (it must take the same images and give the same classes).
/// Throws Error naming what is wrong.
ConvGraph studentGraph(const QString &name, const InputSpec &input, const QStringList &classNames, std::uint64_t seed);
/// Whether @p name names a student studentGraph can make (a file is checked when it is made).
bool isStudentName(const QString &name);

} // namespace gw::compression
