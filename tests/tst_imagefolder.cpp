#include "Error.h"
#include "FileChecks.h"
#include "TestData.h"
#include "data/ImageFolder.h"

#include <QBuffer>
#include <QColor>
#include <QDir>
#include <QFile>
#include <QImage>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <cstdio>
#include <sys/stat.h>
#include <unistd.h>
#include <QtTest>

#include <functional>

Q_DECLARE_METATYPE(gw::ImageFolderOptions)
Q_DECLARE_METATYPE(gw::ImageResize)

using namespace gw;
using test::verifyErrorNames;
using test::writeFile;

namespace {


// A solid-colour image written with QImage::save; the format follows the suffix (PNG, JPEG).
void writeImage(const QString &path, int width, int height, const QColor &color,
                QImage::Format format = QImage::Format_RGB888)
{
    QDir().mkpath(QFileInfo(path).absolutePath());
    QImage image(width, height, format);
    image.fill(color);
    QVERIFY2(image.save(path), qPrintable(path));
}

// Bytes of a valid PNG cut short, as a download that stopped half-way leaves it.
QByteArray truncatedPng()
{
    QImage image(64, 64, QImage::Format_RGB888);
    // Noise, so the compressed data is long enough that half of it is missing rows, not a trailer.
    QRandomGenerator rng(5);
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x)
            image.setPixelColor(x, y, QColor(rng.bounded(256), rng.bounded(256), rng.bounded(256)));
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    image.save(&buffer, "PNG");
    return bytes.left(bytes.size() / 2);
}

QString path(const QTemporaryDir &dir, const QString &relative)
{
    return QDir(dir.path()).filePath(relative);
}

// The three-class folder most tests read: classes of different sizes, formats and depths.
void writeThreeClasses(const QTemporaryDir &dir)
{
    writeImage(path(dir, QStringLiteral("cat/b.png")), 10, 12, QColor(100, 100, 100), QImage::Format_Grayscale8);
    writeImage(path(dir, QStringLiteral("cat/a.png")), 30, 20, QColor(20, 20, 20), QImage::Format_Grayscale8);
    writeImage(path(dir, QStringLiteral("dog/more/c.jpg")), 40, 40, QColor(10, 200, 30));
    writeImage(path(dir, QStringLiteral("dog/d.PNG")), 8, 8, QColor(200, 10, 30));
    writeImage(path(dir, QStringLiteral("emu/e.bmp")), 5, 7, QColor(0, 0, 255));
    writeImage(path(dir, QStringLiteral("cat/.hidden.png")), 4, 4, Qt::white);
    writeFile(path(dir, QStringLiteral("README.txt")), "not an image");
    writeFile(path(dir, QStringLiteral("cat/notes.txt")), "not an image either");
    QDir(dir.path()).mkpath(QStringLiteral("empty-folder"));
}

ImageFolderOptions options(int rows, int cols, int channels)
{
    ImageFolderOptions o;
    o.rows = rows;
    o.cols = cols;
    o.channels = channels;
    return o;
}


} // namespace

