#include "Error.h"
#include "TestData.h"
#include "data/IdxReader.h"

#include <QFile>
#include <QTemporaryDir>
#include <QtTest>

#include <sys/stat.h>

using namespace gw;

class TestIdxReader : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;
    QString path(const QString &name) const { return dir_.filePath(name); }

    static QByteArray idxHeader(std::uint8_t type, const std::vector<int> &dims)
    {
        QByteArray bytes;
        bytes.append('\0').append('\0').append(char(type)).append(char(dims.size()));
        for (int d : dims)
            for (int shift = 24; shift >= 0; shift -= 8)
                bytes.append(char((std::uint32_t(d) >> shift) & 0xff));
        return bytes;
    }

private Q_SLOTS:
    void readsRawAndGzip_data()
    {
        QTest::addColumn<bool>("gzip");
        QTest::newRow("raw") << false;
        QTest::newRow("gzip") << true;
    }

    void readsRawAndGzip()
    {
        QFETCH(bool, gzip);
        const std::vector<std::uint8_t> values = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        const QString file = path(gzip ? QStringLiteral("ok.idx.gz") : QStringLiteral("ok.idx"));
        test::writeIdx(file, {2, 3, 2}, values, gzip);
        const IdxArray array = IdxReader::read(file, 3);
        QCOMPARE(array.dims, (std::vector<int>{2, 3, 2}));
        QCOMPARE(array.itemCount(), 2);
        QCOMPARE(array.itemSize(), 6);
        QCOMPARE(array.values, values);
    }

    // Every defect must throw an Error whose message names the file and the problem.
    void rejectsBadInput_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<int>("expectedDims");
        QTest::addColumn<QString>("problem");

        QByteArray wrongMagic = idxHeader(0x0D, {2});
        wrongMagic.append(8, '\1');
        QTest::newRow("wrong magic (float type)") << "float.idx" << wrongMagic << 1 << "wrong magic number";
        QTest::newRow("wrong magic (png)") << "image.idx" << QByteArray("\x89PNG\r\n\x1a\n....") << 0 << "wrong magic number";

        QByteArray truncated = idxHeader(0x08, {10, 4, 4});
        truncated.append(100, '\1');
        QTest::newRow("truncated data") << "truncated.idx" << truncated << 3 << "truncated";
        QTest::newRow("truncated header") << "header.idx" << idxHeader(0x08, {10, 4, 4}).left(9) << 3 << "truncated header";
        const QByteArray wholeGzip = test::gzipBytes(truncated + QByteArray(60, '\1'));
        QTest::newRow("truncated gzip") << "truncated.idx.gz" << wholeGzip.left(wholeGzip.size() - 10) << 3
                                        << "gzip stream is truncated";

        QByteArray corruptGzip = test::gzipBytes(idxHeader(0x08, {4}) + QByteArray(4, '\2'));
        for (int i = 12; i < corruptGzip.size() - 8; ++i)
            corruptGzip[i] = char(0xff);
        QTest::newRow("corrupt gzip") << "corrupt.idx.gz" << corruptGzip << 1 << "gzip";

        QTest::newRow("not gzip") << "plain.idx.gz" << (idxHeader(0x08, {2}) + QByteArray(2, '\1')) << 1 << "not gzip-compressed";
        QTest::newRow("wrong dimensions") << "labels.idx" << (idxHeader(0x08, {2}) + QByteArray(2, '\1')) << 3
                                          << "has 1 dimensions, expected 3";
        QTest::newRow("trailing bytes") << "long.idx" << (idxHeader(0x08, {2}) + QByteArray(5, '\1')) << 1 << "unexpected bytes";
        QTest::newRow("empty") << "empty.idx" << QByteArray() << 0 << "too short";
        // A header that declares gigabytes is refused before anything is allocated for it, raw or
        // as a small gzip file that would expand to that much (a "gzip bomb").
        QTest::newRow("header declares too much") << "huge.idx" << (idxHeader(0x08, {0x7fffffff, 28, 28}) + QByteArray(16, '\0')) << 3
                                                  << "more than 1024 MiB";
        QTest::newRow("gzip bomb") << "bomb.idx.gz" << test::gzipBytes(idxHeader(0x08, {0x7fffffff, 28, 28}) + QByteArray(4 << 20, '\0')) << 3
                                   << "more than 1024 MiB";
        QTest::newRow("gzip longer than declared") << "long.idx.gz" << test::gzipBytes(idxHeader(0x08, {4}) + QByteArray(4 << 20, '\0')) << 1
                                                   << "unexpected bytes";
    }

    void rejectsBadInput()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, content);
        QFETCH(int, expectedDims);
        QFETCH(QString, problem);
        test::writeBytes(path(name), content);
        try {
            IdxReader::read(path(name), expectedDims);
            QFAIL("no error for a defective file");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(path(name)), qPrintable(e.message()));
            QVERIFY2(e.message().contains(problem), qPrintable(e.message()));
        }
    }

    // A FIFO would block a reader for ever and /dev/zero never ends: neither is read from.
    void rejectsFilesThatAreNotRegular()
    {
        const QString fifo = path(QStringLiteral("pipe-idx"));
        QVERIFY(::mkfifo(QFile::encodeName(fifo).constData(), 0600) == 0);
        const QString zero = path(QStringLiteral("zero.idx"));
        QVERIFY(QFile::link(QStringLiteral("/dev/zero"), zero));
        for (const QString &file : {fifo, zero}) {
            try {
                IdxReader::read(file);
                QFAIL("no error for a file that is not regular");
            } catch (const Error &e) {
                QVERIFY2(e.message().contains(file) && e.message().contains(QStringLiteral("not a regular file")), qPrintable(e.message()));
            }
        }
    }

    void rejectsMissingFile()
    {
        const QString missing = path(QStringLiteral("does-not-exist.idx"));
        try {
            IdxReader::read(missing);
            QFAIL("no error for a missing file");
        } catch (const Error &e) {
            QVERIFY(e.message().contains(missing));
            QVERIFY(e.message().contains(QStringLiteral("not found")));
        }
    }
};

QTEST_GUILESS_MAIN(TestIdxReader)
#include "tst_idxreader.moc"
