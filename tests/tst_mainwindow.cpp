#include "LivePowerPlot.h"
#include "MainWindow.h"
#include "JobsPanel.h"
#include "LabelingGrid.h"
#include "LabelingView.h"
#include "PlotTheme.h"
#include "QCustomPlotInclude.h"
#include "NewRunDialog.h"
#include "RunParameterForm.h"
#include "PowerSourcesPanel.h"
#include "RecentProjects.h"
#include "RunsTableModel.h"
#include "ParetoPlot.h"
#include "RunPage.h"
#include "RunPartsView.h"
#include "TestData.h"
#include "carbon/CarbonForecast.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QDateTimeEdit>
#include <QDir>
#include <QDockWidget>
#include <QDoubleSpinBox>
#include <QFileInfo>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QMenu>
#include <QPushButton>
#include <QSettings>
#include <QAbstractButton>
#include <QAbstractSpinBox>
#include <QMenuBar>
#include <QComboBox>
#include <QAbstractItemView>
#include <QProgressBar>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTableWidget>
#include <QTableView>
#include <QTemporaryDir>
#include <QtTest>

using namespace gw;

namespace {
/// The colour the plot paints its background with (QCustomPlot keeps its brush private).
QColor backgroundOf(QCustomPlot *plot)
{
    return plot->toPixmap(40, 40).toImage().pixelColor(1, 1);
}
} // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

    RunConfig tinyRun(const QString &name)
    {
        const QString data = dir_.filePath(QStringLiteral("tiny-data"));
        if (!QFile::exists(data))
            test::writeBandDataset(data, 64, 16, 8, 8);
        RunConfig config;
        config.name = name;
        config.dataset.path = data;
        config.training.epochs = 1;
        config.training.batchSize = 16;
        config.training.threads = 1;
        config.energy.sampleHz = 1;
        return config;
    }

    static double metric(const QString &db, qint64 runId, const QString &name)
    {
        Database store(db);
        for (const MetricPoint &m : RunRepository(store).metrics(runId))
            if (m.name == name)
                return m.value;
        return qQNaN();
    }

