#pragma once
#include <torch/nn.h>

namespace gw {

/// One MobileNet-style block: a 3x3 depthwise convolution (spatial, one filter per channel) then a
/// 1x1 pointwise convolution (mixing channels), each followed by batch norm and ReLU. About 8-9x
/// fewer multiply-adds than a full 3x3 convolution of the same widths.
class DepthwiseSeparableImpl : public torch::nn::Module {
public:
    DepthwiseSeparableImpl(int inChannels, int outChannels, int stride);
    torch::Tensor forward(torch::Tensor x);

private:
    torch::nn::Conv2d dw{nullptr}, pw{nullptr};
    torch::nn::BatchNorm2d dw_bn{nullptr}, pw_bn{nullptr};
};
TORCH_MODULE(DepthwiseSeparable);

/// The workbench's own small efficient backbone (architecture name "gw-mobilenet"), the bundled
/// pretrained model: a 3x3 stem then five depthwise-separable blocks (32-64-128-128-256-256
/// channels, three of them halving the resolution) and global average pooling to a 256-wide
/// feature vector. About 0.13 M parameters (0.5 MB in float32), about 6.0 M multiply-adds for a
/// 28x28 image. Parameter names follow the PyTorch convention for the same layout
/// ("stem.0.weight", "blocks.3.pw_bn.running_var"), so a PyTorch twin loads the same safetensors.
class GwMobileNetImpl : public torch::nn::Module {
public:
    static constexpr int kFeatureDim = 256;
    static constexpr int kBlocks = 5;

    explicit GwMobileNetImpl(int inChannels = 1);
    /// [N, C, H, W] normalised images -> [N, kFeatureDim].
    torch::Tensor forward(torch::Tensor x);
    /// Multiply-adds of one image's forward pass (its convolutions).
    static std::int64_t multiplyAdds(int inChannels, int rows, int cols);
    /// The name prefix of the last block ("blocks.4."): what finetune-last trains with the head.
    static std::string lastBlockPrefix() { return "blocks." + std::to_string(kBlocks - 1) + "."; }

private:
    torch::nn::Sequential stem{nullptr};
    torch::nn::Sequential blocks{nullptr};
};
TORCH_MODULE(GwMobileNet);

} // namespace gw
