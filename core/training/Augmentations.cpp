#include "training/Augmentations.h"

#include <cmath>
#include <torch/torch.h>

namespace gw {

namespace {

/// Samples @p images through per-image affine maps: scale (sx, sy), shift (tx, ty) in the [-1, 1]
/// grid's units, a flip where @p flip is -1; outside the image reads as 0, or as its mirror image
/// where @p reflect (a shift then adds no edge the image did not have).
torch::Tensor affine(const torch::Tensor &images, const torch::Tensor &sx, const torch::Tensor &sy, const torch::Tensor &tx, const torch::Tensor &ty,
                     const torch::Tensor &flip, bool reflect = false)
{
    const torch::Tensor zero = torch::zeros_like(sx);
    const torch::Tensor theta = torch::stack({torch::stack({sx * flip, zero, tx}, 1), torch::stack({zero, sy, ty}, 1)}, 1);
    const torch::Tensor grid = torch::nn::functional::affine_grid(theta, images.sizes().vec(), false);
    auto sampling = torch::nn::functional::GridSampleFuncOptions().mode(torch::kBilinear).align_corners(false);
    if (reflect)
        sampling.padding_mode(torch::kReflection);
    else
        sampling.padding_mode(torch::kZeros);
    return torch::nn::functional::grid_sample(images, grid, sampling);
}

torch::Tensor randomFlip(std::int64_t n, at::Generator &gen)
{
    return torch::where(torch::empty({n}, torch::kFloat32).uniform_(0.0, 1.0, gen) < 0.5, -1.0, 1.0);
}

} // namespace

torch::Tensor Augmentations::contrastiveView(const torch::Tensor &images, at::Generator &gen)
{
    const std::int64_t n = images.size(0);
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
    const torch::Tensor area = torch::empty({n}, opts).uniform_(0.35, 1.0, gen);
    const torch::Tensor logRatio = torch::empty({n}, opts).uniform_(std::log(3.0 / 4.0), std::log(4.0 / 3.0), gen);
    const torch::Tensor ratio = logRatio.exp();
    const torch::Tensor sx = (area * ratio).sqrt().clamp_max(1.0);
    const torch::Tensor sy = (area / ratio).sqrt().clamp_max(1.0);
    const torch::Tensor tx = (torch::empty({n}, opts).uniform_(-1.0, 1.0, gen)) * (1.0 - sx);
    const torch::Tensor ty = (torch::empty({n}, opts).uniform_(-1.0, 1.0, gen)) * (1.0 - sy);
    torch::Tensor out = affine(images, sx, sy, tx, ty, randomFlip(n, gen));
    // Contrast about each image's mean, brightness, then a little noise.
    const torch::Tensor contrast = torch::empty({n, 1, 1, 1}, opts).uniform_(0.6, 1.4, gen);
    const torch::Tensor brightness = torch::empty({n, 1, 1, 1}, opts).uniform_(-0.2, 0.2, gen);
    const torch::Tensor mean = out.mean({1, 2, 3}, true);
    out = (out - mean) * contrast + mean + brightness;
    out = out + torch::empty(out.sizes(), opts).normal_(0.0, 0.03, gen);
    return out.clamp(0.0, 1.0);
}

torch::Tensor Augmentations::weakView(const torch::Tensor &images, at::Generator &gen)
{
    const std::int64_t n = images.size(0);
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
    const torch::Tensor one = torch::ones({n}, opts);
    // A shift of up to 1/8 of the side is up to 1/4 in the grid's [-1, 1] units; reflected at the
    // border as FixMatch does, since a black margin is a strong edge the class does not have.
    const torch::Tensor tx = torch::empty({n}, opts).uniform_(-0.25, 0.25, gen);
    const torch::Tensor ty = torch::empty({n}, opts).uniform_(-0.25, 0.25, gen);
    return affine(images, one, one, tx, ty, randomFlip(n, gen), true);
}

torch::Tensor Augmentations::strongView(const torch::Tensor &images, at::Generator &gen)
{
    torch::Tensor out = contrastiveView(images, gen);
    const std::int64_t n = out.size(0), rows = out.size(2), cols = out.size(3);
    const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
    // One square per image, as a mask built from broadcast comparisons of its bounds.
    const torch::Tensor side = torch::empty({n, 1, 1, 1}, opts).uniform_(0.25, 0.5, gen) * double(std::min(rows, cols));
    const torch::Tensor top = torch::empty({n, 1, 1, 1}, opts).uniform_(0.0, 1.0, gen) * (double(rows) - side);
    const torch::Tensor left = torch::empty({n, 1, 1, 1}, opts).uniform_(0.0, 1.0, gen) * (double(cols) - side);
    const torch::Tensor r = torch::arange(rows, opts).view({1, 1, rows, 1});
    const torch::Tensor c = torch::arange(cols, opts).view({1, 1, 1, cols});
    const torch::Tensor inside = r.ge(top).logical_and(r.lt(top + side)).logical_and(c.ge(left)).logical_and(c.lt(left + side));
    return torch::where(inside, out.mean({1, 2, 3}, true).expand_as(out), out);
}

} // namespace gw
