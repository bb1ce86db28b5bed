#include "Error.h"
#include "FileChecks.h"
#include "util/Files.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>
#include <unistd.h>

using namespace gw;
using namespace gw::test;

namespace {

QByteArray contentOf(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

/// Files left in @p dir beside the ones named: a temporary file that was not cleaned up.
QStringList leftovers(const QString &dir, const QStringList &expected)
{
    QStringList names = QDir(dir).entryList(QDir::Files | QDir::Hidden | QDir::System);
    for (const QString &name : expected)
        names.removeAll(name);
    return names;
}

} // namespace

class TestAtomicFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void writesAWholeNewFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("card.md"));
        AtomicFile::writeWhole(path, "hello\n");
        QCOMPARE(contentOf(path), QByteArray("hello\n"));
        QVERIFY(leftovers(dir.path(), {QStringLiteral("card.md")}).isEmpty());
    }

    void replacesAnExistingFileKeepingItsPermissions()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("config.json"));
        writeFile(path, "old");
        QVERIFY(::chmod(QFile::encodeName(path).constData(), 0640) == 0);
        AtomicFile::writeWhole(path, "new content");
        QCOMPARE(contentOf(path), QByteArray("new content"));
        struct stat st {};
        QVERIFY(::stat(QFile::encodeName(path).constData(), &st) == 0);
        QCOMPARE(int(st.st_mode & 0777), 0640);
    }

    void writesThroughASymbolicLink()
    {
        QTemporaryDir dir;
        const QString target = dir.filePath(QStringLiteral("real.csv"));
        const QString link = dir.filePath(QStringLiteral("link.csv"));
        writeFile(target, "old");
        QVERIFY(QFile::link(target, link));
        AtomicFile::writeWhole(link, "new");
        QVERIFY(QFileInfo(link).isSymLink());
        QCOMPARE(contentOf(target), QByteArray("new"));
    }

    void writesInPieces()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("pieces.bin"));
        AtomicFile file(path);
        file.write("ab");
        file.write(QByteArray("cd"));
        QVERIFY(!QFileInfo::exists(path)); // nothing at the target before commit
        file.commit();
        QCOMPARE(contentOf(path), QByteArray("abcd"));
    }

    void anUncommittedFileLeavesTheTargetAlone()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("kept.txt"));
        writeFile(path, "kept");
        {
            AtomicFile file(path);
            file.write("half of a new");
        }
        QCOMPARE(contentOf(path), QByteArray("kept"));
        QVERIFY(leftovers(dir.path(), {QStringLiteral("kept.txt")}).isEmpty());
    }

    void refusesTargetsThatAreNotRegularFiles_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("character device") << QStringLiteral("device");
        QTest::newRow("FIFO") << QStringLiteral("fifo");
        QTest::newRow("folder") << QStringLiteral("folder");
        QTest::newRow("link to a device") << QStringLiteral("link");
    }

    void refusesTargetsThatAreNotRegularFiles()
    {
        QFETCH(QString, kind);
        QTemporaryDir dir;
        QString path = QStringLiteral("/dev/null");
        if (kind == QStringLiteral("fifo")) {
            path = dir.filePath(QStringLiteral("pipe"));
            QVERIFY(::mkfifo(QFile::encodeName(path).constData(), 0600) == 0);
        } else if (kind == QStringLiteral("folder")) {
            path = dir.filePath(QStringLiteral("sub"));
            QVERIFY(QDir().mkpath(path));
        } else if (kind == QStringLiteral("link")) {
            path = dir.filePath(QStringLiteral("null-link"));
            QVERIFY(QFile::link(QStringLiteral("/dev/null"), path));
        }
        verifyErrorNames([&] { AtomicFile::writeWhole(path, "x", QStringLiteral("the model card")); }, path);
        try {
            AtomicFile::writeWhole(path, "x");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("not a regular file")), qPrintable(e.message()));
        }
        // The device is still a device, the FIFO a FIFO: nothing replaced them.
        struct stat st {};
        QVERIFY(::stat(QFile::encodeName(path).constData(), &st) == 0);
        QVERIFY(!S_ISREG(st.st_mode));
    }

    void aFullDiskLeavesTheOldFileWhole()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("emissions.csv"));
        writeFile(path, "old rows\n");
        const QByteArray big(256 * 1024, 'x');
        {
            const FileSizeLimit limit(64 * 1024);
            try {
                AtomicFile::writeWhole(path, big, QStringLiteral("the emissions rows"));
                QFAIL("the write past the limit was not noticed");
            } catch (const Error &e) {
                QVERIFY2(e.message().startsWith(path), qPrintable(e.message()));
                QVERIFY2(e.message().contains(QStringLiteral("left as it was")), qPrintable(e.message()));
            }
        }
        QCOMPARE(contentOf(path), QByteArray("old rows\n"));
        QVERIFY(leftovers(dir.path(), {QStringLiteral("emissions.csv")}).isEmpty());
    }

    void aMissingFolderIsNamed()
    {
        const QString path = QStringLiteral("/nonexistent-folder-of-the-test/out.json");
        verifyErrorNames([&] { AtomicFile::writeWhole(path, "x"); }, path);
    }

    void readsARegularFile()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("table.csv"));
        writeFile(path, "a,b\n1,2\n");
        QCOMPARE(readWholeFile(path), QByteArray("a,b\n1,2\n"));
    }

    void refusesToReadDevicesAndFifosWithoutBlocking()
    {
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("pipe"));
        QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
        const QString zero = dir.filePath(QStringLiteral("zero.idx"));
        QVERIFY(QFile::link(QStringLiteral("/dev/zero"), zero));
        for (const QString &path : {fifo, zero, QStringLiteral("/dev/zero"), dir.path()})
            verifyErrorNames([&] { readWholeFile(path); }, path);
    }

    void refusesFilesOverTheLimit()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("labels.csv"));
        writeFile(path, QByteArray(2048, 'a'));
        verifyErrorNames([&] { readWholeFile(path, 1024); }, path);
        QCOMPARE(readWholeFile(path, 2048).size(), 2048);
    }

    void readsResources()
    {
        QVERIFY(!readWholeFile(QStringLiteral(":/gw/examples/fashion-green.json")).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestAtomicFile)
#include "tst_atomicfile.moc"
