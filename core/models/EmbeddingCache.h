#pragma once
#include <QDateTime>
#include <QString>
#include <optional>
#include <torch/types.h>

namespace gw {

/// What identifies a set of embeddings: the backbone's weights, the dataset's content and how its
/// images were turned into the backbone's input. Any change misses the cache.
struct EmbeddingKey {
    QString modelHash;
    QString datasetHash;
    QString preprocessing;
    /// SHA-256 of the three: the cache file's name.
    QString id() const;
};

/// What computing a set of embeddings cost, kept with them so every run that reuses them can show
/// the energy once spent (and not spent again).
struct EmbeddingCost {
    double energyJ = 0;
    double emissionsG = 0;
    double durationS = 0;
    qint64 runId = 0; ///< the run that computed them
    QString energySource; ///< measured / estimated
};

struct CachedEmbeddings {
    torch::Tensor features; ///< [N, D] float32
    EmbeddingCost cost;
    QDateTime createdUtc;
    QString path;
};

/// Backbone features on disk, one file per key in a folder next to the store: a fixed header
/// (magic, version), a JSON description (key, rows, columns, dtype, cost), then the float16 or
/// float32 matrix, memory-mapped when read. Files are written atomically; a damaged or foreign file
/// is reported (the caller says so and recomputes), never trusted.
class EmbeddingCache {
public:
    explicit EmbeddingCache(QString directory);
    QString directory() const { return directory_; }
    QString pathFor(const EmbeddingKey &key) const;

    /// The embeddings for @p key, or nullopt when there are none. Throws gw::Error naming the file
    /// when one exists but is damaged or does not match the key.
    std::optional<CachedEmbeddings> find(const EmbeddingKey &key) const;
    /// Stores [N, D] features as float16 or float32 (@p half).
    void store(const EmbeddingKey &key, const torch::Tensor &features, const EmbeddingCost &cost, bool half) const;

private:
    QString directory_;
};

} // namespace gw
