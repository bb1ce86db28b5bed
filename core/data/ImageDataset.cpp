#include "data/ImageDataset.h"

#include "Error.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <numeric>
#include <random>

namespace gw {

namespace {

// The samples at @p order (ascending, so a part reads like the source does), with everything that
// describes them; the one place that knows every per-sample field.
ImageDataset pick(const ImageDataset &source, const std::vector<std::int64_t> &order, const QString &name)
{
    ImageDataset out;
    out.name = name;
    out.rows = source.rows;
    out.cols = source.cols;
    out.channels = source.channels;
    out.classNames = source.classNames;
    const bool hasPaths = source.sourcePaths.size() == source.size();
    const std::int64_t bytes = source.imageBytes();
    out.labels.reserve(order.size());
    out.pixels.reserve(order.size() * std::size_t(bytes));
    for (std::int64_t index : order) {
        out.labels.push_back(source.labels[std::size_t(index)]);
        const auto first = source.pixels.begin() + std::ptrdiff_t(index * bytes);
        out.pixels.insert(out.pixels.end(), first, first + std::ptrdiff_t(bytes));
        if (hasPaths)
            out.sourcePaths.append(source.sourcePaths.at(qsizetype(index)));
    }
    return out;
}

} // namespace

std::vector<std::int64_t> ImageDataset::classCounts() const
{
    std::vector<std::int64_t> counts(std::size_t(std::max(0, classCount())), 0);
    for (std::uint8_t label : labels) {
        if (label == kUnlabeled)
            continue;
        if (std::size_t(label) >= counts.size())
            counts.resize(std::size_t(label) + 1, 0);
        ++counts[label];
    }
    return counts;
}

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
    return pick(*this, order, QStringLiteral("%1 (subset of %2)").arg(name).arg(count));
}

std::pair<ImageDataset, ImageDataset> ImageDataset::stratifiedSplit(double holdoutFraction, std::uint64_t seed) const
{
    if (!(holdoutFraction >= 0.0 && holdoutFraction < 1.0))
        throw Error(QStringLiteral("%1: holdout fraction %2 is outside [0, 1)").arg(name).arg(holdoutFraction));

    // Strata by label value (kUnlabeled included), visited in label order so the seed alone decides.
    std::array<std::vector<std::int64_t>, 256> strata;
    for (std::int64_t i = 0; i < size(); ++i)
        strata[labels[std::size_t(i)]].push_back(i);

    std::mt19937_64 rng(seed);
    std::vector<std::int64_t> kept, heldOut;
    for (std::vector<std::int64_t> &members : strata) {
        const auto n = std::int64_t(members.size());
        std::int64_t take = 0;
        if (n >= 2 && holdoutFraction > 0.0)
            take = std::clamp<std::int64_t>(std::llround(double(n) * holdoutFraction), 1, n - 1);
        std::shuffle(members.begin(), members.end(), rng);
        heldOut.insert(heldOut.end(), members.begin(), members.begin() + take);
        kept.insert(kept.end(), members.begin() + take, members.end());
    }
    std::sort(kept.begin(), kept.end());
    std::sort(heldOut.begin(), heldOut.end());
    const int percent = int(std::lround(holdoutFraction * 100));
    return {pick(*this, kept, QStringLiteral("%1 (kept of a %2% holdout split)").arg(name).arg(percent)),
            pick(*this, heldOut, QStringLiteral("%1 (%2% holdout)").arg(name).arg(percent))};
}

} // namespace gw
