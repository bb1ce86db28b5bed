#pragma once
#include <torch/types.h>

namespace gw {

/// Random views of a batch of [N, C, H, W] images in 0..1, made on tensors (no per-image loop): one
/// affine grid per image does crop, scale, shift and flip in a single grid_sample. The draws come
/// from the caller's generator, so a seed gives the same views.
class Augmentations {
public:
    /// The contrastive pretraining's view: a resized crop of 35-100 % of the area (aspect 3/4..4/3),
    /// a horizontal flip, contrast 0.6-1.4 and brightness -0.2..0.2, a little Gaussian noise.
    static torch::Tensor contrastiveView(const torch::Tensor &images, at::Generator &gen);
    /// FixMatch's weak view: a horizontal flip and a shift of up to 1/8 of the side. What a
    /// prediction is taken from, so it must leave the class plain.
    static torch::Tensor weakView(const torch::Tensor &images, at::Generator &gen);
    /// FixMatch's strong view: the contrastive view, then a cut-out square of 1/4-1/2 of the side
    /// set to the image's mean. What the model must still put in the weak view's class.
    static torch::Tensor strongView(const torch::Tensor &images, at::Generator &gen);
};

} // namespace gw
