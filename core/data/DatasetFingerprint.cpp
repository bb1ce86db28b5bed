#include "data/DatasetFingerprint.h"

#include "Error.h"
#include "data/ImageFolder.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QtEndian>

#include <algorithm>
#include <utility>

namespace gw {

namespace {

// Fixed-width little-endian, so the hash does not depend on the machine.
void addInteger(QCryptographicHash &hash, std::int64_t value)
{
    const qint64 little = qToLittleEndian(qint64(value));
    hash.addData(QByteArrayView(reinterpret_cast<const char *>(&little), sizeof little));
}

// Length-prefixed, so no two sequences of strings hash the same bytes.
void addText(QCryptographicHash &hash, const QString &text)
{
    const QByteArray utf8 = text.toUtf8();
    addInteger(hash, utf8.size());
    hash.addData(utf8);
}

void addFile(QCryptographicHash &hash, const QString &name, const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("%1: cannot be read for the dataset fingerprint (%2)").arg(path, file.errorString()));
    const qint64 size = file.size();
    addText(hash, name);
    addInteger(hash, size);
    // Chunks keep a large IDX file from being held in memory whole.
    QByteArray chunk(1 << 16, Qt::Uninitialized);
    qint64 total = 0;
    for (;;) {
        const qint64 got = file.read(chunk.data(), chunk.size());
        if (got < 0)
            throw Error(QStringLiteral("%1: read error for the dataset fingerprint (%2)").arg(path, file.errorString()));
        if (got == 0)
            break;
        hash.addData(QByteArrayView(chunk.constData(), got));
        total += got;
    }
    if (total != size)
        throw Error(QStringLiteral("%1: changed while its fingerprint was taken (%2 bytes expected, %3 read)")
                        .arg(path).arg(size).arg(total));
}

// (name in the hash, path to read) pairs, hashed in the given order under @p tag.
QString hashFiles(const char *tag, const std::vector<std::pair<QString, QString>> &files)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    addText(hash, QString::fromLatin1(tag));
    addInteger(hash, std::int64_t(files.size()));
    for (const auto &[name, path] : files)
        addFile(hash, name, path);
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace

QString DatasetFingerprint::ofImageFolder(const QString &folder)
{
    const ImageFolderListing listing = ImageFolder::list(folder);
    const QDir root(listing.root);
    std::vector<std::pair<QString, QString>> files;
    files.reserve(std::size_t(listing.files.size()));
    for (const QString &relative : listing.files)
        files.emplace_back(relative, root.filePath(relative));
    return hashFiles("gw.fingerprint.image-folder.v1", files);
}

QString DatasetFingerprint::ofFiles(const QStringList &paths)
{
    std::vector<std::pair<QString, QString>> files;
    files.reserve(std::size_t(paths.size()));
    for (const QString &path : paths)
        files.emplace_back(QFileInfo(path).fileName(), path);
    // The full path breaks a tie between equal file names so the order never depends on the caller's.
    std::sort(files.begin(), files.end());
    return hashFiles("gw.fingerprint.files.v1", files);
}

QString DatasetFingerprint::fromDataset(const ImageDataset &dataset)
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    addText(hash, QStringLiteral("gw.fingerprint.dataset.v1"));
    addInteger(hash, dataset.rows);
    addInteger(hash, dataset.cols);
    addInteger(hash, dataset.channels);
    addInteger(hash, std::int64_t(dataset.pixels.size()));
    hash.addData(QByteArrayView(reinterpret_cast<const char *>(dataset.pixels.data()), qsizetype(dataset.pixels.size())));
    addInteger(hash, std::int64_t(dataset.labels.size()));
    hash.addData(QByteArrayView(reinterpret_cast<const char *>(dataset.labels.data()), qsizetype(dataset.labels.size())));
    addInteger(hash, dataset.classNames.size());
    for (const QString &className : dataset.classNames)
        addText(hash, className);
    return QString::fromLatin1(hash.result().toHex());
}

} // namespace gw
