#pragma once
#include <torch/nn.h>

namespace gw {

/// torchvision's BasicBlock, with its parameter names (conv1, bn1, conv2, bn2, downsample.0/.1).
class BasicBlockImpl : public torch::nn::Module {
public:
    BasicBlockImpl(int inChannels, int outChannels, int stride);
    torch::Tensor forward(torch::Tensor x);

private:
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
    torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

/// ResNet-18 laid out exactly as torchvision.models.resnet18 (and timm's resnet18), so published
/// weights converted to safetensors load by name: conv1, bn1, layer1..layer4 (two BasicBlocks each),
/// fc. features() is the 512-wide global-average-pooled output before fc.
class ResNet18Impl : public torch::nn::Module {
public:
    static constexpr int kFeatureDim = 512;
    explicit ResNet18Impl(int classes = 1000, int inChannels = 3);
    torch::Tensor features(torch::Tensor x);
    torch::Tensor forward(torch::Tensor x);

private:
    torch::nn::Conv2d conv1{nullptr};
    torch::nn::BatchNorm2d bn1{nullptr};
    torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
    torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet18);

} // namespace gw
