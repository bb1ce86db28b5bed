#include "Error.h"
#include "data/ImageDataset.h"

#include <QSet>
#include <QtTest>

#include <cmath>
#include <limits>

using namespace gw;

namespace {

// counts[c] samples of class c, dealt round-robin so classes interleave; each sample's pixels and
// source path say its index, so a test can tell which sample ended up where.
ImageDataset makeDataset(const QList<int> &counts, int channels = 1)
{
    ImageDataset data;
    data.name = QStringLiteral("synthetic");
    data.rows = 2;
    data.cols = 3;
    data.channels = channels;
    for (int c = 0; c < counts.size(); ++c)
        data.classNames << QStringLiteral("class%1").arg(c);
    QList<int> left = counts;
    for (bool any = true; any;) {
        any = false;
        for (int c = 0; c < left.size(); ++c) {
            if (left[c] == 0)
                continue;
            --left[c];
            any = true;
            const auto index = std::uint8_t(data.size());
            data.labels.push_back(std::uint8_t(c));
            data.pixels.insert(data.pixels.end(), std::size_t(data.imageBytes()), index);
            data.sourcePaths << QStringLiteral("sample%1.png").arg(index);
        }
    }
    return data;
}

// Every sample's pixels still belong to its source path and label (nothing got out of step).
void verifyAligned(const ImageDataset &part, const ImageDataset &whole)
{
    QCOMPARE(part.sourcePaths.size(), part.size());
    QCOMPARE(std::int64_t(part.pixels.size()), part.size() * part.imageBytes());
    for (std::int64_t i = 0; i < part.size(); ++i) {
        const int original = whole.sourcePaths.indexOf(part.sourcePaths.at(i));
        QVERIFY(original >= 0);
        QCOMPARE(part.labels[std::size_t(i)], whole.labels[std::size_t(original)]);
        QCOMPARE(int(part.pixels[std::size_t(i * part.imageBytes())]), original);
    }
}

} // namespace

