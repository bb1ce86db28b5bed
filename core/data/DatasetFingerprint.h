#pragma once
#include "data/ImageDataset.h"

#include <QString>
#include <QStringList>

namespace gw {

/// A SHA-256 content hash (64 lowercase hex digits) that names a dataset by what it holds, so a run
/// can say which data it saw and two runs can tell whether they saw the same data. Files are read
/// in chunks, never whole. Each kind of hash starts with its own tag, so the kinds never collide.
class DatasetFingerprint {
public:
    /// The image files of an image folder, as ImageFolder::list() finds them (corrupt ones included,
    /// images beside class folders and non-image files not), in relative-path order, each with its
    /// relative path: renaming a file or a class folder changes the hash, moving the folder does not.
    /// Throws gw::Error naming the folder (missing, no images) or the file that cannot be read.
    static QString ofImageFolder(const QString &folder);

    /// Named files such as Fashion-MNIST's IDX files, sorted by file name, each hashed with its file
    /// name (not its directory). Throws gw::Error naming the file that cannot be read.
    static QString ofFiles(const QStringList &paths);

    /// The decoded content of an in-memory dataset: dimensions, channels, pixels, labels and class
    /// names; not its name or source paths.
    static QString fromDataset(const ImageDataset &dataset);
};

} // namespace gw
