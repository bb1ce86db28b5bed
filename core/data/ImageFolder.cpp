#include "data/ImageFolder.h"

#include "Error.h"
#include "util/Files.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QImage>
#include <QImageReader>

#include <algorithm>
#include <cerrno>
#include <memory>

#include <dirent.h>
#include <sys/stat.h>

namespace gw {

namespace {

// Plain code-unit order, not the locale's: the same folder must give the same order everywhere.
void sortPaths(QStringList &paths)
{
    std::sort(paths.begin(), paths.end());
}

/// The visible entries of one folder, read with the system's own calls so that nothing is skipped
/// without a word: a folder that cannot be read, a broken link or a name that is not UTF-8 (Qt
/// would turn it into replacement characters that name no file) is an error naming it.
struct FolderEntries {
    QStringList folders; ///< names, links to folders included
    QStringList files;   ///< names of regular files (links to them included)
};

FolderEntries readFolder(const QString &dir)
{
    DIR *handle = ::opendir(QFile::encodeName(dir).constData());
    if (!handle)
        throw Error(QStringLiteral("%1: folder cannot be read: %2").arg(dir, systemError(errno)));
    const std::unique_ptr<DIR, int (*)(DIR *)> closer(handle, ::closedir);
    FolderEntries entries;
    while (true) {
        errno = 0;
        const dirent *entry = ::readdir(handle);
        if (!entry) {
            if (errno != 0)
                throw Error(QStringLiteral("%1: folder cannot be read: %2").arg(dir, systemError(errno)));
            break;
        }
        const QByteArray raw(entry->d_name);
        if (raw.startsWith('.')) // ".", "..", and hidden files such as .DS_Store, as Qt's listing leaves them out
            continue;
        const QString name = QString::fromUtf8(raw);
        if (name.toUtf8() != raw)
            throw Error(QStringLiteral("%1: holds a file or folder whose name is not valid UTF-8 (%2); rename it, so that every "
                                       "sample has a name that is the same everywhere")
                            .arg(dir, QString::fromLatin1(raw.toPercentEncoding("/ ", ""))));
        const QString path = dir + QLatin1Char('/') + name;
        struct stat st {};
        if (::stat(QFile::encodeName(path).constData(), &st) != 0)
            throw Error(QStringLiteral("%1: cannot be read: %2").arg(path, systemError(errno)));
        if (S_ISDIR(st.st_mode))
            entries.folders.append(name);
        else if (S_ISREG(st.st_mode))
            entries.files.append(name);
    }
    sortPaths(entries.folders);
    sortPaths(entries.files);
    return entries;
}

/// Image files below @p dir (or only directly in it), relative to @p root.
void collectImageFiles(const QDir &root, const QString &dir, bool recursive, QStringList &files, int depth = 0)
{
    // Links may lead back up the tree: no image folder is anywhere near this deep.
    constexpr int kMaxDepth = 32;
    if (depth > kMaxDepth)
        throw Error(QStringLiteral("%1: folders nested more than %2 deep (a link that loops?)").arg(dir).arg(kMaxDepth));
    const FolderEntries entries = readFolder(dir);
    for (const QString &name : entries.files)
        if (ImageFolder::isImageFile(name))
            files.append(root.relativeFilePath(dir + QLatin1Char('/') + name));
    if (recursive)
        for (const QString &name : entries.folders)
            collectImageFiles(root, dir + QLatin1Char('/') + name, true, files, depth + 1);
}

QStringList imageFilesIn(const QDir &root, const QString &dir, bool recursive)
{
    QStringList files;
    collectImageFiles(root, dir, recursive, files);
    sortPaths(files);
    return files;
}

void checkOptions(const QString &folder, const ImageFolderOptions &options)
{
    constexpr int kMaxSide = 4096; // keeps channels * rows * cols well inside an int
    if (options.rows < 1 || options.rows > kMaxSide || options.cols < 1 || options.cols > kMaxSide)
        throw Error(QStringLiteral("%1: image size %2x%3 is out of range (1 to %4 pixels a side)")
                        .arg(folder).arg(options.rows).arg(options.cols).arg(kMaxSide));
    if (options.channels != 1 && options.channels != 3)
        throw Error(QStringLiteral("%1: %2 channels asked for; 1 (grayscale) or 3 (RGB) are supported")
                        .arg(folder).arg(options.channels));
    if (options.maxClasses < 1 || options.maxClasses > int(ImageDataset::kUnlabeled))
        throw Error(QStringLiteral("%1: at most %2 classes asked for; it must be 1 to %3")
                        .arg(folder).arg(options.maxClasses).arg(int(ImageDataset::kUnlabeled)));
}

// Brings @p image to the target size and format.
QImage conform(const QImage &image, const ImageFolderOptions &options)
{
    QImage sized;
    if (options.resize == ImageResize::CenterCrop) {
        const QImage cover = image.scaled(options.cols, options.rows, Qt::KeepAspectRatioByExpanding, Qt::SmoothTransformation);
        sized = cover.copy((cover.width() - options.cols) / 2, (cover.height() - options.rows) / 2, options.cols, options.rows);
    } else {
        sized = image.scaled(options.cols, options.rows, Qt::IgnoreAspectRatio, Qt::SmoothTransformation);
    }
    // Converted after scaling because smooth scaling may hand back another format than it was given.
    return sized.convertToFormat(QImage::Format_RGB888);
}

// ITU-R 601 luma with PIL's integer weights (they sum to 65536, so a gray pixel keeps its value):
// the same bytes as torchvision's Grayscale, where Qt's own Grayscale8 conversion works in linear
// light and has changed between Qt versions.
std::uint8_t luma(const uchar *rgb)
{
    return std::uint8_t((rgb[0] * 19595u + rgb[1] * 38470u + rgb[2] * 7471u + 0x8000u) >> 16);
}

// Appends @p image (RGB888, already conformed) to @p pixels channel-major (CHW), as gray when
// @p channels is 1.
void appendChannelMajor(const QImage &image, int channels, std::vector<std::uint8_t> &pixels)
{
    const int rows = image.height(), cols = image.width();
    const std::size_t plane = std::size_t(rows) * std::size_t(cols);
    const std::size_t start = pixels.size();
    pixels.resize(start + plane * std::size_t(channels));
    for (int y = 0; y < rows; ++y) {
        const uchar *line = image.constScanLine(y);
        std::uint8_t *out = pixels.data() + start + std::size_t(y) * std::size_t(cols);
        for (int x = 0; x < cols; ++x) {
            const uchar *rgb = line + 3 * x;
            if (channels == 1) {
                out[x] = luma(rgb);
                continue;
            }
            for (int c = 0; c < 3; ++c)
                out[std::size_t(c) * plane + std::size_t(x)] = rgb[c];
        }
    }
}

// Decodes one file; a null image with @p reason set when it cannot be used.
QImage decode(const QString &path, QString &reason)
{
    QFile file(path);
    // Opened here rather than by QImageReader so a permission problem is named as such.
    if (!file.open(QIODevice::ReadOnly)) {
        reason = QStringLiteral("cannot be opened: %1").arg(file.errorString());
        return {};
    }
    if (file.size() == 0) {
        reason = QStringLiteral("the file is empty (0 bytes)");
        return {};
    }
    QImageReader reader(&file);
    // Photos carry their orientation in EXIF; a sample should look the way a viewer shows it.
    reader.setAutoTransform(true);
    QImage image = reader.read();
    if (image.isNull())
        reason = QStringLiteral("not a readable image: %1").arg(reader.errorString());
    return image;
}

} // namespace

const QStringList &ImageFolder::imageExtensions()
{
    static const QStringList extensions{QStringLiteral("png"), QStringLiteral("jpg"), QStringLiteral("jpeg"),
                                        QStringLiteral("bmp"), QStringLiteral("gif"), QStringLiteral("webp")};
    return extensions;
}

bool ImageFolder::isImageFile(const QString &fileName)
{
    return imageExtensions().contains(QFileInfo(fileName).suffix(), Qt::CaseInsensitive);
}

ImageFolderListing ImageFolder::list(const QString &folder)
{
    const QFileInfo info(folder);
    if (!info.exists())
        throw Error(QStringLiteral("%1: image folder not found").arg(folder));
    if (!info.isDir())
        throw Error(QStringLiteral("%1: not a folder (an image folder holds class subfolders or images)").arg(folder));
    if (!info.isReadable() || !info.isExecutable())
        throw Error(QStringLiteral("%1: image folder cannot be read (permission denied)").arg(folder));

    ImageFolderListing listing;
    listing.root = info.absoluteFilePath();
    const QDir root(listing.root);
    for (const QString &subfolder : readFolder(listing.root).folders) {
        const QStringList files = imageFilesIn(root, root.filePath(subfolder), true);
        if (files.isEmpty())
            continue;
        listing.classNames.append(subfolder);
        listing.files.append(files);
    }
    const QStringList topLevel = imageFilesIn(root, listing.root, false);
    listing.labeled = !listing.classNames.isEmpty();
    if (listing.labeled)
        listing.strays = topLevel;
    else
        listing.files = topLevel;
    // Class by class is already ordered by class name; the promise is relative-path order.
    sortPaths(listing.files);

    if (listing.files.isEmpty())
        throw Error(QStringLiteral("%1: no image files (%2), neither in class subfolders nor directly in the folder")
                        .arg(folder, imageExtensions().join(QStringLiteral(", "))));
    return listing;
}

ImageFolderResult ImageFolder::load(const QString &folder, const ImageFolderOptions &options)
{
    checkOptions(folder, options);
    const ImageFolderListing listing = list(folder);
    if (listing.classNames.size() > options.maxClasses)
        throw Error(QStringLiteral("%1: %2 class folders; at most %3 classes are supported")
                        .arg(folder).arg(listing.classNames.size()).arg(options.maxClasses));

    ImageFolderResult result;
    result.labeled = listing.labeled;
    ImageDataset &data = result.dataset;
    data.name = QDir(listing.root).dirName();
    data.rows = options.rows;
    data.cols = options.cols;
    data.channels = options.channels;
    data.classNames = listing.classNames;
    data.pixels.reserve(std::size_t(listing.files.size()) * std::size_t(data.imageBytes()));

    const QDir root(listing.root);
    for (const QString &stray : listing.strays) {
        result.skipped.append({root.filePath(stray),
                               QStringLiteral("not inside a class folder (this folder is laid out by class)")});
    }
    for (const QString &relative : listing.files) {
        const QString path = root.filePath(relative);
        QString reason;
        const QImage image = decode(path, reason);
        if (image.isNull()) {
            result.skipped.append({path, reason});
            continue;
        }
        std::uint8_t label = ImageDataset::kUnlabeled;
        if (listing.labeled)
            label = std::uint8_t(listing.classNames.indexOf(relative.section(QLatin1Char('/'), 0, 0)));
        appendChannelMajor(conform(image, options), options.channels, data.pixels);
        data.labels.push_back(label);
        data.sourcePaths.append(path);
    }
    result.filesConsidered = int(listing.files.size() + listing.strays.size());

    if (data.size() == 0) {
        const ImageFolderSkip &first = result.skipped.constFirst();
        throw Error(QStringLiteral("%1: none of the %2 image files could be read (first, %3: %4)")
                        .arg(folder).arg(result.filesConsidered).arg(first.path, first.reason));
    }
    return result;
}

} // namespace gw