class TestImageFolder : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void knowsImagesByExtension_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("image");
        QTest::newRow("png") << QStringLiteral("a.png") << true;
        QTest::newRow("upper case") << QStringLiteral("a.JPEG") << true;
        QTest::newRow("jpg in a folder") << QStringLiteral("x/y.jpg") << true;
        QTest::newRow("text") << QStringLiteral("README.txt") << false;
        QTest::newRow("png then txt") << QStringLiteral("a.png.txt") << false;
        QTest::newRow("no suffix") << QStringLiteral("png") << false;
    }

    void knowsImagesByExtension()
    {
        QFETCH(QString, name);
        QFETCH(bool, image);
        QCOMPARE(ImageFolder::isImageFile(name), image);
    }

    void loadsLabeledFolder()
    {
        QTemporaryDir dir;
        writeThreeClasses(dir);
        const ImageFolderResult result = ImageFolder::load(dir.path(), options(16, 12, 1));
        const ImageDataset &data = result.dataset;
        QVERIFY(result.labeled);
        QVERIFY(result.skipped.isEmpty());
        QCOMPARE(result.filesConsidered, 5);
        QCOMPARE(data.classNames, (QStringList{QStringLiteral("cat"), QStringLiteral("dog"), QStringLiteral("emu")}));
        QCOMPARE(data.size(), 5);
        QCOMPARE(data.rows, 16);
        QCOMPARE(data.cols, 12);
        QCOMPARE(data.channels, 1);
        QCOMPARE(std::int64_t(data.pixels.size()), 5 * 16 * 12);
        QCOMPARE(data.labels, (std::vector<std::uint8_t>{0, 0, 1, 1, 2}));
        QCOMPARE(data.classCounts(), (std::vector<std::int64_t>{2, 2, 1}));
        QCOMPARE(data.name, QDir(dir.path()).dirName());
        QStringList relative;
        for (const QString &source : data.sourcePaths)
            relative << QDir(dir.path()).relativeFilePath(source);
        QCOMPARE(relative, (QStringList{QStringLiteral("cat/a.png"), QStringLiteral("cat/b.png"), QStringLiteral("dog/d.PNG"),
                                        QStringLiteral("dog/more/c.jpg"), QStringLiteral("emu/e.bmp")}));
        QCOMPARE(int(data.pixels[0]), 20);                // cat/a.png, solid 20
        QCOMPARE(int(data.pixels[std::size_t(16 * 12)]), 100); // cat/b.png, solid 100
    }

    void loadsTheSameEveryTime()
    {
        QTemporaryDir dir;
        writeThreeClasses(dir);
        const ImageFolderResult a = ImageFolder::load(dir.path(), options(8, 8, 3));
        const ImageFolderResult b = ImageFolder::load(dir.path(), options(8, 8, 3));
        QCOMPARE(a.dataset.sourcePaths, b.dataset.sourcePaths);
        QCOMPARE(a.dataset.labels, b.dataset.labels);
        QCOMPARE(a.dataset.pixels, b.dataset.pixels);
        QVERIFY(std::is_sorted(a.dataset.sourcePaths.begin(), a.dataset.sourcePaths.end()));
    }

    void convertsChannels_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QColor>("color");
        QTest::addColumn<bool>("grayscaleSource");
        QTest::addColumn<int>("channels");
        QTest::addColumn<QList<int>>("expected"); // one value a channel
        QTest::addColumn<int>("tolerance");
        QTest::newRow("gray to gray") << QStringLiteral("a.png") << QColor(100, 100, 100) << true << 1 << QList<int>{100} << 0;
        QTest::newRow("gray to rgb") << QStringLiteral("a.png") << QColor(100, 100, 100) << true << 3 << QList<int>{100, 100, 100} << 0;
        QTest::newRow("rgb to rgb") << QStringLiteral("a.png") << QColor(10, 200, 30) << false << 3 << QList<int>{10, 200, 30} << 0;
        // ITU-R 601 luma as PIL computes it: (19595 R + 38470 G + 7471 B + 32768) >> 16.
        QTest::newRow("red to gray") << QStringLiteral("a.png") << QColor(255, 0, 0) << false << 1 << QList<int>{76} << 0;
        QTest::newRow("green to gray") << QStringLiteral("a.png") << QColor(10, 200, 30) << false << 1 << QList<int>{124} << 0;
        QTest::newRow("gray rgb to gray") << QStringLiteral("a.png") << QColor(60, 60, 60) << false << 1 << QList<int>{60} << 0;
        QTest::newRow("rgb jpeg to rgb") << QStringLiteral("a.jpg") << QColor(10, 200, 30) << false << 3 << QList<int>{10, 200, 30} << 4;
        QTest::newRow("gray jpeg to gray") << QStringLiteral("a.jpeg") << QColor(150, 150, 150) << true << 1 << QList<int>{150} << 2;
    }

    void convertsChannels()
    {
        QFETCH(QString, file);
        QFETCH(QColor, color);
        QFETCH(bool, grayscaleSource);
        QFETCH(int, channels);
        QFETCH(QList<int>, expected);
        QFETCH(int, tolerance);
        QTemporaryDir dir;
        writeImage(path(dir, file), 9, 5, color, grayscaleSource ? QImage::Format_Grayscale8 : QImage::Format_RGB888);
        const ImageFolderResult result = ImageFolder::load(dir.path(), options(4, 6, channels));
        QVERIFY(!result.labeled);
        const ImageDataset &data = result.dataset;
        QCOMPARE(data.channels, channels);
        QCOMPARE(std::int64_t(data.pixels.size()), data.imageBytes());
        // Channel-major: each plane of rows * cols bytes holds one channel's value everywhere.
        const int plane = data.rows * data.cols;
        for (int c = 0; c < channels; ++c) {
            for (int i = 0; i < plane; ++i) {
                const int value = data.pixels[std::size_t(c * plane + i)];
                QVERIFY2(std::abs(value - expected[c]) <= tolerance,
                         qPrintable(QStringLiteral("channel %1 pixel %2 is %3, expected %4").arg(c).arg(i).arg(value).arg(expected[c])));
            }
        }
    }

    void loadsFlatFolderUnlabeled()
    {
        QTemporaryDir dir;
        writeImage(path(dir, QStringLiteral("z.png")), 5, 5, Qt::black);
        writeImage(path(dir, QStringLiteral("a.jpg")), 7, 3, Qt::white);
        writeImage(path(dir, QStringLiteral("m.bmp")), 2, 2, Qt::gray);
        writeFile(path(dir, QStringLiteral("notes/README.txt")), "text");
        const ImageFolderResult result = ImageFolder::load(dir.path(), options(4, 4, 1));
        QVERIFY(!result.labeled);
        QCOMPARE(result.filesConsidered, 3);
        QCOMPARE(result.dataset.size(), 3);
        QVERIFY(result.dataset.classNames.isEmpty());
        QCOMPARE(result.dataset.labels, std::vector<std::uint8_t>(3, ImageDataset::kUnlabeled));
        QVERIFY(result.dataset.classCounts().empty());
        QVERIFY(result.dataset.sourcePaths.at(0).endsWith(QStringLiteral("/a.jpg")));
        QVERIFY(result.dataset.sourcePaths.at(2).endsWith(QStringLiteral("/z.png")));
    }

    void reportsImagesBesideClassFolders()
    {
        QTemporaryDir dir;
        writeThreeClasses(dir);
        writeImage(path(dir, QStringLiteral("stray.png")), 4, 4, Qt::white);
        const ImageFolderResult result = ImageFolder::load(dir.path(), options(4, 4, 1));
        QCOMPARE(result.dataset.size(), 5);
        QCOMPARE(result.filesConsidered, 6);
        QCOMPARE(result.skipped.size(), 1);
        QCOMPARE(result.skipped.at(0).path, path(dir, QStringLiteral("stray.png")));
    }

    void skipsBadFiles_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("random bytes") << QStringLiteral("random");
        QTest::newRow("truncated png") << QStringLiteral("truncated");
        QTest::newRow("zero-byte jpg") << QStringLiteral("empty");
        QTest::newRow("no permission") << QStringLiteral("locked");
    }

    void skipsBadFiles()
    {
        QFETCH(QString, kind);
        QTemporaryDir dir;
        writeImage(path(dir, QStringLiteral("cat/good.png")), 6, 6, Qt::white);
        writeImage(path(dir, QStringLiteral("dog/good.png")), 6, 6, Qt::black);
        QString bad;
        if (kind == QStringLiteral("random")) {
            bad = path(dir, QStringLiteral("cat/random.png"));
            QByteArray noise(500, Qt::Uninitialized);
            QRandomGenerator(3).fillRange(reinterpret_cast<quint32 *>(noise.data()), noise.size() / 4);
            writeFile(bad, noise);
        } else if (kind == QStringLiteral("truncated")) {
            bad = path(dir, QStringLiteral("cat/truncated.png"));
            writeFile(bad, truncatedPng());
        } else if (kind == QStringLiteral("empty")) {
            bad = path(dir, QStringLiteral("dog/empty.jpg"));
            writeFile(bad, QByteArray());
        } else {
            bad = path(dir, QStringLiteral("dog/locked.png"));
            writeImage(bad, 6, 6, Qt::gray);
            QFile::setPermissions(bad, QFileDevice::Permissions());
            if (QFileInfo(bad).isReadable())
                QSKIP("running with the right to read any file (root): a permission cannot be denied here");
        }
        const ImageFolderResult result = ImageFolder::load(dir.path(), options(4, 4, 1));
        QCOMPARE(result.filesConsidered, 3);
        QCOMPARE(result.dataset.size(), 2);
        QCOMPARE(result.dataset.classCounts(), (std::vector<std::int64_t>{1, 1}));
        QCOMPARE(result.skipped.size(), 1);
        QCOMPARE(result.skipped.at(0).path, bad);
        QVERIFY(!result.skipped.at(0).reason.isEmpty());
        qInfo("%s skipped: %s", qPrintable(QFileInfo(bad).fileName()), qPrintable(result.skipped.at(0).reason));
    }

    void onlyBadFilesIsAnError()
    {
        QTemporaryDir dir;
        writeFile(path(dir, QStringLiteral("a.png")), "garbage");
        writeFile(path(dir, QStringLiteral("b.jpg")), QByteArray());
        verifyErrorNames([&] { ImageFolder::load(dir.path()); }, dir.path());
    }

    // Nothing is dropped without a word: a name Qt cannot represent, a broken link and a folder
    // that cannot be read are errors naming them (and so change nothing silently, not even a hash).
    void namesThatAreNotUtf8AreAnError()
    {
        QTemporaryDir dir;
        writeThreeClasses(dir);
        const QByteArray latin1Name = QFile::encodeName(path(dir, QStringLiteral("cat"))) + "/caf\xe9.png";
        {
            FILE *file = std::fopen(latin1Name.constData(), "wb");
            QVERIFY(file);
            std::fclose(file);
        }
        try {
            ImageFolder::load(dir.path());
            QFAIL("a file whose name is not UTF-8 was passed over");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(path(dir, QStringLiteral("cat"))) && e.message().contains(QStringLiteral("not valid UTF-8"))
                         && e.message().contains(QStringLiteral("caf%E9.png")),
                     qPrintable(e.message()));
        }
        ::unlink(latin1Name.constData()); // QTemporaryDir cannot remove what Qt cannot name
        // A class folder with such a name too.
        QTemporaryDir other;
        writeThreeClasses(other);
        const QByteArray badFolder = QFile::encodeName(other.path()) + "/\xff\xfe";
        QVERIFY(::mkdir(badFolder.constData(), 0755) == 0);
        verifyErrorNames([&] { ImageFolder::list(other.path()); }, QStringLiteral("not valid UTF-8"));
        ::rmdir(badFolder.constData());
    }

    void aBrokenLinkIsAnError()
    {
        QTemporaryDir dir;
        writeThreeClasses(dir);
        const QString link = path(dir, QStringLiteral("wolf"));
        QVERIFY(QFile::link(path(dir, QStringLiteral("gone-folder")), link));
        verifyErrorNames([&] { ImageFolder::list(dir.path()); }, link);
    }

    void aLinkedClassFolderIsFollowed()
    {
        QTemporaryDir dir, elsewhere;
        writeThreeClasses(dir);
        writeImage(path(elsewhere, QStringLiteral("f.png")), 4, 4, Qt::black);
        QVERIFY(QFile::link(elsewhere.path(), path(dir, QStringLiteral("fox"))));
        const ImageFolderListing listing = ImageFolder::list(dir.path());
        QVERIFY2(listing.classNames.contains(QStringLiteral("fox")), qPrintable(listing.classNames.join(QLatin1Char(','))));
        QVERIFY(listing.files.contains(QStringLiteral("fox/f.png")));
    }

    void anUnreadableClassFolderIsAnError()
    {
        if (::geteuid() == 0)
            QSKIP("root reads every folder; the broken link above takes the same path for root");
        QTemporaryDir dir;
        writeThreeClasses(dir);
        const QString locked = path(dir, QStringLiteral("dog"));
        QVERIFY(QFile::setPermissions(locked, QFileDevice::WriteOwner));
        verifyErrorNames([&] { ImageFolder::list(dir.path()); }, locked);
        QFile::setPermissions(locked, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }

    void folderWithoutImagesIsAnError_data()
    {
        QTest::addColumn<QString>("relative");
        QTest::addColumn<bool>("create");
        QTest::newRow("missing") << QStringLiteral("missing") << false;
        QTest::newRow("only text") << QStringLiteral("texts") << true;
        QTest::newRow("a file") << QStringLiteral("file.png") << false;
    }

    void folderWithoutImagesIsAnError()
    {
        QFETCH(QString, relative);
        QFETCH(bool, create);
        QTemporaryDir dir;
        const QString folder = path(dir, relative);
        if (create)
            writeFile(QDir(folder).filePath(QStringLiteral("sub/README.txt")), "text");
        if (relative.endsWith(QStringLiteral(".png")))
            writeImage(folder, 3, 3, Qt::white);
        verifyErrorNames([&] { ImageFolder::load(folder); }, folder);
    }

    void rejectsOptions_data()
    {
        QTest::addColumn<ImageFolderOptions>("options");
        QTest::newRow("zero rows") << options(0, 4, 1);
        QTest::newRow("huge cols") << options(4, 100000, 1);
        QTest::newRow("two channels") << options(4, 4, 2);
        ImageFolderOptions tooMany = options(4, 4, 1);
        tooMany.maxClasses = 256;
        QTest::newRow("256 classes") << tooMany;
        ImageFolderOptions fewer = options(4, 4, 1);
        fewer.maxClasses = 2; // the folder has three
        QTest::newRow("more classes than allowed") << fewer;
    }

    void rejectsOptions()
    {
        QFETCH(ImageFolderOptions, options);
        QTemporaryDir dir;
        writeThreeClasses(dir);
        verifyErrorNames([&] { ImageFolder::load(dir.path(), options); }, dir.path());
    }

    void resizeModes_data()
    {
        QTest::addColumn<ImageResize>("resize");
        QTest::addColumn<int>("leftColumn");
        QTest::newRow("stretch keeps the black sides") << ImageResize::Stretch << 0;
        QTest::newRow("center crop keeps the white middle") << ImageResize::CenterCrop << 255;
    }

    void resizeModes()
    {
        QFETCH(ImageResize, resize);
        QFETCH(int, leftColumn);
        QTemporaryDir dir;
        // 30x10: black thirds left and right of a white middle, so a centre square is all white.
        QImage image(30, 10, QImage::Format_Grayscale8);
        image.fill(Qt::black);
        for (int y = 0; y < 10; ++y)
            for (int x = 10; x < 20; ++x)
                image.setPixelColor(x, y, Qt::white);
        QVERIFY(image.save(path(dir, QStringLiteral("bands.png"))));
        ImageFolderOptions o = options(10, 10, 1);
        o.resize = resize;
        const ImageDataset data = ImageFolder::load(dir.path(), o).dataset;
        QCOMPARE(int(data.pixels[5 * 10]), leftColumn);  // row 5, column 0
        QCOMPARE(int(data.pixels[5 * 10 + 5]), 255);      // the middle is white either way
    }
};

QTEST_GUILESS_MAIN(TestImageFolder)
#include "tst_imagefolder.moc"
