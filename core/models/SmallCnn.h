#pragma once
#include <torch/nn.h>

namespace gw {

/// The engine's small convolutional classifier for 1-channel images whose sides are multiples of 4
/// (28x28 for Fashion-MNIST): two conv-ReLU-maxpool stages (16 and 32 channels), then a 128-unit
/// hidden layer. About 220k parameters; the same layers as tests/bench/pytorch_small_cnn.py.
class SmallCnnImpl : public torch::nn::Module {
public:
    SmallCnnImpl(int rows, int cols, int classes);
    torch::Tensor forward(torch::Tensor x);
    /// Multiply-adds of one image's forward pass (convolutions and linear layers).
    static std::int64_t multiplyAdds(int rows, int cols, int classes);

private:
    torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
    torch::nn::Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SmallCnn);

} // namespace gw
