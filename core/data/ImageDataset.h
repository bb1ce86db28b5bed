#pragma once
#include <QString>
#include <QStringList>
#include <cstdint>
#include <vector>

namespace gw {

/// Labelled single-channel images held in memory as bytes (0..255), row-major, one image after the
/// other. It is the engine's torch-free exchange format between readers and trainers.
struct ImageDataset {
    QString name;
    int rows = 0;
    int cols = 0;
    std::vector<std::uint8_t> pixels;
    std::vector<std::uint8_t> labels;
    QStringList classNames;

    std::int64_t size() const { return std::int64_t(labels.size()); }
    std::int64_t imageBytes() const { return std::int64_t(rows) * cols; }
    int classCount() const { return classNames.size(); }

    /// A deterministic random subset of @p count samples (all when count <= 0 or >= size()).
    ImageDataset subset(std::int64_t count, std::uint64_t seed) const;
};

} // namespace gw
