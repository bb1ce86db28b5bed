#include "models/SmallCnn.h"

namespace gw {

SmallCnnImpl::SmallCnnImpl(int rows, int cols, int classes)
{
    conv1 = register_module("conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(1, 16, 3).padding(1)));
    conv2 = register_module("conv2", torch::nn::Conv2d(torch::nn::Conv2dOptions(16, 32, 3).padding(1)));
    fc1 = register_module("fc1", torch::nn::Linear(32 * (rows / 4) * (cols / 4), 128));
    fc2 = register_module("fc2", torch::nn::Linear(128, classes));
}

torch::Tensor SmallCnnImpl::forward(torch::Tensor x)
{
    x = torch::max_pool2d(torch::relu(conv1->forward(x)), 2);
    x = torch::max_pool2d(torch::relu(conv2->forward(x)), 2);
    x = torch::relu(fc1->forward(x.flatten(1)));
    return fc2->forward(x);
}

std::int64_t SmallCnnImpl::multiplyAdds(int rows, int cols, int classes)
{
    const std::int64_t pixels = std::int64_t(rows) * cols, pooled = std::int64_t(rows / 4) * (cols / 4);
    return pixels * 16 * 1 * 9              // conv1 at full size
           + pixels / 4 * 32 * 16 * 9      // conv2 after the first pooling
           + pooled * 32 * 128 + 128 * std::int64_t(classes);
}

} // namespace gw
