// The labeling view on a real active-learning run (human oracle): key events assign, skip, undo,
// redo and submit, and every decision is checked in the store. With GW_SCREENSHOT_DIR set, the view
// is saved there as labeling-view.png.
#include "ConstantPowerSource.h"
#include "LabelingView.h"
#include "TestData.h"
#include "activelearning/InteractiveOracle.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "store/Database.h"
#include "store/LabelRepository.h"
#include "store/RoundRepository.h"

#include <QDialog>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTableWidget>
#include <QtTest>

using namespace gw;

class TestLabelingView : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void keysLabelAndTheStoreKeepsEveryDecision()
    {
        test::writeBandDataset(dir_.filePath(QStringLiteral("bands")), 200, 50);
        RunConfig c = RunConfig::defaultsFor(QStringLiteral("active-learning"));
        c.name = QStringLiteral("human");
        c.dataset.path = dir_.filePath(QStringLiteral("bands"));
        c.model.source = QStringLiteral("scratch");
        c.training.mode = QStringLiteral("linear-probe");
        c.training.threads = 1;
        c.activeLearning.enabled = true;
        c.activeLearning.oracle = QStringLiteral("human");
        c.activeLearning.initial = 6;
        c.activeLearning.batch = 6;
        c.activeLearning.budget = 30;
        const QString storePath = dir_.filePath(QStringLiteral("store.sqlite"));

        InteractiveOracle oracle(QStringLiteral("tester"));
        LabelingView view;
        view.resize(1000, 600);
        view.connectOracle(&oracle);
        view.show();
        auto *job = new RunJob(c, storePath);
        job->setPowerSource(std::make_unique<test::ConstantPowerSource>(20.0, 2.0));
        job->attach(InteractiveOracle::attachmentName(), &oracle);
        JobRunner runner(job);
        QSignalSpy shown(&view, &LabelingView::batchShown);
        QSignalSpy stored(&oracle, &InteractiveOracle::labelStored);
        QSignalSpy undone(&oracle, &InteractiveOracle::labelUndone);
        QSignalSpy skipped(&oracle, &InteractiveOracle::sampleSkipped);
        QSignalSpy finishedBatch(&oracle, &InteractiveOracle::batchFinished);
        QSignalSpy finished(job, &RunJob::finished);
        qint64 runId = 0;
        connect(job, &RunJob::runCreated, this, [&runId](qint64 id) { runId = id; });
        runner.start();
        QVERIFY(shown.wait(60000));
        QCOMPARE(view.grid()->items().size(), 6);
        // The batch's samples, kept: the view clears its grid once the batch is submitted.
        QList<qint64> samples;
        for (const LabelingItem &item : view.grid()->items())
            samples << item.sampleIndex;
        const auto sample = [&samples](int i) { return samples.at(i); };

        QTest::keyClick(&view, Qt::Key_3); // item 0 -> class 2; the selection moves on
        QTRY_COMPARE(stored.count(), 1);
        QCOMPARE(stored.at(0).at(0).toLongLong(), sample(0));
        QCOMPARE(stored.at(0).at(1).toInt(), 2);
        QCOMPARE(view.grid()->selected(), 1);
        QTest::keyClick(&view, Qt::Key_S); // item 1 skipped
        QTRY_COMPARE(skipped.count(), 1);
        QCOMPARE(view.grid()->selected(), 2);
        QTest::keyClick(&view, Qt::Key_0); // item 2 -> class 9
        QTRY_COMPARE(stored.count(), 2);
        QTest::keyClick(&view, Qt::Key_Z, Qt::ControlModifier); // undo item 2's label
        QTRY_COMPARE(undone.count(), 1);
        QCOMPARE(undone.at(0).at(0).toLongLong(), sample(2));
        QVERIFY(!view.grid()->items()[2].label.has_value());
        QTest::keyClick(&view, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier); // redo it
        QTRY_COMPARE(stored.count(), 3);
        QCOMPARE(view.grid()->items()[2].label.value_or(-1), 9);
        QTRY_VERIFY(view.grid()->items()[2].stored);
        view.grid()->select(3);
        QTest::keyClick(&view, Qt::Key_Right);
        QCOMPARE(view.grid()->selected(), 4);
        QTest::keyClick(&view, Qt::Key_Left);
        QTest::keyClick(&view, Qt::Key_1); // item 3 -> class 0
        QTest::keyClick(&view, Qt::Key_2); // item 4 -> class 1
        QTRY_COMPARE(stored.count(), 5);
        QVERIFY(view.progressText().contains(QStringLiteral("4 of 6 labelled, 1 skipped")));
        // Remapped keys: "q" gives class 5.
        LabelingShortcuts keys = view.shortcuts();
        keys.keys.insert(QStringLiteral("class-5"), QKeySequence(Qt::Key_Q));
        view.setShortcuts(keys);
        QTest::keyClick(&view, Qt::Key_Q); // item 5 -> class 5
        QTRY_COMPARE(stored.count(), 6);
        QCOMPARE(stored.at(5).at(1).toInt(), 5);

        if (const QString shots = qEnvironmentVariable("GW_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(view.grab().save(QDir(shots).filePath(QStringLiteral("labeling-view.png"))));

        QTest::keyClick(&view, Qt::Key_Return); // submit the batch
        QTRY_COMPARE(finishedBatch.count(), 1);

        // The store has every decision, the undone one marked and kept.
        {
            Database db(storePath);
            LabelRepository labels(db);
            const std::vector<LabelRecord> history = labels.history(runId);
            QCOMPARE(history.size(), std::size_t(6)); // 5 assignments + the redo, nothing deleted
            int undoneRows = 0;
            for (const LabelRecord &l : history) {
                undoneRows += l.undone;
                QCOMPARE(l.annotator, QStringLiteral("tester"));
                QCOMPARE(l.round, 0);
            }
            QCOMPARE(undoneRows, 1);
            const QMap<qint64, LabelRecord> current = labels.current(runId);
            QCOMPARE(current.size(), 5);
            QCOMPARE(current.value(sample(0)).label, 2);
            QVERIFY(!current.contains(sample(1)));
            QCOMPARE(current.value(sample(2)).label, 9);
            QCOMPARE(current.value(sample(3)).label, 0);
            QCOMPARE(current.value(sample(4)).label, 1);
            QCOMPARE(current.value(sample(5)).label, 5);
            int skippedRows = 0;
            for (const QueryRecord &q : RoundRepository(db).queries(runId))
                skippedRows += q.skipped;
            QCOMPARE(skippedRows, 1);
        }

        // The next round asks again, with the model's guesses; the person stops there.
        QVERIFY(shown.wait(60000));
        QCOMPARE(view.grid()->items().size(), 6);
        QVERIFY(view.grid()->items()[0].predicted >= 0);
        if (const QString shots = qEnvironmentVariable("GW_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(view.grab().save(QDir(shots).filePath(QStringLiteral("labeling-view-round1.png"))));
        runner.cancel();
        QVERIFY(finished.wait(30000));
        QCOMPARE(finished.at(0).at(0).value<RunSummary>().status, QStringLiteral("cancelled"));
    }

    void classNamesCanBeRenamed()
    {
        InteractiveOracle oracle(QStringLiteral("tester"));
        LabelingView view;
        QSignalSpy renamed(&view, &LabelingView::classRenamed);
        view.showBatch({QVariantMap{{QStringLiteral("sample_index"), 3}, {QStringLiteral("sample_key"), QStringLiteral("k3")}}},
                       QVariantMap{{QStringLiteral("class_names"), QStringList{QStringLiteral("cat"), QStringLiteral("dog")}},
                                   {QStringLiteral("budget"), 10}, {QStringLiteral("labels_so_far"), 4}, {QStringLiteral("round"), 2}});
        QVERIFY(view.progressText().contains(QStringLiteral("6 left of the budget of 10")));
        QCOMPARE(view.classButtons()->count(), 2);
        view.renameClass(1, QStringLiteral("  puppy "));
        QCOMPARE(renamed.count(), 1);
        QCOMPARE(renamed.at(0).at(1).toString(), QStringLiteral("puppy"));
        QCOMPARE(view.classNames().at(1), QStringLiteral("puppy"));
        QCOMPARE(view.classButtons()->button(1)->text(), QStringLiteral("2  puppy")); // the key, then the new name
        view.renameClass(1, QStringLiteral(" ")); // an empty name is no name
        QCOMPARE(renamed.count(), 1);
    }

    // A click on a class button labels the selected image; a double-click (or Z) shows it large,
    // and a class key pressed there labels it too.
    void classButtonsAndTheZoomLabelToo()
    {
        LabelingView view;
        view.resize(700, 600);
        view.show();
        QImage image(28, 28, QImage::Format_Grayscale8);
        image.fill(128);
        QVariantList items;
        for (int i = 0; i < 3; ++i)
            items << QVariantMap{{QStringLiteral("sample_index"), i}, {QStringLiteral("sample_key"), QStringLiteral("k%1").arg(i)},
                                 {QStringLiteral("image"), image}, {QStringLiteral("predicted"), 1}, {QStringLiteral("confidence"), 0.8}};
        QStringList names;
        for (int c = 0; c < 10; ++c)
            names << QStringLiteral("class name %1").arg(c);
        view.showBatch(items, QVariantMap{{QStringLiteral("class_names"), names}, {QStringLiteral("budget"), 10}, {QStringLiteral("round"), 1}});
        QSignalSpy assigned(&view, &LabelingView::assignRequested);
        // Every class in view: the buttons reflow into rows at this width.
        QTRY_VERIFY(view.classButtons()->columns() > 1);
        QVERIFY(view.classButtons()->columns() < 10);
        for (int c = 0; c < 10; ++c)
            QTRY_VERIFY(view.classButtons()->button(c)->isVisible());
        view.grid()->select(0);
        QTest::mouseClick(view.classButtons()->button(3), Qt::LeftButton);
        QCOMPARE(assigned.count(), 1);
        QCOMPARE(assigned.at(0).at(1).toInt(), 3);
        QCOMPARE(view.grid()->selected(), 1); // on to the next unlabelled image

        view.zoomSelected();
        QVERIFY(view.zoom());
        auto *picture = view.zoom()->findChild<QLabel *>(QStringLiteral("zoomedImage"));
        QVERIFY(picture && picture->pixmap().width() >= 4 * 28); // at least four times larger, pixels kept
        QTest::keyClick(view.zoom(), Qt::Key_5);
        QCOMPARE(assigned.count(), 2);
        QCOMPARE(assigned.at(1).at(0).toLongLong(), 1);
        QCOMPARE(assigned.at(1).at(1).toInt(), 4);
        QTRY_VERIFY(!view.zoom());
        QTest::keyClick(&view, Qt::Key_Z); // the key opens it, Escape closes it and labels nothing
        QVERIFY(view.zoom());
        QTest::keyClick(view.zoom(), Qt::Key_Escape);
        QTRY_VERIFY(!view.zoom());
        QCOMPARE(assigned.count(), 2);
    }

    // The key as pressed in the history, each round's accuracy beside the grid, and a clear end.
    void historyAccuracyAndTheEndReadAsAPersonExpects()
    {
        LabelingView view;
        view.showBatch({QVariantMap{{QStringLiteral("sample_index"), 3}, {QStringLiteral("sample_key"), QStringLiteral("k3")}}},
                       QVariantMap{{QStringLiteral("class_names"), QStringList{QStringLiteral("cat"), QStringLiteral("dog")}},
                                   {QStringLiteral("budget"), 10}, {QStringLiteral("labels_so_far"), 4}, {QStringLiteral("round"), 2}});
        view.grid()->select(0);
        view.assignSelected(0);
        auto *history = view.findChild<QTableWidget *>();
        QVERIFY(history && history->rowCount() == 1);
        QCOMPARE(history->item(0, 2)->text(), QStringLiteral("cat (key 1)"));
        view.setRoundAccuracy(2, 5, 0.713);
        QVERIFY2(view.progressText().contains(QStringLiteral("test accuracy 71.3 % after round 2 (5 labels)")), qPrintable(view.progressText()));
        view.runEnded(QStringLiteral("cancelled"));
        QVERIFY(view.grid()->items().isEmpty()); // no stale batch
        QVERIFY2(view.progressText().startsWith(QStringLiteral("The labeling run stopped (cancelled)")), qPrintable(view.progressText()));
        QVERIFY(view.progressText().contains(QStringLiteral("71.3 %"))); // what it reached stays
    }
};

QTEST_MAIN(TestLabelingView)
#include "tst_labelingview.moc"
