#include "LivePowerPlot.h"
#include "MainWindow.h"
#include "RunsTableModel.h"
#include "TestData.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

class TestMainWindow : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void showsRowsFromTheStore()
    {
        const QString db = dir_.filePath(QStringLiteral("rows.sqlite"));
        {
            Database store(db);
            RunRepository repo(store);
            const qint64 project = repo.ensureProject(QStringLiteral("default"));
            const qint64 a = repo.createRun(project, QStringLiteral("alpha"), QStringLiteral("{}"), QStringLiteral("{}"));
            repo.finishRun(a, QStringLiteral("completed"), 0.875, 1000, 12.5, QString(),
                           EnergyTotals{0.002, 0.95, QStringLiteral("estimated"), 475, QStringLiteral("world"), 1, 1, QStringLiteral("m")});
            repo.createRun(project, QStringLiteral("beta"), QStringLiteral("{}"), QStringLiteral("{}"));
        }
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *view = window.findChild<QTableView *>(QStringLiteral("runsView"));
        QVERIFY(view);
        QCOMPARE(view->model()->rowCount(), 2);
        const auto cell = [&](int row, int column) { return view->model()->index(row, column).data().toString(); };
        QCOMPARE(cell(0, RunsTableModel::Name), QStringLiteral("alpha"));
        QCOMPARE(cell(0, RunsTableModel::Accuracy), QStringLiteral("87.50 %"));
        QCOMPARE(cell(0, RunsTableModel::Energy), QStringLiteral("2.0000")); // Wh
        QCOMPARE(cell(0, RunsTableModel::Source), QStringLiteral("estimated"));
        QCOMPARE(cell(1, RunsTableModel::Status), QStringLiteral("running"));
        QCOMPARE(view->model()->headerData(RunsTableModel::Emissions, Qt::Horizontal).toString(), QStringLiteral("CO₂ (g)"));
    }

    void livePlotMovesAndCancelStopsTheRun()
    {
        const QString data = dir_.filePath(QStringLiteral("data"));
        test::writeBandDataset(data, 400, 50, 16, 16);
        MainWindow window(dir_.filePath(QStringLiteral("live.sqlite")));
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        RunConfig config;
        config.name = QStringLiteral("live");
        config.dataset.path = data;
        config.training.epochs = 1000;
        config.training.batchSize = 16;
        config.training.threads = 1;
        config.energy.sampleHz = 20;
        QSignalSpy finished(&window, &MainWindow::runFinished);
        QVERIFY(window.startRun(config));
        QVERIFY(!window.startRun(config)); // one run at a time
        QTRY_VERIFY_WITH_TIMEOUT(window.livePlot()->sampleCount() >= 3, 20000);
        QCOMPARE(window.runsModel()->rowCount(), 1); // the run appears as soon as it is created

        auto *cancel = window.findChild<QPushButton *>(QStringLiteral("cancelButton"));
        QVERIFY(cancel && cancel->isEnabled());
        QElapsedTimer clock;
        clock.start();
        QTest::mouseClick(cancel, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 1000);
        QVERIFY(clock.elapsed() < 1000);
        QCOMPARE(finished.at(0).at(0).value<RunSummary>().status, QStringLiteral("cancelled"));
        QVERIFY(!window.isRunActive());
        QCOMPARE(window.runsModel()->runAt(0).status, QStringLiteral("cancelled"));
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
