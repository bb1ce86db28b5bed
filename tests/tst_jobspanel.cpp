#include "JobsPanel.h"

#include <QLabel>
#include <QProgressBar>
#include <QPushButton>
#include <QtTest>

using namespace gw;

class TestJobsPanel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aRowPerJobWithProgressTimeLeftAndCancel()
    {
        JobsPanel panel;
        panel.resize(700, 400);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        const int first = panel.addJob(QStringLiteral("probe"), QStringLiteral("Starting"));
        const int second = panel.addJob(QStringLiteral("scratch"), QStringLiteral("Queued"));
        QCOMPARE(panel.jobCount(), 2);
        QCOMPARE(panel.activeJobCount(), 2);
        QVERIFY(first != second);

        panel.setProgress(first, 0.42, QStringLiteral("epoch 3 of 7"));
        panel.setTimeLeft(first, 200);
        QCOMPARE(panel.progressBar(first)->value(), 420);
        QCOMPARE(panel.stateLabel(first)->text(), QStringLiteral("epoch 3 of 7"));
        QCOMPARE(panel.timeLeftLabel(first)->text(), QStringLiteral("3 min 20 s left"));
        panel.setWaitingFor(first, QStringLiteral("you"));
        QCOMPARE(panel.timeLeftLabel(first)->text(), QStringLiteral("waiting for you")); // not "0 s left"
        panel.setTimeLeft(first, 200);
        QCOMPARE(panel.progressBar(second)->value(), 0);

        QSignalSpy cancelled(&panel, &JobsPanel::cancelRequested);
        // Shown and sized once the layout has run.
        QTRY_VERIFY(panel.cancelButton(second)->isVisible() && panel.cancelButton(second)->width() > 10);
        QTest::mouseClick(panel.cancelButton(second), Qt::LeftButton);
        QCOMPARE(cancelled.count(), 1);
        QCOMPARE(cancelled.at(0).at(0).toInt(), second);
        // Keyboard: the Cancel button takes focus with Tab and Space presses it.
        QVERIFY(panel.cancelButton(first)->focusPolicy() & Qt::TabFocus);
        panel.cancelButton(first)->setFocus();
        QTest::keyClick(panel.cancelButton(first), Qt::Key_Space);
        QCOMPARE(cancelled.count(), 2);
        QCOMPARE(cancelled.at(1).at(0).toInt(), first);
    }

    void finishedJobsStayUntilCleared()
    {
        JobsPanel panel;
        const int done = panel.addJob(QStringLiteral("a"), QStringLiteral("Starting"));
        const int going = panel.addJob(QStringLiteral("b"), QStringLiteral("Starting"));
        panel.setTimeLeft(done, 12);
        panel.setFinished(done, QStringLiteral("Run 1 completed"));
        QCOMPARE(panel.stateLabel(done)->text(), QStringLiteral("Run 1 completed"));
        QVERIFY(panel.timeLeftLabel(done)->text().isEmpty());
        QVERIFY(panel.cancelButton(done)->isHidden());
        QCOMPARE(panel.activeJobCount(), 1);
        panel.clearFinished();
        QCOMPARE(panel.jobCount(), 1);
        QVERIFY(!panel.progressBar(done));
        QVERIFY(panel.progressBar(going));
        // Calls for a job that is gone are ignored, not a crash.
        panel.setProgress(done, 0.5, QStringLiteral("x"));
        panel.setFinished(done, QStringLiteral("x"));
    }
};

QTEST_MAIN(TestJobsPanel)
#include "tst_jobspanel.moc"
