#include "models/GwMobileNet.h"

#include <array>

namespace gw {

DepthwiseSeparableImpl::DepthwiseSeparableImpl(int inChannels, int outChannels, int stride)
{
    dw = register_module("dw", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, inChannels, 3)
                                                     .stride(stride).padding(1).groups(inChannels).bias(false)));
    dw_bn = register_module("dw_bn", torch::nn::BatchNorm2d(inChannels));
    pw = register_module("pw", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, outChannels, 1).bias(false)));
    pw_bn = register_module("pw_bn", torch::nn::BatchNorm2d(outChannels));
}

torch::Tensor DepthwiseSeparableImpl::forward(torch::Tensor x)
{
    x = torch::relu(dw_bn->forward(dw->forward(x)));
    return torch::relu(pw_bn->forward(pw->forward(x)));
}

namespace {

constexpr int kStemWidth = 32;
/// The blocks' output widths and strides, in order.
constexpr std::array<std::pair<int, int>, GwMobileNetImpl::kBlocks> kBlockShapes{
    {{64, 2}, {128, 1}, {128, 2}, {256, 1}, {GwMobileNetImpl::kFeatureDim, 2}}};

} // namespace

GwMobileNetImpl::GwMobileNetImpl(int inChannels)
{
    stem = register_module("stem", torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, kStemWidth, 3).padding(1).bias(false)),
                                                         torch::nn::BatchNorm2d(kStemWidth), torch::nn::ReLU()));
    blocks = register_module("blocks", torch::nn::Sequential());
    int width = kStemWidth;
    for (const auto &[out, stride] : kBlockShapes) {
        blocks->push_back(DepthwiseSeparable(width, out, stride));
        width = out;
    }
}

std::int64_t GwMobileNetImpl::multiplyAdds(int inChannels, int rows, int cols)
{
    std::int64_t macs = std::int64_t(rows) * cols * kStemWidth * inChannels * 9;
    std::int64_t width = kStemWidth;
    for (const auto &[out, stride] : kBlockShapes) {
        rows = (rows - 1) / stride + 1; // a 3x3 kernel with padding 1
        cols = (cols - 1) / stride + 1;
        macs += std::int64_t(rows) * cols * (width * 9 + width * out); // depthwise, then pointwise
        width = out;
    }
    return macs;
}

torch::Tensor GwMobileNetImpl::forward(torch::Tensor x)
{
    return blocks->forward(stem->forward(x)).mean({2, 3});
}

} // namespace gw
