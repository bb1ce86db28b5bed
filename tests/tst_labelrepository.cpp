// Labels in the store: append-only, an undo marks and never deletes, the label in force is the
// latest one not undone, and a resumed run gets a copy of what was in force.
#include "store/Database.h"
#include "store/LabelRepository.h"
#include "store/RunRepository.h"

#include <QSqlQuery>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestLabelRepository : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

    static LabelRecord label(qint64 sample, int value, int round = 1)
    {
        LabelRecord r;
        r.sampleIndex = sample;
        r.sampleKey = QStringLiteral("train/%1").arg(sample);
        r.label = value;
        r.annotator = QStringLiteral("ada");
        r.round = round;
        return r;
    }

private Q_SLOTS:
    void undoMarksAndNeverDeletes()
    {
        Database db(dir_.filePath(QStringLiteral("a.sqlite")));
        RunRepository runs(db);
        const qint64 run = runs.createRun(runs.ensureProject(QStringLiteral("p")), QStringLiteral("r"), QStringLiteral("{}"), QStringLiteral("{}"));
        LabelRepository labels(db);
        labels.add(run, label(5, 1));
        labels.add(run, label(5, 2)); // a correction
        labels.add(run, label(7, 3));
        QCOMPARE(labels.current(run).value(5).label, 2);
        QVERIFY(labels.undoLatest(run, 5));
        QCOMPARE(labels.current(run).value(5).label, 1); // the earlier label is in force again
        QVERIFY(labels.undoLatest(run, 5));
        QVERIFY(!labels.current(run).contains(5));
        QVERIFY(!labels.undoLatest(run, 5)); // nothing left to undo
        const std::vector<LabelRecord> history = labels.history(run);
        QCOMPARE(history.size(), std::size_t(3)); // nothing deleted
        QVERIFY(history[0].undone && history[1].undone && !history[2].undone);
        QSqlQuery q(db.connection());
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM labels WHERE undone = 1 AND undone_at IS NOT NULL")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toInt(), 2);
        QCOMPARE(history[2].annotator, QStringLiteral("ada"));
        QVERIFY(history[2].createdAt.isValid());
    }

    void copyCurrentCarriesLabelsInForce()
    {
        Database db(dir_.filePath(QStringLiteral("b.sqlite")));
        RunRepository runs(db);
        const qint64 project = runs.ensureProject(QStringLiteral("p"));
        const qint64 first = runs.createRun(project, QStringLiteral("r"), QStringLiteral("{}"), QStringLiteral("{}"));
        const qint64 second = runs.createRun(project, QStringLiteral("r"), QStringLiteral("{}"), QStringLiteral("{}"));
        LabelRepository labels(db);
        labels.add(first, label(1, 4, 0));
        labels.add(first, label(2, 5, 1));
        labels.undoLatest(first, 2);
        labels.setClassName(first, 4, QStringLiteral("Coat"));
        labels.copyCurrent(first, second);
        const QMap<qint64, LabelRecord> copied = labels.current(second);
        QCOMPARE(copied.size(), 1);
        QCOMPARE(copied.value(1).label, 4);
        QCOMPARE(copied.value(1).origin, QStringLiteral("resumed"));
        QCOMPARE(copied.value(1).round, 0);
        QCOMPARE(labels.classNames(first).value(4), QStringLiteral("Coat"));
    }
};

QTEST_GUILESS_MAIN(TestLabelRepository)
#include "tst_labelrepository.moc"
