#include "Error.h"
#include "FileChecks.h"
#include "TestData.h"
#include "data/DatasetFingerprint.h"

#include <QDir>
#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QtTest>

#include <functional>

Q_DECLARE_METATYPE(std::function<void(gw::ImageDataset &)>)

using namespace gw;
using test::verifyErrorNames;
using test::writeFile;

namespace {


// The fingerprint reads bytes, it does not decode them: any bytes named .png stand for an image.
void writeFolder(const QString &root)
{
    writeFile(QDir(root).filePath(QStringLiteral("cat/a.png")), "cat image a");
    writeFile(QDir(root).filePath(QStringLiteral("cat/b.jpg")), "cat image b");
    writeFile(QDir(root).filePath(QStringLiteral("dog/c.png")), QByteArray(200000, 'c')); // several chunks
}

QString file(const QTemporaryDir &dir, const QString &relative)
{
    return QDir(dir.path()).filePath(relative);
}


// chmod 000 does not stop root; returns false when it did not make the file unreadable.
bool makeUnreadable(const QString &path)
{
    QFile::setPermissions(path, QFileDevice::Permissions());
    return !QFileInfo(path).isReadable();
}

ImageDataset tinyDataset()
{
    ImageDataset data;
    data.name = QStringLiteral("tiny");
    data.rows = 2;
    data.cols = 2;
    data.pixels = {1, 2, 3, 4, 5, 6, 7, 8};
    data.labels = {0, 1};
    data.classNames = {QStringLiteral("a"), QStringLiteral("b")};
    return data;
}

} // namespace

