#pragma once
#include "data/ImageDataset.h"
#include "models/Backbone.h"

#include <torch/types.h>

namespace gw {

/// Turns dataset bytes into what a backbone expects: 0..1 floats, the backbone's channel count
/// (grey replicated to RGB, RGB averaged to grey), its size (bilinear resize) and its per-channel
/// normalisation. Batches are made on demand so a 60,000-image pool never exists as one float tensor.
class ImageTensors {
public:
    /// Images [first, first + count) of @p data as a [count, C, H, W] tensor for @p input.
    static torch::Tensor batch(const ImageDataset &data, std::int64_t first, std::int64_t count, const InputSpec &input);
    /// The images at @p indices (int64 tensor) of @p data, as batch() makes them.
    static torch::Tensor select(const ImageDataset &data, const torch::Tensor &indices, const InputSpec &input);
    /// The labels of @p data as int64 [N].
    static torch::Tensor labels(const ImageDataset &data);
    /// How batch() turns @p data into @p input, as text: part of the embedding cache key.
    static QString describe(const ImageDataset &data, const InputSpec &input);
};

} // namespace gw
