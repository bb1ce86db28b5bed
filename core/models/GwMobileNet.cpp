#include "models/GwMobileNet.h"

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

GwMobileNetImpl::GwMobileNetImpl(int inChannels)
{
    stem = register_module("stem", torch::nn::Sequential(torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, 32, 3).padding(1).bias(false)),
                                                         torch::nn::BatchNorm2d(32), torch::nn::ReLU()));
    blocks = register_module("blocks", torch::nn::Sequential(DepthwiseSeparable(32, 64, 2), DepthwiseSeparable(64, 128, 1),
                                                             DepthwiseSeparable(128, 128, 2), DepthwiseSeparable(128, 256, 1),
                                                             DepthwiseSeparable(256, kFeatureDim, 2)));
}

torch::Tensor GwMobileNetImpl::forward(torch::Tensor x)
{
    return blocks->forward(stem->forward(x)).mean({2, 3});
}

} // namespace gw
