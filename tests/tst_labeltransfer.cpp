// Label files: what is written reads back the same in CSV and JSON, and broken files are refused
// with the file and the place named.
#include "Error.h"
#include "TestData.h"
#include "activelearning/LabelTransfer.h"

#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestLabelTransfer : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

    static std::vector<LabelRecord> sample()
    {
        LabelRecord a;
        a.sampleIndex = 12;
        a.sampleKey = QStringLiteral("Fashion-MNIST train/12");
        a.label = 3;
        a.annotator = QStringLiteral("Grace, Hopper"); // a comma to quote
        a.round = 2;
        a.createdAt = QDateTime(QDate(2026, 11, 27), QTime(8, 30, 1, 250), Qt::UTC);
        LabelRecord b = a;
        b.sampleIndex = 40;
        b.sampleKey = QStringLiteral("/data/cats/\"odd\" name.png");
        b.label = 0;
        b.annotator = QStringLiteral("simulated");
        b.round = 0;
        return {a, b};
    }

    void checkSame(const std::vector<LabelRecord> &read)
    {
        const std::vector<LabelRecord> written = sample();
        QCOMPARE(read.size(), written.size());
        for (std::size_t i = 0; i < read.size(); ++i) {
            QCOMPARE(read[i].sampleKey, written[i].sampleKey);
            QCOMPARE(read[i].sampleIndex, written[i].sampleIndex);
            QCOMPARE(read[i].label, written[i].label);
            QCOMPARE(read[i].annotator, written[i].annotator);
            QCOMPARE(read[i].round, written[i].round);
            QCOMPARE(read[i].createdAt, written[i].createdAt);
        }
    }

private Q_SLOTS:
    void roundTrip_data()
    {
        QTest::addColumn<QString>("format");
        QTest::newRow("csv") << QStringLiteral("csv");
        QTest::newRow("json") << QStringLiteral("json");
    }
    void roundTrip()
    {
        QFETCH(QString, format);
        const QString path = dir_.filePath(QStringLiteral("labels.") + format);
        const QMap<int, QString> names{{0, QStringLiteral("T-shirt/top")}, {3, QStringLiteral("Dress")}};
        test::writeBytes(path, LabelTransfer::write(sample(), names, format));
        checkSame(LabelTransfer::read(path));
    }

    void csvHasTheDocumentedColumns()
    {
        const QByteArray csv = LabelTransfer::write(sample(), {{3, QStringLiteral("Dress")}}, QStringLiteral("csv"));
        QVERIFY(csv.startsWith("sample_key,sample_index,label,class_name,annotator,created_at,round\n"));
        QVERIFY(csv.contains(",3,Dress,\"Grace, Hopper\",2026-11-27T08:30:01.250Z,2\n"));
    }

    void badFilesAreNamed_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("expected");
        QTest::newRow("malformed json") << QStringLiteral("a.json") << QByteArray("{\"format\": ") << QStringLiteral("malformed JSON");
        QTest::newRow("foreign json") << QStringLiteral("b.json") << QByteArray("{\"labels\": {}}") << QStringLiteral("not a label file");
        QTest::newRow("json label not a number") << QStringLiteral("c.json")
                                                 << QByteArray("{\"format\": \"green-workbench-labels\", \"labels\": [{\"sample_key\": \"k\", \"label\": \"x\"}]}")
                                                 << QStringLiteral("labels[0]");
        QTest::newRow("csv without label column") << QStringLiteral("d.csv") << QByteArray("sample_key\nk\n") << QStringLiteral("no column 'label'");
        QTest::newRow("csv bad label") << QStringLiteral("e.csv") << QByteArray("sample_key,label\nk,1\nk2,minus\n") << QStringLiteral("line 3");
        QTest::newRow("csv label out of range") << QStringLiteral("f.csv") << QByteArray("sample_key,label\nk,300\n") << QStringLiteral("between 0 and 254");
    }
    void badFilesAreNamed()
    {
        QFETCH(QString, name);
        QFETCH(QByteArray, content);
        QFETCH(QString, expected);
        const QString path = dir_.filePath(name);
        test::writeBytes(path, content);
        try {
            LabelTransfer::read(path);
            QFAIL("a broken label file was accepted");
        } catch (const Error &e) {
            QVERIFY2(e.message().contains(path), qPrintable(e.message()));
            QVERIFY2(e.message().contains(expected), qPrintable(e.message()));
        }
    }

    // Every stored label names who gave it: a file without annotators still says where its labels came from.
    void labelsWithoutAnnotatorNameTheirFile()
    {
        const QString csv = dir_.filePath(QStringLiteral("anonymous.csv"));
        test::writeBytes(csv, "sample_key,label\nFashion-MNIST train/3,1\n");
        const QString json = dir_.filePath(QStringLiteral("anonymous.json"));
        test::writeBytes(json, R"({"format": "green-workbench-labels", "version": 1, "labels": [{"sample_key": "Fashion-MNIST train/4", "label": 2}]})");
        for (const QString &path : {csv, json}) {
            const std::vector<LabelRecord> read = LabelTransfer::read(path);
            QCOMPARE(read.size(), std::size_t(1));
            QCOMPARE(read[0].annotator, QStringLiteral("unknown (imported from %1)").arg(QFileInfo(path).fileName()));
        }
    }
};

QTEST_GUILESS_MAIN(TestLabelTransfer)
#include "tst_labeltransfer.moc"
