#include "models/ResNet18.h"

namespace gw {

namespace {
torch::nn::Conv2d conv3x3(int in, int out, int stride)
{
    return torch::nn::Conv2d(torch::nn::Conv2dOptions(in, out, 3).stride(stride).padding(1).bias(false));
}
} // namespace

BasicBlockImpl::BasicBlockImpl(int inChannels, int outChannels, int stride)
{
    conv1 = register_module("conv1", conv3x3(inChannels, outChannels, stride));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(outChannels));
    conv2 = register_module("conv2", conv3x3(outChannels, outChannels, 1));
    bn2 = register_module("bn2", torch::nn::BatchNorm2d(outChannels));
    if (stride != 1 || inChannels != outChannels)
        downsample = register_module("downsample", torch::nn::Sequential(
                                                       torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, outChannels, 1).stride(stride).bias(false)),
                                                       torch::nn::BatchNorm2d(outChannels)));
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x)
{
    torch::Tensor out = torch::relu(bn1->forward(conv1->forward(x)));
    out = bn2->forward(conv2->forward(out));
    return torch::relu(out + (downsample ? downsample->forward(x) : x));
}

ResNet18Impl::ResNet18Impl(int classes, int inChannels)
{
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(inChannels, 64, 7).stride(2).padding(3).bias(false)));
    bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
    layer1 = register_module("layer1", torch::nn::Sequential(BasicBlock(64, 64, 1), BasicBlock(64, 64, 1)));
    layer2 = register_module("layer2", torch::nn::Sequential(BasicBlock(64, 128, 2), BasicBlock(128, 128, 1)));
    layer3 = register_module("layer3", torch::nn::Sequential(BasicBlock(128, 256, 2), BasicBlock(256, 256, 1)));
    layer4 = register_module("layer4", torch::nn::Sequential(BasicBlock(256, 512, 2), BasicBlock(512, 512, 1)));
    fc = register_module("fc", torch::nn::Linear(kFeatureDim, classes));
}

torch::Tensor ResNet18Impl::features(torch::Tensor x)
{
    x = torch::relu(bn1->forward(conv1->forward(x)));
    x = torch::max_pool2d(x, 3, 2, 1);
    x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
    return x.mean({2, 3});
}

torch::Tensor ResNet18Impl::forward(torch::Tensor x)
{
    return fc->forward(features(x));
}

} // namespace gw
