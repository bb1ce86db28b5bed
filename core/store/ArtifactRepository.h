#pragma once
#include "store/Database.h"

#include <QDateTime>
#include <QList>
#include <QString>
#include <optional>

namespace gw {

/// A file a run left (its trained model as safetensors or TorchScript), kept in the store's cache
/// folder and recorded with its size and hash, so an altered or missing file is found.
struct ArtifactRecord {
    qint64 id = 0;
    qint64 runId = 0;
    QString role;   ///< "model"; later "variant int8", ...
    QString format; ///< "safetensors", "torchscript"
    QString path;   ///< relative to the store's cache folder
    qint64 bytes = 0;
    QString sha256; ///< hex
    qint64 parameters = 0;
    QDateTime createdAt;
};

/// The artifacts table of a store.
class ArtifactRepository {
public:
    explicit ArtifactRepository(const Database &db) : db_(db) {}

    /// Records @p file (inside @p cacheDirectory) for its run, hashing it now; replaces the
    /// record of the same run, role and format. Returns the record.
    ArtifactRecord add(qint64 runId, const QString &role, const QString &format, const QString &file, qint64 parameters,
                       const QString &cacheDirectory) const;
    /// Every artifact, or those of one run (0: all), oldest first.
    QList<ArtifactRecord> list(qint64 runId = 0) const;
    std::optional<ArtifactRecord> find(qint64 runId, const QString &role, const QString &format) const;

    /// The file of @p artifact, checked: an Error naming it when it is missing or its SHA-256 is
    /// not the one recorded (it was altered or replaced).
    static QString verifiedPath(const ArtifactRecord &artifact, const QString &cacheDirectory);
    /// SHA-256 (hex) of a file; an Error naming it when it cannot be read.
    static QString sha256Of(const QString &file);

private:
    const Database &db_;
};

} // namespace gw
