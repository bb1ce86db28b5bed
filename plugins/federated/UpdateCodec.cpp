#include "UpdateCodec.h"

#include "Error.h"

#include <cmath>
#include <torch/torch.h>

namespace gw::federated {

std::int64_t EncodedUpdate::wireBytes(std::int64_t count, bool sparse, bool eightBit)
{
    return (sparse ? 4 * count : 0) + (eightBit ? count + 4 : 4 * count);
}

std::int64_t EncodedUpdate::wireBytes() const
{
    return wireBytes(indices.defined() ? indices.numel() : length, indices.defined(), eightBit);
}

torch::Tensor EncodedUpdate::decode() const
{
    const torch::Tensor v = eightBit ? values.to(torch::kFloat32) * scale : values;
    if (!indices.defined())
        return v.clone();
    torch::Tensor dense = torch::zeros({length});
    dense.index_put_({indices}, v);
    return dense;
}

torch::Tensor EncodedUpdate::wire() const
{
    std::vector<torch::Tensor> parts;
    const auto bytesOf = [](const torch::Tensor &t) { return t.contiguous().view(torch::kUInt8).flatten(); };
    if (indices.defined())
        parts.push_back(bytesOf(indices.to(torch::kInt32)));
    parts.push_back(bytesOf(values));
    if (eightBit)
        parts.push_back(bytesOf(torch::tensor({float(scale)}, torch::kFloat32)));
    return torch::cat(parts);
}

EncodedUpdate EncodedUpdate::fromWire(const torch::Tensor &bytes, std::int64_t length, std::int64_t count, bool sparse, bool eightBit)
{
    if (bytes.numel() != wireBytes(count, sparse, eightBit) || bytes.scalar_type() != torch::kUInt8)
        throw Error(QStringLiteral("an update of %1 bytes where %2 were expected").arg(bytes.numel()).arg(wireBytes(count, sparse, eightBit)));
    EncodedUpdate out;
    out.length = length;
    out.eightBit = eightBit;
    std::int64_t at = 0;
    const auto take = [&](std::int64_t n, torch::ScalarType type) {
        const torch::Tensor t = bytes.slice(0, at, at + n).clone().view(type);
        at += n;
        return t;
    };
    if (sparse)
        out.indices = take(4 * count, torch::kInt32).to(torch::kInt64);
    out.values = eightBit ? take(count, torch::kInt8) : take(4 * count, torch::kFloat32);
    if (eightBit)
        out.scale = take(4, torch::kFloat32).item<double>();
    if (sparse && count > 0 && (out.indices.min().item<std::int64_t>() < 0 || out.indices.max().item<std::int64_t>() >= length))
        throw Error(QStringLiteral("an update with an index outside its %1 entries").arg(length));
    return out;
}

EncodedUpdate UpdateCodec::fromWire(const torch::Tensor &bytes, std::int64_t length) const
{
    return EncodedUpdate::fromWire(bytes, length, keptCount(length), topK_ < 1, eightBit_);
}

EncodedUpdate UpdateCodec::encode(int client, const torch::Tensor &update)
{
    torch::NoGradGuard noGrad;
    const std::int64_t n = update.numel();
    torch::Tensor full = update.detach().to(torch::kFloat32).flatten();
    if (errorFeedback_)
        full = full + residual(client, n);
    EncodedUpdate out;
    out.length = n;
    torch::Tensor kept = full;
    if (topK_ < 1) {
        const std::int64_t k = keptCount(n);
        out.indices = std::get<0>(std::get<1>(full.abs().topk(k)).sort());
        kept = full.index_select(0, out.indices);
    }
    if (eightBit_) {
        out.eightBit = true;
        out.scale = std::max(kept.abs().max().item<double>() / 127.0, 1e-12);
        out.values = (kept / out.scale).round().clamp(-127, 127).to(torch::kInt8);
    } else {
        out.values = kept.clone();
    }
    if (errorFeedback_)
        residuals_[client] = full - out.decode(); // what was not sent, rounding included, goes next round
    return out;
}

std::int64_t UpdateCodec::keptCount(std::int64_t length) const
{
    return topK_ < 1 ? std::max<std::int64_t>(1, std::int64_t(std::llround(topK_ * double(length)))) : length;
}

std::int64_t UpdateCodec::wireBytesFor(std::int64_t length) const
{
    return EncodedUpdate::wireBytes(keptCount(length), topK_ < 1, eightBit_);
}

torch::Tensor UpdateCodec::residual(int client, std::int64_t length) const
{
    const auto it = residuals_.find(client);
    return it == residuals_.end() ? torch::zeros({length}) : it->second;
}

torch::Tensor weightedMean(const std::vector<torch::Tensor> &updates, const std::vector<double> &weights)
{
    if (updates.empty() || updates.size() != weights.size())
        throw Error(QStringLiteral("FedAvg needs one weight per update and at least one update (got %1 and %2)").arg(updates.size()).arg(weights.size()));
    double total = 0;
    torch::Tensor sum = torch::zeros_like(updates.front());
    for (std::size_t i = 0; i < updates.size(); ++i) {
        sum += updates[i] * weights[i];
        total += weights[i];
    }
    if (!(total > 0))
        throw Error(QStringLiteral("FedAvg's weights sum to %1: no client reported any samples").arg(total));
    return sum / total;
}

} // namespace gw::federated
