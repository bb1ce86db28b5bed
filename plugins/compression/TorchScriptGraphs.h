#pragma once
#include "ConvGraph.h"

namespace gw::compression {

/// The ConvGraph of a TorchScript image classifier (the workbench's own model.pt, or a module from
/// Python built of the same plain layers): the module is frozen, its forward walked operation by
/// operation (conv2d, batch_norm, relu, max_pool2d, add, mean or adaptive average pooling, flatten,
/// linear, dropout in eval, and the subtractions and divisions by constants that normalise the
/// image or standardise the features). @p input: [C, H, W] from the config; a normalisation found at
/// the start of the module becomes its mean and std. Throws Error naming the file and the first
/// operation it does not know, so nothing is compressed on a guess.
ConvGraph graphOfTorchScript(const QString &path, InputSpec input);

} // namespace gw::compression
