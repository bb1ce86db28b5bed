#include "Error.h"
#include "TestData.h"
#include "data/FashionMnist.h"

#include <QDir>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestFashionMnist : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void loadsBothSplits()
    {
        QTemporaryDir dir;
        test::writeBandDataset(dir.path(), 50, 20);
        const ImageDataset train = FashionMnist::load(dir.path(), FashionMnist::Split::Train);
        const ImageDataset test = FashionMnist::load(dir.path(), FashionMnist::Split::Test);
        QCOMPARE(train.size(), 50);
        QCOMPARE(test.size(), 20);
        QCOMPARE(train.rows, 28);
        QCOMPARE(train.cols, 28);
        QCOMPARE(std::int64_t(train.pixels.size()), 50 * 28 * 28);
        QCOMPARE(train.classCount(), 10);
        QCOMPARE(train.classNames.at(9), QStringLiteral("Ankle boot"));
    }

    void subsetIsDeterministic()
    {
        QTemporaryDir dir;
        test::writeBandDataset(dir.path(), 100, 10);
        const ImageDataset train = FashionMnist::load(dir.path(), FashionMnist::Split::Train);
        const ImageDataset a = train.subset(30, 5), b = train.subset(30, 5), c = train.subset(30, 6);
        QCOMPARE(a.size(), 30);
        QCOMPARE(a.pixels, b.pixels);
        QCOMPARE(a.labels, b.labels);
        QVERIFY(a.pixels != c.pixels);
        QCOMPARE(train.subset(0, 1).size(), 100);
    }

    void countMismatchNamesBothFiles()
    {
        QTemporaryDir dir;
        test::writeBandDataset(dir.path(), 10, 10);
        const QString labels = QDir(dir.path()).filePath(QStringLiteral("train-labels-idx1-ubyte.gz"));
        test::writeIdx(labels, {9}, std::vector<std::uint8_t>(9, 1), true);
        try {
            FashionMnist::load(dir.path(), FashionMnist::Split::Train);
            QFAIL("no error for a count mismatch");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("train-images-idx3-ubyte.gz")), qPrintable(e.message()));
            QVERIFY2(e.message().contains(labels), qPrintable(e.message()));
            QVERIFY(e.message().contains(QStringLiteral("10 images but")));
        }
    }

    void labelOutOfRange()
    {
        QTemporaryDir dir;
        test::writeBandDataset(dir.path(), 4, 4);
        const QString labels = QDir(dir.path()).filePath(QStringLiteral("t10k-labels-idx1-ubyte.gz"));
        test::writeIdx(labels, {4}, {1, 2, 42, 3}, true);
        try {
            FashionMnist::load(dir.path(), FashionMnist::Split::Test);
            QFAIL("no error for label 42");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(labels) && e.message().contains(QStringLiteral("label 42")), qPrintable(e.message()));
        }
    }

    void missingFilesAndDirectory()
    {
        QTemporaryDir dir;
        QVERIFY_THROWS_EXCEPTION(Error, FashionMnist::load(dir.path(), FashionMnist::Split::Train));
        try {
            FashionMnist::load(dir.filePath(QStringLiteral("nowhere")), FashionMnist::Split::Train);
            QFAIL("no error for a missing directory");
        } catch (const Error &e) {
            QVERIFY(e.message().contains(QStringLiteral("nowhere")));
            QVERIFY(e.message().contains(QStringLiteral("dataset-fashion-mnist")));
        }
    }

    void rawFilesAreFoundToo()
    {
        QTemporaryDir dir;
        const QDir d(dir.path());
        test::writeIdx(d.filePath(QStringLiteral("t10k-images-idx3-ubyte")), {2, 4, 4}, std::vector<std::uint8_t>(32, 9), false);
        test::writeIdx(d.filePath(QStringLiteral("t10k-labels-idx1-ubyte")), {2}, {0, 1}, false);
        QCOMPARE(FashionMnist::load(dir.path(), FashionMnist::Split::Test).size(), 2);
    }
};

QTEST_GUILESS_MAIN(TestFashionMnist)
#include "tst_fashionmnist.moc"
