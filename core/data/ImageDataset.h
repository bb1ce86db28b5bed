#pragma once
#include <QString>
#include <QStringList>
#include <cstdint>
#include <utility>
#include <vector>

namespace gw {

/// Labelled images held in memory as bytes (0..255), one image after the other, each image
/// channel-major (CHW: all of channel 0 row by row, then channel 1, ...), so 1-channel data is plain
/// row-major. It is the engine's torch-free exchange format between readers and trainers.
struct ImageDataset {
    /// The label of a sample that has none (an unlabeled image folder); it limits a labeled set to
    /// 255 classes (0..254).
    static constexpr std::uint8_t kUnlabeled = 255;

    QString name;
    int rows = 0;
    int cols = 0;
    int channels = 1;
    std::vector<std::uint8_t> pixels;
    std::vector<std::uint8_t> labels;
    QStringList classNames;
    /// Where each sample came from, aligned with labels, so a report can name an image; empty when
    /// the samples have no file of their own (IDX data).
    QStringList sourcePaths;

    std::int64_t size() const { return std::int64_t(labels.size()); }
    std::int64_t imageBytes() const { return std::int64_t(channels) * rows * cols; }
    int classCount() const { return classNames.size(); }

    /// Samples per class index (0..classCount()-1, longer when a label lies beyond the names);
    /// unlabeled samples are not counted.
    std::vector<std::int64_t> classCounts() const;

    /// A deterministic random subset of @p count samples (all when count <= 0 or >= size()).
    ImageDataset subset(std::int64_t count, std::uint64_t seed) const;

    /// Splits into (kept, held out) class by class: of each label's n samples, round(n *
    /// holdoutFraction) picked by a shuffle seeded with @p seed are held out, at least 1 and at most
    /// n - 1 when n >= 2 and the fraction is above 0; a class with one sample stays in the kept part.
    /// Unlabeled samples are a stratum of their own. Both parts keep the original order. Throws
    /// gw::Error when the fraction is outside [0, 1).
    std::pair<ImageDataset, ImageDataset> stratifiedSplit(double holdoutFraction, std::uint64_t seed) const;
};

} // namespace gw