class TestDatasetFingerprint : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void sameFolderContentSameHash()
    {
        QTemporaryDir a, b;
        writeFolder(a.path());
        writeFolder(b.path()); // another place, the same content
        const QString hash = DatasetFingerprint::ofImageFolder(a.path());
        QCOMPARE(hash.size(), 64);
        QVERIFY(QRegularExpression(QStringLiteral("^[0-9a-f]{64}$")).match(hash).hasMatch());
        QCOMPARE(DatasetFingerprint::ofImageFolder(b.path()), hash);
    }

    void folderChangesChangeHash_data()
    {
        QTest::addColumn<QString>("change");
        QTest::newRow("one byte") << QStringLiteral("byte");
        QTest::newRow("renamed file") << QStringLiteral("rename file");
        QTest::newRow("renamed class folder") << QStringLiteral("rename folder");
        QTest::newRow("added image") << QStringLiteral("add");
    }

    void folderChangesChangeHash()
    {
        QFETCH(QString, change);
        QTemporaryDir dir;
        writeFolder(dir.path());
        const QString before = DatasetFingerprint::ofImageFolder(dir.path());
        if (change == QStringLiteral("byte"))
            writeFile(file(dir, QStringLiteral("cat/a.png")), "cat image A");
        else if (change == QStringLiteral("rename file"))
            QVERIFY(QFile::rename(file(dir, QStringLiteral("cat/a.png")), file(dir, QStringLiteral("cat/z.png"))));
        else if (change == QStringLiteral("rename folder"))
            QVERIFY(QDir(dir.path()).rename(QStringLiteral("dog"), QStringLiteral("wolf")));
        else
            writeFile(file(dir, QStringLiteral("dog/new.gif")), "gif");
        QVERIFY(DatasetFingerprint::ofImageFolder(dir.path()) != before);
    }

    void nonImageFilesDoNotCount()
    {
        QTemporaryDir dir;
        writeFolder(dir.path());
        const QString before = DatasetFingerprint::ofImageFolder(dir.path());
        writeFile(file(dir, QStringLiteral("README.txt")), "about");
        writeFile(file(dir, QStringLiteral("cat/notes.txt")), "notes");
        QCOMPARE(DatasetFingerprint::ofImageFolder(dir.path()), before);
    }

    void unreadableImageIsNamed()
    {
        QTemporaryDir dir;
        writeFolder(dir.path());
        const QString locked = file(dir, QStringLiteral("cat/b.jpg"));
        if (!makeUnreadable(locked))
            QSKIP("running with the right to read any file (root): a permission cannot be denied here");
        verifyErrorNames([&] { DatasetFingerprint::ofImageFolder(dir.path()); }, locked);
    }

    void missingFolderIsNamed()
    {
        QTemporaryDir dir;
        const QString missing = file(dir, QStringLiteral("nowhere"));
        verifyErrorNames([&] { DatasetFingerprint::ofImageFolder(missing); }, missing);
    }

    void namedFiles()
    {
        QTemporaryDir a, b;
        const QStringList names{QStringLiteral("train-images-idx3-ubyte.gz"), QStringLiteral("train-labels-idx1-ubyte.gz")};
        QStringList pathsA, pathsB;
        for (const QString &name : names) {
            writeFile(file(a, name), name.toUtf8().repeated(1000));
            writeFile(file(b, name), name.toUtf8().repeated(1000));
            pathsA << file(a, name);
            pathsB << file(b, name);
        }
        const QString hash = DatasetFingerprint::ofFiles(pathsA);
        QCOMPARE(hash.size(), 64);
        QCOMPARE(DatasetFingerprint::ofFiles(pathsB), hash);                         // other directory
        QCOMPARE(DatasetFingerprint::ofFiles({pathsA.at(1), pathsA.at(0)}), hash);   // other order
        QVERIFY(DatasetFingerprint::ofFiles({pathsA.at(0)}) != hash);
        writeFile(pathsB.at(1), names.at(1).toUtf8().repeated(1000).replace(5, 1, "#"));
        QVERIFY(DatasetFingerprint::ofFiles(pathsB) != hash);
    }

    void unreadableNamedFileIsNamed_data()
    {
        QTest::addColumn<bool>("exists");
        QTest::newRow("missing") << false;
        QTest::newRow("no permission") << true;
    }

    void unreadableNamedFileIsNamed()
    {
        QFETCH(bool, exists);
        QTemporaryDir dir;
        const QString good = file(dir, QStringLiteral("good.idx"));
        const QString bad = file(dir, QStringLiteral("bad.idx"));
        writeFile(good, "fine");
        if (exists) {
            writeFile(bad, "locked");
            if (!makeUnreadable(bad))
                QSKIP("running with the right to read any file (root): a permission cannot be denied here");
        }
        verifyErrorNames([&] { DatasetFingerprint::ofFiles({good, bad}); }, bad);
    }

    void fromDatasetFollowsContent_data()
    {
        QTest::addColumn<std::function<void(ImageDataset &)>>("change");
        QTest::addColumn<bool>("differs");
        using Change = std::function<void(ImageDataset &)>;
        QTest::newRow("pixel") << Change([](ImageDataset &d) { d.pixels[5] = 99; }) << true;
        QTest::newRow("label") << Change([](ImageDataset &d) { d.labels[1] = 0; }) << true;
        QTest::newRow("class name") << Change([](ImageDataset &d) { d.classNames[0] = QStringLiteral("x"); }) << true;
        QTest::newRow("shape") << Change([](ImageDataset &d) { d.rows = 1, d.cols = 4; }) << true;
        QTest::newRow("channels") << Change([](ImageDataset &d) { d.channels = 2, d.rows = 1; }) << true;
        QTest::newRow("name") << Change([](ImageDataset &d) { d.name = QStringLiteral("other"); }) << false;
        QTest::newRow("source paths") << Change([](ImageDataset &d) { d.sourcePaths = {QStringLiteral("a"), QStringLiteral("b")}; }) << false;
    }

    void fromDatasetFollowsContent()
    {
        QFETCH(std::function<void(ImageDataset &)>, change);
        QFETCH(bool, differs);
        const ImageDataset original = tinyDataset();
        ImageDataset changed = original;
        change(changed);
        const QString before = DatasetFingerprint::fromDataset(original);
        QCOMPARE(before.size(), 64);
        QCOMPARE(DatasetFingerprint::fromDataset(tinyDataset()), before);
        QCOMPARE(DatasetFingerprint::fromDataset(changed) != before, differs);
    }
};

QTEST_GUILESS_MAIN(TestDatasetFingerprint)
#include "tst_datasetfingerprint.moc"
