#pragma once
#include "data/ImageDataset.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace gw {

/// How ImageFolder brings every image to the dataset's one size.
enum class ImageResize {
    /// Scaled to exactly rows x cols with smooth (bilinear) filtering; the aspect ratio is not kept.
    Stretch,
    /// Scaled smoothly, keeping the aspect ratio, until it covers rows x cols, then the centre cut out.
    CenterCrop,
};

struct ImageFolderOptions {
    int rows = 28;
    int cols = 28;
    /// 1: grayscale (ITU-R 601 luma, the bytes PIL and torchvision give), 3: RGB. Transparency is dropped.
    int channels = 1;
    ImageResize resize = ImageResize::Stretch;
    /// At most 255: label 255 is ImageDataset::kUnlabeled.
    int maxClasses = 255;
};

/// An image file that was passed over, and why (for a person to read).
struct ImageFolderSkip {
    QString path;
    QString reason;
};

/// The image files of a folder and how they are laid out; what ImageFolder loads and what
/// DatasetFingerprint hashes, so both see the same files.
struct ImageFolderListing {
    QString root; ///< absolute path of the folder
    bool labeled = false;
    QStringList classNames; ///< the class subfolders, sorted; empty for a flat folder
    QStringList files;      ///< image files to load, relative to root with '/', sorted
    QStringList strays;     ///< labeled layout only: images beside the class folders, not loaded
};

struct ImageFolderResult {
    ImageDataset dataset; ///< sourcePaths hold each sample's absolute path
    QList<ImageFolderSkip> skipped;
    /// Image files looked at: dataset.size() + skipped.size().
    int filesConsidered = 0;
    bool labeled = false;
};

/// Loads a folder of images (through Qt's image plugins) into an ImageDataset.
///
/// Layout, detected on its own: when a subfolder holds image files the folder is labeled, each such
/// subfolder a class (named after it, classes sorted by name) holding its images at any depth; images
/// beside the class folders are reported as skipped. Otherwise it is flat: the images directly in it,
/// unlabeled (ImageDataset::kUnlabeled, no class names). Image files are known by extension (case
/// ignored): png, jpg, jpeg, bmp, gif, webp; other files (README.txt) are ignored silently, as are
/// hidden files and folders and links to folders. Samples are ordered by relative path.
class ImageFolder {
public:
    static const QStringList &imageExtensions();
    static bool isImageFile(const QString &fileName);

    /// The layout and files of @p folder. Throws gw::Error naming the folder when it is missing or
    /// holds no image file in either layout.
    static ImageFolderListing list(const QString &folder);

    /// Decodes every image of list(@p folder). A file that cannot be read or decoded (not an image,
    /// truncated, empty, no permission) is skipped with its reason, never fatal. Throws gw::Error
    /// naming the folder when the options are out of range, there are more classes than
    /// maxClasses, or no image at all could be read.
    static ImageFolderResult load(const QString &folder, const ImageFolderOptions &options = {});
};

} // namespace gw
