#include "data/FashionMnist.h"

#include "Error.h"
#include "data/IdxReader.h"

#include <QDir>
#include <QFileInfo>

namespace gw {

QString FashionMnist::defaultDirectory()
{
    return QStringLiteral("/usr/share/datasets/fashion-mnist");
}

QStringList FashionMnist::classNames()
{
    return {QStringLiteral("T-shirt/top"), QStringLiteral("Trouser"), QStringLiteral("Pullover"),
            QStringLiteral("Dress"),       QStringLiteral("Coat"),    QStringLiteral("Sandal"),
            QStringLiteral("Shirt"),       QStringLiteral("Sneaker"), QStringLiteral("Bag"),
            QStringLiteral("Ankle boot")};
}

QString FashionMnist::locate(const QString &directory, const QString &stem)
{
    const QDir dir(directory);
    for (const QString &candidate : {stem + QStringLiteral(".gz"), stem}) {
        if (QFileInfo::exists(dir.filePath(candidate)))
            return dir.filePath(candidate);
    }
    if (!dir.exists())
        throw Error(QStringLiteral("%1: Fashion-MNIST directory not found (install the Debian package "
                                   "dataset-fashion-mnist or set dataset.path)").arg(directory));
    throw Error(QStringLiteral("%1: file not found (looked for %2 and %2.gz)").arg(dir.filePath(stem), stem));
}

ImageDataset FashionMnist::load(const QString &directory, Split split)
{
    const QString dir = directory.isEmpty() ? defaultDirectory() : directory;
    const QString prefix = split == Split::Train ? QStringLiteral("train") : QStringLiteral("t10k");
    const QString imagesPath = locate(dir, prefix + QStringLiteral("-images-idx3-ubyte"));
    const QString labelsPath = locate(dir, prefix + QStringLiteral("-labels-idx1-ubyte"));

    IdxArray images = IdxReader::read(imagesPath, 3);
    IdxArray labels = IdxReader::read(labelsPath, 1);
    if (images.itemCount() != labels.itemCount()) {
        throw Error(QStringLiteral("%1: holds %2 images but %3 holds %4 labels")
                        .arg(imagesPath).arg(images.itemCount()).arg(labelsPath).arg(labels.itemCount()));
    }
    const QStringList names = classNames();
    for (std::size_t i = 0; i < labels.values.size(); ++i) {
        if (labels.values[i] >= names.size())
            throw Error(QStringLiteral("%1: label %2 at index %3 is not a Fashion-MNIST class (0-9)")
                            .arg(labelsPath).arg(labels.values[i]).arg(i));
    }

    ImageDataset dataset;
    dataset.name = QStringLiteral("Fashion-MNIST %1").arg(split == Split::Train ? QStringLiteral("train") : QStringLiteral("test"));
    dataset.rows = images.dims[1];
    dataset.cols = images.dims[2];
    dataset.pixels = std::move(images.values);
    dataset.labels = std::move(labels.values);
    dataset.classNames = names;
    return dataset;
}

} // namespace gw