class TestImageDataset : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void imageBytesCountsChannels()
    {
        ImageDataset data;
        data.rows = 4;
        data.cols = 5;
        QCOMPARE(data.imageBytes(), 20);
        data.channels = 3;
        QCOMPARE(data.imageBytes(), 60);
    }

    void classCountsSkipUnlabeled()
    {
        ImageDataset data = makeDataset({3, 0, 2});
        data.labels.push_back(ImageDataset::kUnlabeled);
        data.labels.push_back(4); // beyond the names: still counted
        QCOMPARE(data.classCounts(), (std::vector<std::int64_t>{3, 0, 2, 0, 1}));
        QCOMPARE(ImageDataset().classCounts(), std::vector<std::int64_t>());
    }

    void subsetKeepsChannelsAndSourcePaths()
    {
        const ImageDataset data = makeDataset({6, 6}, 3);
        const ImageDataset part = data.subset(5, 11);
        QCOMPARE(part.size(), 5);
        QCOMPARE(part.channels, 3);
        verifyAligned(part, data);
        QVERIFY(std::is_sorted(part.sourcePaths.begin(), part.sourcePaths.end(), [&](const QString &a, const QString &b) {
            return data.sourcePaths.indexOf(a) < data.sourcePaths.indexOf(b);
        }));
    }

    void subsetWithoutSourcePaths()
    {
        ImageDataset data = makeDataset({4, 4});
        data.sourcePaths.clear();
        QVERIFY(data.subset(3, 1).sourcePaths.isEmpty());
    }

    void splitProportions_data()
    {
        QTest::addColumn<QList<int>>("counts");
        QTest::addColumn<double>("fraction");
        QTest::addColumn<std::vector<std::int64_t>>("heldOut");
        QTest::newRow("even") << QList<int>{10, 10, 10} << 0.2 << std::vector<std::int64_t>{2, 2, 2};
        QTest::newRow("rounding") << QList<int>{7, 13, 27} << 0.3 << std::vector<std::int64_t>{2, 4, 8};
        QTest::newRow("at least one") << QList<int>{2, 3, 40} << 0.05 << std::vector<std::int64_t>{1, 1, 2};
        QTest::newRow("one stays kept") << QList<int>{2, 3, 4} << 0.9 << std::vector<std::int64_t>{1, 2, 3};
        QTest::newRow("single sample stays") << QList<int>{1, 5} << 0.5 << std::vector<std::int64_t>{0, 3};
        QTest::newRow("no holdout") << QList<int>{5, 5} << 0.0 << std::vector<std::int64_t>{0, 0};
    }

    void splitProportions()
    {
        QFETCH(QList<int>, counts);
        QFETCH(double, fraction);
        QFETCH(std::vector<std::int64_t>, heldOut);
        const ImageDataset data = makeDataset(counts);
        const auto [kept, held] = data.stratifiedSplit(fraction, 3);
        std::vector<std::int64_t> keptExpected = data.classCounts();
        for (std::size_t c = 0; c < keptExpected.size(); ++c)
            keptExpected[c] -= heldOut[c];
        QCOMPARE(held.classCounts(), heldOut);
        QCOMPARE(kept.classCounts(), keptExpected);
        QCOMPARE(kept.classNames, data.classNames);
        QCOMPARE(held.classNames, data.classNames);
    }

    void splitIsDisjointOrderedAndCoversClasses()
    {
        const ImageDataset data = makeDataset({9, 4, 2, 17}, 3);
        const auto [kept, held] = data.stratifiedSplit(0.25, 42);
        verifyAligned(kept, data);
        verifyAligned(held, data);
        QCOMPARE(kept.channels, 3);
        QCOMPARE(kept.size() + held.size(), data.size());
        const QSet<QString> keptSet(kept.sourcePaths.begin(), kept.sourcePaths.end());
        const QSet<QString> heldSet(held.sourcePaths.begin(), held.sourcePaths.end());
        QVERIFY(!keptSet.intersects(heldSet));
        for (const ImageDataset *part : {&kept, &held}) {
            for (std::int64_t count : part->classCounts())
                QVERIFY(count >= 1);
            // The original order: the first pixel of each sample is its original index.
            for (std::int64_t i = 1; i < part->size(); ++i)
                QVERIFY(part->pixels[std::size_t((i - 1) * part->imageBytes())] < part->pixels[std::size_t(i * part->imageBytes())]);
        }
    }

    void splitIsDeterministicPerSeed()
    {
        const ImageDataset data = makeDataset({20, 20, 20});
        const auto a = data.stratifiedSplit(0.3, 7);
        const auto b = data.stratifiedSplit(0.3, 7);
        const auto c = data.stratifiedSplit(0.3, 8);
        QCOMPARE(a.second.sourcePaths, b.second.sourcePaths);
        QCOMPARE(a.first.pixels, b.first.pixels);
        QVERIFY(a.second.sourcePaths != c.second.sourcePaths);
    }

    void splitKeepsUnlabeledAsStratum()
    {
        ImageDataset data = makeDataset({10});
        for (std::uint8_t &label : data.labels)
            label = ImageDataset::kUnlabeled;
        const auto [kept, held] = data.stratifiedSplit(0.2, 1);
        QCOMPARE(held.size(), 2);
        QCOMPARE(kept.size(), 8);
    }

    void splitRejectsFraction_data()
    {
        QTest::addColumn<double>("fraction");
        QTest::newRow("negative") << -0.1;
        QTest::newRow("one") << 1.0;
        QTest::newRow("nan") << std::numeric_limits<double>::quiet_NaN();
    }

    void splitRejectsFraction()
    {
        QFETCH(double, fraction);
        try {
            makeDataset({4}).stratifiedSplit(fraction, 1);
            QFAIL("no error for a fraction outside [0, 1)");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(QStringLiteral("synthetic")), qPrintable(e.message()));
        }
    }
};

QTEST_GUILESS_MAIN(TestImageDataset)
#include "tst_imagedataset.moc"