private Q_SLOTS:
    void initTestCase()
    {
        // QSettings then lives under ~/.qttest, never in the person's own settings.
        QStandardPaths::setTestModeEnabled(true);
        QSettings().clear();
    }

    void settingsPersistAndDriveTheLiveSamplingRate()
    {
        const QString db = dir_.filePath(QStringLiteral("settings.sqlite"));
        {
            MainWindow window(db);
            WorkbenchSettings settings;
            settings.country = QStringLiteral("FRA");
            settings.pue = 1.25;
            settings.liveSampleHz = 12;
            window.applySettings(settings);
        }
        MainWindow window(db); // a new window reads them back
        QCOMPARE(window.settings().country, QStringLiteral("FRA"));
        QCOMPARE(window.settings().pue, 1.25);
        QCOMPARE(window.settings().liveSampleHz, 12.0);

        QSignalSpy finished(&window, &MainWindow::runFinished);
        QVERIFY(window.startRun(tinyRun(QStringLiteral("sampled")))); // the config asks for 1 Hz
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 30000);
        const RunSummary summary = finished.at(0).at(0).value<RunSummary>();
        QCOMPARE(summary.status, QStringLiteral("completed"));
        Database store(db);
        const std::optional<RunRecord> record = RunRepository(store).run(summary.runId);
        QVERIFY(record && record->sampleHz);
        QCOMPARE(*record->sampleHz, 12.0); // the live view's rate won over the config's
    }

    void statusBarShowsTheGridAndTheLayoutPersists()
    {
        const QString db = dir_.filePath(QStringLiteral("layout.sqlite"));
        {
            MainWindow window(db);
            WorkbenchSettings settings;
            settings.country = QStringLiteral("FRA");
            window.applySettings(settings);
            auto *intensity = window.findChild<QLabel *>(QStringLiteral("intensityStatus"));
            QVERIFY(intensity);
            QVERIFY2(intensity->text().contains(QStringLiteral("56 g CO₂e/kWh")), qPrintable(intensity->text()));
            QVERIFY(intensity->toolTip().contains(QStringLiteral("France")));
            window.show();
            window.resize(1234, 777);
            window.compareSelectedRuns(); // shows the Compare dock
            QVERIFY(window.findChild<QDockWidget *>(QStringLiteral("compareDock"))->isVisible());
            window.close();
        }
        MainWindow again(db);
        again.show();
        QTRY_VERIFY(again.findChild<QDockWidget *>(QStringLiteral("compareDock"))->isVisible());
        QCOMPARE(again.size(), QSize(1234, 777));
        again.findChild<QDockWidget *>(QStringLiteral("compareDock"))->hide();
        again.close(); // leaves the layout as the other tests expect it
        QSettings().remove(QStringLiteral("window"));
    }

    void projectsAreFoldersAndRemembered()
    {
        const QString first = dir_.filePath(QStringLiteral("projects/first")), second = dir_.filePath(QStringLiteral("projects/second"));
        MainWindow window(dir_.filePath(QStringLiteral("start.sqlite")));
        QVERIFY(window.openProject(first));
        QCOMPARE(window.databasePath(), QDir(first).filePath(QStringLiteral("workbench.sqlite")));
        QVERIFY(QFileInfo::exists(window.databasePath())); // the store is created with the project
        QVERIFY(window.windowTitle().contains(QStringLiteral("first")));
        QVERIFY(window.openProject(second));
        QVERIFY(window.openProject(first));
        const QStringList recent = RecentProjects::load(QSettings());
        QCOMPARE(recent.size(), 2);
        QCOMPARE(recent.first(), QFileInfo(first).absoluteFilePath()); // newest first, once
        QDir(second).removeRecursively();
        QCOMPARE(RecentProjects::load(QSettings()), QStringList{QFileInfo(first).absoluteFilePath()}); // gone folders are left out
        QSettings().remove(QStringLiteral("projects"));
    }

    void hostileSettingsAreClamped()
    {
        QSettings raw;
        raw.setValue(QStringLiteral("energy/pue"), 0.0);
        raw.setValue(QStringLiteral("energy/sample_hz"), 500.0);
        raw.setValue(QStringLiteral("energy/live_sample_hz"), QStringLiteral("fast"));
        raw.setValue(QStringLiteral("energy/intensity"), QStringLiteral("guess"));
        const WorkbenchSettings settings = WorkbenchSettings::load(raw);
        QCOMPARE(settings.pue, 1.0);
        QCOMPARE(settings.sampleHz, 20.0);
        QCOMPARE(settings.liveSampleHz, 10.0);
        QCOMPARE(settings.intensity, QStringLiteral("table"));
        raw.clear();
    }

    void newRunDialogCarriesBudgetsAndTheGreenestStart()
    {
        RunConfig initial = RunConfig::defaultsFor(QStringLiteral("finetune"));
        initial.energy.budgetWh = 2.5;
        initial.model.source = QStringLiteral("bundled");
        initial.training.mode = QStringLiteral("linear-probe");
        initial.labels.count = 1000;
        NewRunDialog dialog(initial);
        // What the form does not show is kept, not reset to defaults.
        QCOMPARE(dialog.config().model.source, QStringLiteral("bundled"));
        QCOMPARE(dialog.config().training.mode, QStringLiteral("linear-probe"));
        QCOMPARE(dialog.config().labels.count, std::int64_t(1000));
        QCOMPARE(dialog.config().energy.budgetWh.value_or(-1), 2.5);
        QVERIFY(!dialog.config().energy.budgetG); // the minimum shows "none" and means no budget
        QVERIFY(!dialog.greenestStart());

        qobject_cast<QDoubleSpinBox *>(dialog.form()->editor(QStringLiteral("energy.budget_g")))->setValue(3);
        auto *greenest = dialog.findChild<QGroupBox *>(QStringLiteral("greenestStart"));
        greenest->setChecked(true);
        dialog.findChild<QLineEdit *>(QStringLiteral("forecastFile"))->setText(QStringLiteral("/tmp/forecast.csv"));
        const QDateTime deadline = QDateTime::currentDateTime().addSecs(3600);
        dialog.findChild<QDateTimeEdit *>(QStringLiteral("deadline"))->setDateTime(deadline);
        dialog.findChild<QSpinBox *>(QStringLiteral("expectedDuration"))->setValue(120);
        QCOMPARE(dialog.config().energy.budgetG.value_or(-1), 3.0);
        const std::optional<GreenestStartRequest> request = dialog.greenestStart();
        QVERIFY(request);
        QCOMPARE(request->forecastFile, QStringLiteral("/tmp/forecast.csv"));
        QCOMPARE(request->durationS, 120.0);
        QVERIFY(std::abs(request->deadlineUtc.secsTo(deadline.toUTC())) < 60); // the editor shows minutes
    }

    void scheduledRunWaitsForTheGreenestStartAndKeepsTheSaving()
    {
        // 2-second steps: dirty now, clean from the third step on, so the best start is a few
        // seconds away and the saving is known.
        // Started late in a step, the window's own "now" (a few ms on) could fall into the next
        // step and see less of the dirty one than the bounds below allow: start early in one.
        QDateTime now = QDateTime::currentDateTimeUtc();
        if (now.toMSecsSinceEpoch() % 2000 > 1000) {
            QTest::qWait(int(2000 - now.toMSecsSinceEpoch() % 2000) + 20);
            now = QDateTime::currentDateTimeUtc();
        }
        const QDateTime first = now.addMSecs(-(now.toMSecsSinceEpoch() % 2000));
        QString csv = QStringLiteral("datetime,intensity_g_per_kwh\n");
        for (int i = 0; i < 60; ++i)
            csv += QStringLiteral("%1,%2\n").arg(CarbonForecast::formatTime(first.addSecs(2 * i))).arg(i < 2 ? 400 : 100);
        const QString forecastPath = dir_.filePath(QStringLiteral("forecast.csv"));
        QFile file(forecastPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(csv.toUtf8());
        file.close();

        const QString db = dir_.filePath(QStringLiteral("greenest.sqlite"));
        MainWindow window(db);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        QVERIFY(window.scheduleRun(tinyRun(QStringLiteral("greenest")), GreenestStartRequest{forecastPath, now.addSecs(100), 10}));
        QVERIFY(window.isWaitingToStart());
        QVERIFY(!window.isRunActive());
        // Waiting counts as busy: another run queues behind it; cancelled there, it never runs.
        QVERIFY(window.startRun(tinyRun(QStringLiteral("other"))));
        QCOMPARE(window.queuedRunCount(), 1);
        QCOMPARE(window.jobsPanel()->activeJobCount(), 2);
        const int waitingJob = window.activeJobId();
        QVERIFY(window.jobsPanel()->stateLabel(waitingJob)->text().startsWith(QStringLiteral("Waiting for its greenest start at ")));
        QVERIFY(window.jobsPanel()->timeLeftLabel(waitingJob)->text().endsWith(QStringLiteral(" left")));
        window.cancelJob(waitingJob + 1);
        QCOMPARE(window.queuedRunCount(), 0);
        QCOMPARE(window.jobsPanel()->stateLabel(waitingJob + 1)->text(), QStringLiteral("Cancelled before it started"));
        QCOMPARE(window.runsModel()->rowCount(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, 30000);
        QVERIFY(!window.isWaitingToStart());
        const RunSummary summary = finished.at(0).at(0).value<RunSummary>();
        QCOMPARE(summary.status, QStringLiteral("completed"));
        // Started now, the 10 s run would see 400 g/kWh until the end of the second step (2 to 4 s)
        // and 100 after it: a mean of 160 to 220 g/kWh, against 100 at the best start.
        const double ifNow = metric(db, summary.runId, QStringLiteral("schedule_intensity_if_now_g_per_kwh"));
        QVERIFY2(ifNow >= 160 && ifNow <= 220, qPrintable(QString::number(ifNow)));
        QCOMPARE(metric(db, summary.runId, QStringLiteral("schedule_intensity_at_start_g_per_kwh")), 100.0);
        QCOMPARE(metric(db, summary.runId, QStringLiteral("schedule_saving_percent")), (ifNow - 100) / ifNow * 100);
        QVERIFY(metric(db, summary.runId, QStringLiteral("schedule_delay_s")) > 0);
    }

    void cancellingTheWaitStartsNothing()
    {
        const QString forecastPath = dir_.filePath(QStringLiteral("later.csv"));
        const QDateTime hour = QDateTime::currentDateTimeUtc().addSecs(-3600);
        QFile file(forecastPath);
        QVERIFY(file.open(QIODevice::WriteOnly));
        QString csv = QStringLiteral("datetime,intensity_g_per_kwh\n");
        for (int i = 0; i < 30; ++i)
            csv += QStringLiteral("%1,%2\n").arg(CarbonForecast::formatTime(hour.addSecs(3600 * i))).arg(i < 6 ? 500 : 50);
        file.write(csv.toUtf8());
        file.close();
        const QString db = dir_.filePath(QStringLiteral("cancelled-wait.sqlite"));
        MainWindow window(db);
        QVERIFY(window.scheduleRun(tinyRun(QStringLiteral("later")),
                                   GreenestStartRequest{forecastPath, QDateTime::currentDateTimeUtc().addSecs(20 * 3600), 600}));
        QVERIFY(window.isWaitingToStart());
        auto *cancel = window.findChild<QPushButton *>(QStringLiteral("cancelButton"));
        QVERIFY(cancel->isEnabled());
        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(!window.isWaitingToStart());
        QTest::qWait(1200); // a tick of the wait timer would start it if it were still armed
        QVERIFY(!window.isRunActive());
        Database store(db);
        QCOMPARE(RunRepository(store).listRuns().size(), 0);
    }

    void anUnplannableStartIsRefusedWithoutARun()
    {
        const QString db = dir_.filePath(QStringLiteral("refused.sqlite"));
        MainWindow window(db);
        // No forecast file, and no completed run to take the duration from: both are refused.
        QTimer::singleShot(0, [] {
            if (QWidget *box = QApplication::activeModalWidget())
                box->close();
        });
        QVERIFY(!window.scheduleRun(tinyRun(QStringLiteral("x")),
                                    GreenestStartRequest{dir_.filePath(QStringLiteral("missing.csv")), QDateTime::currentDateTimeUtc().addSecs(3600), 0}));
        QVERIFY(!window.isWaitingToStart());
    }

    void powerSourcesPanelSaysWhatIsMeasuredAndWhyNot()
    {
        PowerSourcesPanel panel([] {
            return std::vector<PowerSourceStatus>{
                {QStringLiteral("NVIDIA NVML"), true, QStringLiteral("measured"), QStringLiteral("gpu"), QStringLiteral("1 GPU")},
                {QStringLiteral("CPU time model"), true, QStringLiteral("estimated"), QStringLiteral("cpu, ram"), QStringLiteral("TDP x load")},
                {QStringLiteral("Intel RAPL"), false, QStringLiteral("measured"), QString(), QStringLiteral("permission denied: run sudo chmod")},
            };
        });
        QTableWidget *table = panel.table();
        QCOMPARE(table->rowCount(), 3);
        QCOMPARE(table->item(0, 2)->text(), QStringLiteral("measured"));
        QCOMPARE(table->item(1, 2)->text(), QStringLiteral("estimated"));
        QCOMPARE(table->item(2, 1)->text(), QStringLiteral("no"));
        QCOMPARE(table->item(2, 2)->text(), QStringLiteral("(measured if used)"));
        QVERIFY(table->item(2, 4)->text().contains(QStringLiteral("permission denied")));
        auto *summary = panel.findChild<QLabel *>(QStringLiteral("powerSourcesSummary"));
        QVERIFY(summary->text().contains(QStringLiteral("Measured by hardware counters: NVIDIA NVML (gpu)")));
        QVERIFY(summary->text().contains(QStringLiteral("Estimated by a model: CPU time model (cpu, ram)")));
    }

    void showsRowsFromTheStore()
    {
        const QString db = dir_.filePath(QStringLiteral("rows.sqlite"));
        {
            Database store(db);
            RunRepository repo(store);
            const qint64 project = repo.ensureProject(QStringLiteral("default"));
            const qint64 a = repo.createRun(project, QStringLiteral("alpha"), QStringLiteral("{}"), QStringLiteral("{}"));
            EnergyTotals totals;
            totals.energyKwh = 0.002;
            totals.emissionsG = 0.95;
            totals.energySource = QStringLiteral("estimated");
            totals.intensityGPerKwh = 475;
            totals.intensityOrigin = QStringLiteral("world");
            totals.powerModel = QStringLiteral("m");
            repo.finishRun(a, QStringLiteral("completed"), 0.875, 1000, 12.5, QString(), totals);
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
        QCOMPARE(view->model()->headerData(RunsTableModel::Emissions, Qt::Horizontal).toString(), QStringLiteral("CO₂e (g)"));
    }

    // An active-learning run's context menu offers a fine-tuning run on the labels it gathered: the
    // New run dialog opens with its data, backbone and seed, and labels.run_id set to it.
    void anActiveLearningRunOffersFineTuningOnItsLabels()
    {
        const QString db = dir_.filePath(QStringLiteral("gathered.sqlite"));
        qint64 gathered = 0;
        {
            Database store(db);
            RunRepository repo(store);
            const qint64 project = repo.ensureProject(QStringLiteral("default"));
            repo.createRun(project, QStringLiteral("scratch"), QString::fromStdString(RunConfig::defaultsFor(QStringLiteral("train")).toJsonText()),
                           QStringLiteral("{}"));
            RunConfig al = RunConfig::defaultsFor(QStringLiteral("active-learning"));
            al.name = QStringLiteral("labelled by hand");
            al.seed = 7;
            al.dataset.trainSubset = 3000;
            al.energy.country = QStringLiteral("SWE");
            gathered = repo.createRun(project, al.name, QString::fromStdString(al.toJsonText()), QStringLiteral("{}"));
        }
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        const auto offer = [](QMenu *menu) -> QAction * {
            for (QAction *action : menu->actions())
                if (action->text().startsWith(QStringLiteral("Fine-tune on its")))
                    return action;
            return nullptr;
        };
        int alRow = -1;
        for (int row = 0; row < window.runsModel()->rowCount(); ++row) {
            const std::unique_ptr<QMenu> menu(window.runContextMenu(row));
            if (window.runsModel()->runAt(row).id == gathered) {
                alRow = row;
                QVERIFY(offer(menu.get()));
            } else {
                QVERIFY(!offer(menu.get())); // only an active-learning run has labels to give
            }
        }
        QVERIFY(alRow >= 0);
        std::optional<RunConfig> shown;
        bool originInView = false;
        QTimer::singleShot(100, &window, [&] { // after the dialog brought labels.run_id into view
            if (auto *dialog = qobject_cast<NewRunDialog *>(QApplication::activeModalWidget())) {
                shown = dialog->config();
                originInView = dialog->form()->editor(QStringLiteral("labels.run_id"))->hasFocus();
                if (const QString shots = qEnvironmentVariable("GW_TEST_SCREENSHOT_DIR"); !shots.isEmpty())
                    dialog->grab().save(QDir(shots).filePath(QStringLiteral("fine-tune-on-its-labels.png")));
                dialog->reject();
            }
        });
        const std::unique_ptr<QMenu> menu(window.runContextMenu(alRow));
        offer(menu.get())->trigger();
        QVERIFY(shown);
        QVERIFY(originInView);
        QCOMPARE(shown->kind, QStringLiteral("finetune"));
        QCOMPARE(shown->labels.runId, gathered);
        QCOMPARE(shown->labels.count, std::int64_t(0));
        QCOMPARE(shown->seed, std::uint64_t(7));
        QCOMPARE(shown->dataset.trainSubset, std::int64_t(3000));
        QCOMPARE(shown->energy.country, QStringLiteral("SWE"));
        QCOMPARE(shown->model.source, QStringLiteral("bundled"));
    }

    void aStoredPretrainingRunReopensWithEveryParameter_data()
    {
        QTest::addColumn<QString>("params");
        // As the pretrain command stored it before run kinds: a mode the training section lacks, no temperature.
        QTest::newRow("early store") << R"({"name": "pretrain-gw-mobilenet", "seed": 3, "dataset": {"kind": "fashion-mnist", "path": null, "train_subset": 512},
            "model": {"source": "scratch"}, "training": {"mode": "pretrain", "epochs": 4, "batch_size": 64, "lr": 0.004, "optimizer": "adam"},
            "active_learning": null, "energy": {"country": "SWE"}})";
        QTest::newRow("run kinds") << QString::fromStdString(RunConfig::fromJsonText(
            R"({"kind": "pretrain", "name": "pretrain-gw-mobilenet", "seed": 3, "dataset": {"train_subset": 512},
                "training": {"epochs": 4, "batch_size": 64, "lr": 0.004}, "pretrain": {"temperature": 0.35, "projection_dim": 32},
                "energy": {"country": "SWE"}})", QStringLiteral("t")).toJsonText());
    }

    void aStoredPretrainingRunReopensWithEveryParameter()
    {
        QFETCH(QString, params);
        const QString db = dir_.filePath(QStringLiteral("pretrain-%1.sqlite").arg(QTest::currentDataTag()).replace(QLatin1Char(' '), QLatin1Char('-')));
        {
            Database store(db);
            RunRepository repo(store);
            repo.createRun(repo.ensureProject(QStringLiteral("default")), QStringLiteral("pretrain-gw-mobilenet"), params, QStringLiteral("{}"));
        }
        MainWindow window(db);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        auto *view = window.findChild<QTableView *>(QStringLiteral("runsView"));
        view->selectRow(0);
        std::optional<RunConfig> shown;
        QString kindShown;
        QTimer::singleShot(0, &window, [&] {
            if (auto *dialog = qobject_cast<NewRunDialog *>(QApplication::activeModalWidget())) {
                shown = dialog->config();
                kindShown = dialog->form()->kindChooser()->currentText();
                dialog->reject();
            }
        });
        window.showNewRunFromSelected();
        QVERIFY(shown);
        QCOMPARE(shown->kind, QStringLiteral("pretrain"));
        QCOMPARE(kindShown, QStringLiteral("Pretrain the backbone without labels"));
        QCOMPARE(shown->seed, std::uint64_t(3));
        QCOMPARE(shown->dataset.trainSubset, std::int64_t(512));
        QCOMPARE(shown->training.epochs, 4);
        QCOMPARE(shown->training.batchSize, 64);
        QCOMPARE(shown->training.learningRate, 0.004);
        QCOMPARE(shown->energy.country, QStringLiteral("SWE"));
        const bool early = QTest::currentDataTag() == QByteArray("early store");
        QCOMPARE(shown->pretrain.temperature, early ? 0.2 : 0.35); // the early store kept none: the recipe's default then
        QCOMPARE(shown->pretrain.projectionDim, early ? 64 : 32);
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
        const int running = window.activeJobId();
        QVERIFY(window.startRun(config)); // one run at a time: the second is queued behind
        QCOMPARE(window.queuedRunCount(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(window.livePlot()->sampleCount() >= 3, 20000);
        QCOMPARE(window.runsModel()->rowCount(), 1); // the run appears as soon as it is created
        QVERIFY(window.jobsPanel()->progressBar(running));
        QTRY_VERIFY_WITH_TIMEOUT(window.jobsPanel()->timeLeftLabel(running)->text().endsWith(QStringLiteral(" left")), 5000);
        // The queued job's own Cancel button takes it out of the queue.
        QPushButton *cancelQueued = window.jobsPanel()->cancelButton(running + 1);
        QVERIFY(cancelQueued);
        QTest::mouseClick(cancelQueued, Qt::LeftButton);
        QCOMPARE(window.queuedRunCount(), 0);

        auto *cancel = window.findChild<QPushButton *>(QStringLiteral("cancelButton"));
        QVERIFY(cancel && cancel->isEnabled());
        QElapsedTimer clock;
        clock.start();
        QTest::mouseClick(cancel, Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 1, test::scaledMs(1000));
        QVERIFY(clock.elapsed() < test::scaledMs(1000));
        QCOMPARE(finished.at(0).at(0).value<RunSummary>().status, QStringLiteral("cancelled"));
        QVERIFY(!window.isRunActive());
        QCOMPARE(window.runsModel()->runAt(0).status, QStringLiteral("cancelled"));
        QTest::qWait(300);
        QVERIFY(!window.isRunActive()); // nothing was left in the queue to start
        QVERIFY(window.jobsPanel()->stateLabel(running)->text().contains(QStringLiteral("cancelled")));
    }

    void appearanceSwitchesWindowAndPlots()
    {
        MainWindow window(dir_.filePath(QStringLiteral("appearance.sqlite")));
        const QPalette desktop = QApplication::palette();
        WorkbenchSettings settings = window.settings();
        settings.appearance = QStringLiteral("dark");
        window.applySettings(settings);
        QVERIFY(isDark(QApplication::palette()));
        auto *plot = window.livePlot()->findChild<QCustomPlot *>();
        QVERIFY(plot);
        QTRY_COMPARE(backgroundOf(plot), darkPalette().color(QPalette::Base));
        settings.appearance = QStringLiteral("system");
        window.applySettings(settings);
        QCOMPARE(QApplication::palette().color(QPalette::Window), desktop.color(QPalette::Window));
        QTRY_COMPARE(backgroundOf(plot), desktop.color(QPalette::Base));
        QCOMPARE(WorkbenchSettings::load(QSettings()).appearance, QStringLiteral("system"));
    }

    // A first start: the welcome panel instead of an empty table, its first button starts the
    // embedded default run, and the New run dialog starts from that run's config.
    void theWelcomePanelStartsTheDefaultRun()
    {
        MainWindow window(dir_.filePath(QStringLiteral("welcome.sqlite")));
        window.show();
        auto *welcome = window.findChild<QWidget *>(QStringLiteral("welcomePanel"));
        QVERIFY(welcome && welcome->isVisible());
        QVERIFY(!window.findChild<QTableView *>(QStringLiteral("runsView"))->isVisible());
        QVERIFY(!window.menuBar()->findChildren<QMenu *>().isEmpty());
        bool hasHelp = false;
        for (QAction *menu : window.menuBar()->actions())
            hasHelp = hasHelp || menu->text() == QStringLiteral("&Help");
        QVERIFY(hasHelp);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        QTest::mouseClick(window.findChild<QPushButton *>(QStringLiteral("runDefaultButton")), Qt::LeftButton);
        QVERIFY(window.isRunActive());
        QVERIFY(window.findChild<QTableView *>(QStringLiteral("runsView"))->isVisible()); // the run's table and live view take over
        QTRY_COMPARE_WITH_TIMEOUT(window.runsModel()->rowCount(), 1, 10000);
        QCOMPARE(window.runsModel()->runAt(0).name, QStringLiteral("fashion-green"));
        window.cancelRun();
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        QVERIFY(!welcome->isVisible()); // a store with a run shows its table
    }

    // At the window's default size the labeling dock shows at least two full rows of images.
    void theLabelingGridShowsTwoFullRowsAtTheDefaultSize()
    {
        MainWindow window(dir_.filePath(QStringLiteral("labeling-size.sqlite")));
        window.resize(1100, 720);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        QVariantList items;
        for (int i = 0; i < 20; ++i) {
            QImage image(28, 28, QImage::Format_Grayscale8);
            image.fill(i * 10);
            items.append(QVariantMap{{QStringLiteral("sample_index"), i}, {QStringLiteral("sample_key"), QStringLiteral("#%1").arg(i)},
                                     {QStringLiteral("image"), image}, {QStringLiteral("predicted"), i % 10}, {QStringLiteral("confidence"), 0.5}});
        }
        QStringList classes;
        for (int c = 0; c < 10; ++c)
            classes << QStringLiteral("class %1").arg(c);
        window.labelingView()->showBatch(items, {{QStringLiteral("class_names"), classes}, {QStringLiteral("labels_so_far"), 20},
                                                 {QStringLiteral("budget"), 200}, {QStringLiteral("round"), 1}});
        QTest::qWait(200); // the dock opens and takes its width
        // The window fits the screen it was sized for, however long the lines it shows.
        QVERIFY2(window.minimumSizeHint().width() <= 1100, qPrintable(QString::number(window.minimumSizeHint().width())));
        LabelingGrid *grid = window.labelingView()->grid();
        QVERIFY(grid->isVisible());
        auto *viewport = grid->parentWidget();
        const int fullRows = (viewport->height() - LabelingGrid::kGap) / (LabelingGrid::kCellHeight + LabelingGrid::kGap);
        if (const QString shots = qEnvironmentVariable("GW_TEST_SCREENSHOT_DIR"); !shots.isEmpty())
            window.grab().save(QDir(shots).filePath(QStringLiteral("labeling-default-size.png")));
        QVERIFY2(fullRows >= 2, qPrintable(QStringLiteral("%1 full rows in a %2 px high grid (%3 columns)").arg(fullRows).arg(viewport->height()).arg(grid->columns())));
        for (int c = 0; c < 10; ++c) // every class button in view
            QVERIFY(window.labelingView()->classButtons()->button(c)->isVisible());
        // The labeling view can take the window's centre, and go back to its dock.
        const int dockColumns = grid->columns();
        window.setLabelingInCentre(true);
        QTRY_VERIFY(window.labelingInCentre() && grid->isVisible());
        QVERIFY(!window.findChild<QDockWidget *>(QStringLiteral("labelingDock"))->isVisible());
        QTRY_VERIFY(grid->columns() >= dockColumns);
        window.setLabelingInCentre(false);
        QTRY_VERIFY(!window.labelingInCentre() && grid->isVisible());
        QVERIFY(window.findChild<QDockWidget *>(QStringLiteral("labelingDock"))->isVisible());
    }

    // A past run opens with Enter (or a double-click): its trace replayed from the store, its curves,
    // its energy per phase, its config and the models it kept.
    void aStoredRunOpensOnItsPage()
    {
        const QString db = dir_.filePath(QStringLiteral("runpage.sqlite"));
        MainWindow window(db);
        window.resize(1400, 900);
        window.show();
        QSignalSpy finished(&window, &MainWindow::runFinished);
        RunConfig config = tinyRun(QStringLiteral("paged"));
        config.training.epochs = 3;
        config.energy.sampleHz = 20;
        QVERIFY(window.startRun(config));
        QVERIFY(window.livePage()->isLive()); // the run panel follows it on the same page
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 60000);
        const RunSummary s = finished.at(0).at(0).value<RunSummary>();
        QCOMPARE(s.status, QStringLiteral("completed"));
        // The live view became the run's stored page, phases included.
        QVERIFY(!window.livePage()->isLive());
        QCOMPARE(window.livePage()->runId(), s.runId);
        QVERIFY(window.livePage()->phaseTable()->rowCount() >= 2);
        QVERIFY2(window.minimumSizeHint().width() <= 1100, qPrintable(QString::number(window.minimumSizeHint().width()))); // long lines wrap
        // The status bar keeps the intensity this run was computed with, and says whose it is.
        const QString grid = window.findChild<QLabel *>(QStringLiteral("intensityStatus"))->text();
        QVERIFY2(grid.contains(QStringLiteral("run %1").arg(s.runId)) && grid.contains(QString::number(s.intensityGPerKwh, 'f', 0)), qPrintable(grid));

        auto *runs = window.findChild<QTableView *>(QStringLiteral("runsView"));
        runs->setFocus();
        runs->setCurrentIndex(window.runsModel()->index(0, 0));
        QTest::keyClick(runs, Qt::Key_Return);
        RunPage *page = window.runPage();
        QTRY_VERIFY(page->isVisible());
        QCOMPARE(page->runId(), s.runId);
        QVERIFY(page->summaryText().contains(QStringLiteral("paged")));
        const Database store(db);
        QCOMPARE(qsizetype(page->powerPlot()->sampleCount()), qsizetype(RunRepository(store).powerSamples(s.runId).size()));
        QVERIFY(page->powerPlot()->sampleCount() > 0);
        bool testCurve = false;
        for (int g = 0; g < page->curvesPlot()->graphCount(); ++g)
            testCurve = testCurve || (page->curvesPlot()->graph(g)->name() == QStringLiteral("test accuracy") && page->curvesPlot()->graph(g)->dataCount() == 3);
        QVERIFY(testCurve); // one point per epoch
        QVERIFY(page->phaseTable()->rowCount() >= 2);   // data, train, eval, ...
        QTRY_VERIFY(page->width() >= window.width() / 3); // room for its plots
        QVERIFY2(page->modelCardText().contains(QStringLiteral("paged")), qPrintable(page->modelCardText().left(300)));
        QVERIFY(!page->modelCardText().startsWith(QStringLiteral("---"))); // the Hub's front matter is not for reading
        // The run alone as a report, from its page.
        const QString report = dir_.filePath(QStringLiteral("run-report.html"));
        QString error;
        QVERIFY2(window.writeRunReport(s.runId, report, &error), qPrintable(error));
        QFile written(report);
        QVERIFY(written.open(QIODevice::ReadOnly));
        const QString html = QString::fromUtf8(written.readAll());
        QVERIFY(html.contains(QStringLiteral("paged")) && html.contains(QStringLiteral("Model card")));
        QVERIFY(!window.writeRunReport(s.runId + 1000, dir_.filePath(QStringLiteral("none.html")), &error));
        QVERIFY2(error.contains(QStringLiteral("is not in")), qPrintable(error));
        if (const QString shots = qEnvironmentVariable("GW_TEST_SCREENSHOT_DIR"); !shots.isEmpty())
            window.grab().save(QDir(shots).filePath(QStringLiteral("run-page.png")));
        // The filter finds it by name, kind or status, and hides it for words it does not hold.
        window.runsFilter()->setText(QStringLiteral("paged train"));
        QVERIFY(!runs->isRowHidden(0));
        window.runsFilter()->setText(QStringLiteral("nothing-like-it"));
        QVERIFY(runs->isRowHidden(0));
        window.runsFilter()->clear();
        // "New run from this" fills the New run dialog with the run's config (the dialog is closed at once).
        QTimer::singleShot(0, this, [] {
            if (auto *dialog = qobject_cast<QDialog *>(QApplication::activeModalWidget()))
                dialog->reject();
        });
        QTest::mouseClick(page->findChild<QPushButton *>(QStringLiteral("newRunFromThis")), Qt::LeftButton);
        // Deleted (without the confirmation, which a person answers), with its cache files.
        const QString checkpoint = Database::cacheDirectoryOf(db) + QStringLiteral("/artifacts/run-%1").arg(s.runId);
        QVERIFY(QFileInfo::exists(checkpoint));
        QVERIFY(window.deleteRun(0, false));
        QCOMPARE(window.runsModel()->rowCount(), 0);
        QVERIFY(!QFileInfo::exists(checkpoint));
        QVERIFY(!page->isVisible());
    }

    // A run with parts (a compress run's variants) opens on them: a table of their figures and a
    // plot of accuracy against energy per 1,000 inferences.
    void aRunsVariantsShowOnItsPage()
    {
        RunReport report;
        report.runId = 7;
        report.name = QStringLiteral("squeeze");
        report.parts = {{QStringLiteral("variant input"), {{QStringLiteral("accuracy"), 0.9}, {QStringLiteral("energy_per_1k_inferences_j"), 2.0}}},
                        {QStringLiteral("variant 1-prune"), {{QStringLiteral("accuracy"), 0.88}, {QStringLiteral("energy_per_1k_inferences_j"), 1.0},
                                                             {QStringLiteral("latency_ms_batch1"), 0.3}}},
                        {QStringLiteral("variant 2-quantize"), {{QStringLiteral("accuracy"), 0.85}, {QStringLiteral("energy_per_1k_inferences_j"), 1.5}}}};
        // The run's table of variants (an artifact) says what each one is.
        test::writeBytes(dir_.filePath(QStringLiteral("variants.json")),
                         R"([{"name": "input", "description": "the input model"}, {"name": "2-quantize", "description": "int8: calibrated"}])");
        ArtifactRecord table;
        table.role = QStringLiteral("variants");
        table.format = QStringLiteral("json");
        table.path = QStringLiteral("variants.json");
        RunPage page;
        page.setRun(report, {table}, dir_.path());
        QCOMPARE(page.tabs()->currentWidget(), page.partsView());
        QCOMPARE(page.tabs()->tabText(page.tabs()->currentIndex()), QStringLiteral("Variants"));
        // A run with variants needs no more height than one without: the window keeps its default size.
        RunPage plain;
        plain.setRun(RunReport(), {}, dir_.path());
        QVERIFY2(page.minimumSizeHint().height() <= plain.minimumSizeHint().height(),
                 qPrintable(QStringLiteral("%1 > %2").arg(page.minimumSizeHint().height()).arg(plain.minimumSizeHint().height())));
        QTableWidget *parts = page.partsView()->table();
        QCOMPARE(parts->rowCount(), 3);
        QCOMPARE(parts->verticalHeaderItem(0)->text(), QStringLiteral("variant input")); // in the order the run reported them
        QCOMPARE(parts->horizontalHeaderItem(0)->text(), QStringLiteral("test accuracy"));
        QCOMPARE(parts->item(2, 2)->text(), QStringLiteral("–")); // a figure one part lacks
        QCOMPARE(parts->horizontalHeaderItem(3)->text(), QStringLiteral("What it is"));
        QCOMPARE(parts->item(2, 3)->text(), QStringLiteral("int8: calibrated"));
        QCOMPARE(parts->item(1, 3)->text(), QString()); // a variant the table does not describe
        const std::vector<bool> &frontier = page.partsView()->plot()->frontier();
        QCOMPARE(frontier, (std::vector<bool>{true, true, false})); // the int8 one is dominated by the pruned one
        // A run without parts has no such tab.
        page.setRun(RunReport(), {}, dir_.path());
        QCOMPARE(page.tabs()->indexOf(page.partsView()), -1);
    }

    void theLivePageDrawsEachFinishedStep()
    {
        RunPage page;
        QJsonObject config{{QStringLiteral("kind"), QStringLiteral("finetune")}};
        page.beginLive(QStringLiteral("live"), config);
        QVERIFY(page.isLive());
        QCOMPARE(page.curvesPlot()->graphCount(), 0);
        const auto epoch = [](int step, double testAccuracy) {
            return QVariantMap{{QStringLiteral("noun"), QStringLiteral("epoch")}, {QStringLiteral("step"), step},
                               {QStringLiteral("steps"), 5}, {QStringLiteral("scope"), QString()},
                               {QStringLiteral("names"), QVariantList{QStringLiteral("train_loss"), QStringLiteral("test_accuracy"), QStringLiteral("epoch_duration_s")}},
                               {QStringLiteral("train_loss"), 0.5}, {QStringLiteral("test_accuracy"), testAccuracy}, {QStringLiteral("epoch_duration_s"), 3.0}};
        };
        page.addLiveStep(epoch(1, 0.7));
        page.addLiveStep(epoch(2, 0.8));
        QVariantMap client = epoch(3, 0.1);
        client.insert(QStringLiteral("scope"), QStringLiteral("client 4")); // a part's figures are not the run's curve
        page.addLiveStep(client);
        QCPGraph *test = nullptr;
        for (int g = 0; g < page.curvesPlot()->graphCount(); ++g)
            if (page.curvesPlot()->graph(g)->name() == QStringLiteral("test accuracy"))
                test = page.curvesPlot()->graph(g);
        QVERIFY(test);
        QCOMPARE(test->dataCount(), 2);
        QCOMPARE(test->data()->at(1)->key, 2.0);
        QCOMPARE(test->data()->at(1)->value, 0.8);
        QCOMPARE(page.curvesPlot()->graphCount(), 2); // the duration is no curve
        // An active-learning round is drawn against its labels, as the stored run is.
        page.beginLive(QStringLiteral("labeling"), config);
        page.addLiveStep(QVariantMap{{QStringLiteral("noun"), QStringLiteral("round")}, {QStringLiteral("step"), 2},
                                     {QStringLiteral("names"), QVariantList{QStringLiteral("labels"), QStringLiteral("test_accuracy")}},
                                     {QStringLiteral("labels"), 120.0}, {QStringLiteral("test_accuracy"), 0.6}});
        QCOMPARE(page.curvesPlot()->graphCount(), 1);
        QCOMPARE(page.curvesPlot()->graph(0)->name(), QStringLiteral("al test accuracy"));
        QCOMPARE(page.curvesPlot()->graph(0)->data()->at(0)->key, 120.0);
        PowerSample sample;
        sample.elapsedS = 1;
        sample.intervalS = 1;
        sample.energyJ = 36;
        sample.source = QStringLiteral("estimated");
        page.addLiveSample(sample);
        QCOMPARE(page.powerPlot()->sampleCount(), 1);
        page.setLiveRunId(42);
        QVERIFY(page.summaryText().contains(QStringLiteral("Run 42")));
        QVERIFY(page.summaryText().contains(QStringLiteral("0.0100 Wh")));
    }

    // A federated run live: accuracy per round on the left axis, the clients' modelled CO2e and this
    // machine's own on the right (apart), and each client's running figures in a Clients tab.
    void theLivePageFollowsAFederatedRunAndItsClients()
    {
        RunPage page;
        page.beginLive(QStringLiteral("federation"), QJsonObject{{QStringLiteral("kind"), QStringLiteral("federated")},
                                                                 {QStringLiteral("federated"), QJsonObject{{QStringLiteral("clients"), 3}}}});
        QCOMPARE(page.curvesPlot()->xAxis->label(), QStringLiteral("round"));
        const auto round = [](int step, double accuracy, double modelled, double machine) {
            return QVariantMap{{QStringLiteral("noun"), QStringLiteral("round")}, {QStringLiteral("step"), step}, {QStringLiteral("scope"), QString()},
                               {QStringLiteral("names"), QVariantList{QStringLiteral("test_accuracy"), QStringLiteral("modelled_co2e_g"), QStringLiteral("machine_co2e_g")}},
                               {QStringLiteral("test_accuracy"), accuracy}, {QStringLiteral("modelled_co2e_g"), modelled}, {QStringLiteral("machine_co2e_g"), machine}};
        };
        const auto client = [](int c, int step, double co2e) {
            return QVariantMap{{QStringLiteral("noun"), QStringLiteral("round")}, {QStringLiteral("step"), step},
                               {QStringLiteral("scope"), QStringLiteral("client %1").arg(c)}, {QStringLiteral("detail"), true},
                               {QStringLiteral("names"), QVariantList{QStringLiteral("modelled_co2e_g"), QStringLiteral("selected")}},
                               {QStringLiteral("modelled_co2e_g"), co2e}, {QStringLiteral("selected"), double(step)}};
        };
        PowerSample sample;
        sample.elapsedS = 1;
        sample.intervalS = 1;
        sample.source = QStringLiteral("estimated");
        page.addLiveSample(sample);
        page.addLiveStep(round(1, 0.5, 2.0, 0.01));
        page.addLiveStep(client(0, 1, 1.0));
        page.addLiveStep(client(2, 1, 1.0));
        page.addLiveStep(round(2, 0.6, 4.0, 0.02));
        page.addLiveStep(client(0, 2, 3.0));
        QCPGraph *modelled = nullptr, *accuracy = nullptr, *machine = nullptr;
        for (int g = 0; g < page.curvesPlot()->graphCount(); ++g) {
            QCPGraph *graph = page.curvesPlot()->graph(g);
            if (graph->name() == QStringLiteral("this machine's CO₂e, estimated")) // labelled as measured or estimated
                machine = graph;
            if (graph->name() == QStringLiteral("clients' CO₂e, modelled"))
                modelled = graph;
            if (graph->name() == QStringLiteral("test accuracy"))
                accuracy = graph;
        }
        QVERIFY(modelled && accuracy && machine);
        QCOMPARE(machine->dataCount(), 2);
        QCOMPARE(modelled->valueAxis(), page.curvesPlot()->yAxis2);
        QCOMPARE(accuracy->valueAxis(), page.curvesPlot()->yAxis);
        QCOMPARE(page.curvesPlot()->graphCount(), 3);
        QTRY_VERIFY(page.tabs()->indexOf(page.partsView()) >= 0); // refreshed once for a round's clients
        QCOMPARE(page.tabs()->tabText(page.tabs()->indexOf(page.partsView())), QStringLiteral("Clients"));
        QTableWidget *table = page.partsView()->table();
        QCOMPARE(table->rowCount(), 2);
        QCOMPARE(table->verticalHeaderItem(0)->text(), QStringLiteral("client 0"));
        QCOMPARE(table->item(0, 0)->text(), QStringLiteral("3")); // its latest running total
        QCOMPARE(table->horizontalHeaderItem(0)->text(), QStringLiteral("CO₂e, modelled (g)"));
        // Two run pages (centre and dock) with their parts fit the window's default width.
        QVERIFY2(page.minimumSizeHint().width() <= 540, qPrintable(QString::number(page.minimumSizeHint().width())));
    }

    void everyControlIsReachableWithTheKeyboard()
    {
        MainWindow window(dir_.filePath(QStringLiteral("keyboard.sqlite")));
        window.show();
        window.compareSelectedRuns(); // the Compare dock too
        QVERIFY(QTest::qWaitForWindowActive(&window));
        // On an empty store the welcome panel stands where the runs table will be.
        QWidget *runs = window.findChild<QTableView *>(QStringLiteral("runsView"));
        if (!runs->isVisible())
            runs = window.findChild<QPushButton *>(QStringLiteral("runDefaultButton"));
        runs->setFocus();
        QTRY_VERIFY(runs->hasFocus());
        // Press Tab as a person would and note every widget that takes the focus, until it comes back.
        QSet<QWidget *> reached{runs};
        for (int press = 0; press < 400; ++press) {
            QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
            QWidget *focused = QApplication::focusWidget();
            QVERIFY(focused);
            if (focused == runs)
                break;
            reached.insert(focused);
        }
        QCOMPARE(QApplication::focusWidget(), runs); // no widget keeps the Tab key to itself
        const QList<QWidget *> controls = window.findChildren<QWidget *>();
        int checked = 0;
        for (QWidget *w : controls) {
            const bool control = qobject_cast<QAbstractButton *>(w) || qobject_cast<QComboBox *>(w) || qobject_cast<QAbstractItemView *>(w) ||
                                 qobject_cast<QLineEdit *>(w) || qobject_cast<QAbstractSpinBox *>(w);
            if (!control || !w->isVisible() || !w->isEnabled() || w->focusPolicy() == Qt::NoFocus || qobject_cast<QLineEdit *>(w->parentWidget()) ||
                w->inherits("QDockWidgetTitleButton") || qobject_cast<QComboBox *>(w->parentWidget()))
                continue;
            ++checked;
            QVERIFY2(reached.contains(w), qPrintable(QStringLiteral("%1 '%2' (%3) is not reached with Tab")
                                                         .arg(QString::fromLatin1(w->metaObject()->className()), w->objectName(),
                                                              qobject_cast<QAbstractButton *>(w) ? qobject_cast<QAbstractButton *>(w)->text() : QString())));
        }
        QVERIFY(checked >= 6);
        // Menus and docks have keys of their own.
        for (QAction *action : window.menuBar()->actions())
            QVERIFY2(action->text().contains(QLatin1Char('&')), qPrintable(action->text()));
        QDockWidget *jobs = window.findChild<QDockWidget *>(QStringLiteral("jobsDock"));
        QCOMPARE(jobs->toggleViewAction()->shortcut(), QKeySequence(Qt::ALT | Qt::Key_4));
    }

    void queuedRunsRunOneAfterTheOther()
    {
        const QString db = dir_.filePath(QStringLiteral("queue.sqlite"));
        MainWindow window(db);
        QSignalSpy finished(&window, &MainWindow::runFinished);
        QVERIFY(window.startRun(tinyRun(QStringLiteral("first"))));
        QVERIFY(window.startRun(tinyRun(QStringLiteral("second"))));
        QVERIFY(window.startRun(tinyRun(QStringLiteral("third"))));
        QCOMPARE(window.queuedRunCount(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(finished.count() == 3, 60000);
        QStringList order;
        for (const QList<QVariant> &call : finished) {
            const RunSummary summary = call.at(0).value<RunSummary>();
            QCOMPARE(summary.status, QStringLiteral("completed"));
            order << summary.name;
        }
        QCOMPARE(order, (QStringList{QStringLiteral("first"), QStringLiteral("second"), QStringLiteral("third")}));
        QCOMPARE(window.jobsPanel()->activeJobCount(), 0);
        for (int job = 1; job <= 3; ++job) {
            QCOMPARE(window.jobsPanel()->progressBar(job)->value(), 1000);
            QVERIFY(window.jobsPanel()->stateLabel(job)->text().contains(QStringLiteral("completed")));
        }
        QCOMPARE(window.runsModel()->rowCount(), 3);

        // Any stored run's config comes back whole for a new run (the dialog opens from it).
        QVERIFY(!window.selectedRunConfig());
        auto *view = window.findChild<QTableView *>(QStringLiteral("runsView"));
        view->selectRow(1);
        const std::optional<RunConfig> again = window.selectedRunConfig();
        QVERIFY(again);
        QCOMPARE(again->name, window.runsModel()->runAt(1).name);
        QCOMPARE(QString::fromStdString(again->toJsonText(-1)), window.runsModel()->runAt(1).paramsJson);
    }
};

QTEST_MAIN(TestMainWindow)
#include "tst_mainwindow.moc"
