#pragma once
#include "data/ImageDataset.h"

namespace gw {

/// Fashion-MNIST as IDX files (the four files of Zalando's release, gzip-compressed or not).
class FashionMnist {
public:
    enum class Split { Train, Test };

    /// Where Debian's dataset-fashion-mnist package puts the files.
    static QString defaultDirectory();
    static QStringList classNames();

    /// Loads one split from @p directory (empty: defaultDirectory()). Throws gw::Error naming the
    /// file when a file is missing or defective, or when images and labels disagree.
    static ImageDataset load(const QString &directory, Split split);

private:
    static QString locate(const QString &directory, const QString &stem);
};

} // namespace gw
