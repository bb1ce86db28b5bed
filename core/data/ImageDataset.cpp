#include "data/ImageDataset.h"

#include <algorithm>
#include <numeric>
#include <random>

namespace gw {

ImageDataset ImageDataset::subset(std::int64_t count, std::uint64_t seed) const
{
    if (count <= 0 || count >= size())
        return *this;
    std::vector<std::int64_t> order(static_cast<std::size_t>(size()));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed);
    std::shuffle(order.begin(), order.end(), rng);
    order.resize(static_cast<std::size_t>(count));
    // Keep the original order among the chosen ones so a subset reads like the file does.
    std::sort(order.begin(), order.end());

    ImageDataset out;
    out.name = QStringLiteral("%1 (subset of %2)").arg(name).arg(count);
    out.rows = rows;
    out.cols = cols;
    out.classNames = classNames;
    out.labels.reserve(order.size());
    out.pixels.reserve(order.size() * std::size_t(imageBytes()));
    for (std::int64_t index : order) {
        out.labels.push_back(labels[std::size_t(index)]);
        const auto first = pixels.begin() + std::ptrdiff_t(index * imageBytes());
        out.pixels.insert(out.pixels.end(), first, first + std::ptrdiff_t(imageBytes()));
    }
    return out;
}

} // namespace gw
