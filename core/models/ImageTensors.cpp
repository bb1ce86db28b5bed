#include "models/ImageTensors.h"

#include "Error.h"

#include <torch/torch.h>

namespace gw {

namespace {
torch::Tensor prepare(torch::Tensor bytes, const InputSpec &input)
{
    torch::Tensor x = bytes.to(torch::kFloat32).div_(255.0);
    const std::int64_t channels = x.size(1);
    if (channels != input.channels) {
        if (channels == 1)
            x = x.expand({x.size(0), input.channels, x.size(2), x.size(3)});
        else if (input.channels == 1)
            x = x.mean(1, true);
        else
            throw Error(QStringLiteral("cannot turn %1-channel images into the %2 channels the model expects").arg(channels).arg(input.channels));
    }
    if (x.size(2) != input.rows || x.size(3) != input.cols)
        x = torch::nn::functional::interpolate(
            x, torch::nn::functional::InterpolateFuncOptions().size(std::vector<std::int64_t>{input.rows, input.cols}).mode(torch::kBilinear).align_corners(false));
    const auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    const torch::Tensor mean = torch::tensor(input.mean, opts).to(torch::kFloat32).view({1, -1, 1, 1});
    const torch::Tensor std = torch::tensor(input.std, opts).to(torch::kFloat32).view({1, -1, 1, 1});
    return ((x - mean) / std).contiguous();
}
} // namespace

torch::Tensor ImageTensors::batch(const ImageDataset &data, std::int64_t first, std::int64_t count, const InputSpec &input)
{
    const torch::Tensor bytes = torch::from_blob(const_cast<std::uint8_t *>(data.pixels.data()) + first * data.imageBytes(),
                                                 {count, data.channels, data.rows, data.cols}, torch::kUInt8);
    return prepare(bytes, input);
}

torch::Tensor ImageTensors::select(const ImageDataset &data, const torch::Tensor &indices, const InputSpec &input)
{
    const torch::Tensor all = torch::from_blob(const_cast<std::uint8_t *>(data.pixels.data()), {data.size(), data.channels, data.rows, data.cols},
                                               torch::kUInt8);
    return prepare(all.index_select(0, indices), input);
}

torch::Tensor ImageTensors::labels(const ImageDataset &data)
{
    return torch::from_blob(const_cast<std::uint8_t *>(data.labels.data()), {data.size()}, torch::kUInt8).to(torch::kInt64);
}

QString ImageTensors::describe(const ImageDataset &data, const InputSpec &input)
{
    return QStringLiteral("from %1x%2x%3 bytes/255 to %4 bilinear").arg(data.channels).arg(data.rows).arg(data.cols).arg(input.describe());
}

} // namespace gw
