#include "MainWindow.h"

#include "Appearance.h"
#include "CompareView.h"
#include "Error.h"
#include "JobsPanel.h"
#include "LabelingView.h"
#include "LivePowerPlot.h"
#include "PluginsDialog.h"
#include "WelcomePanel.h"
#include "RunPage.h"
#include "RunParameterForm.h"
#include "report/RunReportBuilder.h"
#include "store/ArtifactRepository.h"
#include "CommandLine.h"
#include "PowerSourcesPanel.h"
#include "RecentProjects.h"
#include "RunsTableModel.h"
#include "SettingsDialog.h"
#include "activelearning/InteractiveOracle.h"
#include "carbon/CarbonForecast.h"
#include "carbon/CarbonIntensityProvider.h"
#include "energy/ReferenceTables.h"
#include "extension/PluginManager.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "jobs/RunPrediction.h"
#include "jobs/TimeLeft.h"
#include "report/ModelCard.h"
#include "report/RunReportBuilder.h"
#include "report/RunSeries.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDockWidget>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QScopeGuard>
#include <QSettings>
#include <QSplitter>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>
#include <algorithm>

namespace gw {

namespace {
/// Bumped when a dock is added, so an older saved layout gives way to the default one.
constexpr int kLayoutVersion = 2;
} // namespace

MainWindow::MainWindow(QString databasePath, QWidget *parent)
    : QMainWindow(parent), databasePath_(std::move(databasePath)), settings_(WorkbenchSettings::load(QSettings())), runQueue_(new RunQueue(this)),
      powerSources_(new PowerSourcesPanel), runsModel_(new RunsTableModel(this)),
      runsView_(new QTableView), runsArea_(new QStackedWidget), welcome_(new WelcomePanel), runsFilter_(new QLineEdit), livePage_(new RunPage), progress_(new QProgressBar), progressText_(new QLabel), predictionText_(new QLabel),
      newRunButton_(new QPushButton(QStringLiteral("&New run…"))), cancelButton_(new QPushButton(QStringLiteral("&Cancel run"))),
      oracle_(new InteractiveOracle(qEnvironmentVariable("USER", QStringLiteral("person")), this)), labelingView_(new LabelingView),
      labelingDock_(new QDockWidget(QStringLiteral("Labeling"), this)), compareView_(new CompareView),
      compareDock_(new QDockWidget(QStringLiteral("Compare"), this)), centre_(new QStackedWidget), runPage_(new RunPage), runDock_(new QDockWidget(QStringLiteral("Run"), this)), intensityStatus_(new QLabel), jobsPanel_(new JobsPanel),
      jobsDock_(new QDockWidget(QStringLiteral("Jobs"), this))
{
    setWindowTitle(QStringLiteral("Green AI Workbench"));
    resize(1100, 720);
    Appearance::apply(settings_.appearance);

    runsView_->setObjectName(QStringLiteral("runsView"));
    runsView_->setModel(runsModel_);
    runsView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    runsView_->setSelectionMode(QAbstractItemView::ExtendedSelection);
    runsView_->setAlternatingRowColors(true);
    runsView_->setTabKeyNavigation(false); // Tab leaves the table (arrows move between cells): no keyboard trap
    runsView_->verticalHeader()->hide();
    runsView_->horizontalHeader()->setStretchLastSection(true);

    auto *runPanel = runPanel_ = new QWidget;
    auto *runLayout = new QVBoxLayout(runPanel);
    auto *controls = new QHBoxLayout;
    controls->addWidget(newRunButton_);
    auto *compareButton = new QPushButton(QStringLiteral("Co&mpare…"));
    compareButton->setToolTip(QStringLiteral("Compare the selected runs (all runs when fewer than two are selected): "
                                             "differing parameters, Pareto plot of accuracy against CO₂e, green leaderboard"));
    connect(compareButton, &QPushButton::clicked, this, &MainWindow::compareSelectedRuns);
    controls->addWidget(compareButton);
    controls->addWidget(progress_, 1);
    controls->addWidget(cancelButton_);
    runLayout->addLayout(controls);
    runLayout->addWidget(progressText_);
    runLayout->addWidget(predictionText_);
    runLayout->addWidget(livePage_, 1);
    // Long lines wrap: a label without wrapping is as wide as its text, and would widen the window
    // past the screen (a prediction with its range is a long line).
    progressText_->setWordWrap(true);
    predictionText_->setWordWrap(true);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    progress_->setObjectName(QStringLiteral("runProgress"));
    cancelButton_->setObjectName(QStringLiteral("cancelButton"));
    livePage_->setObjectName(QStringLiteral("livePage"));
    livePlot()->setProvenance(QStringLiteral("Power is estimated from CPU time x TDP until hardware counters are read."));

    // A store without runs shows the ways to begin instead of an empty table.
    runsArea_->addWidget(welcome_);
    auto *runsPage = new QWidget;
    auto *runsLayout = new QVBoxLayout(runsPage);
    runsLayout->setContentsMargins(0, 0, 0, 0);
    runsFilter_->setObjectName(QStringLiteral("runsFilter"));
    runsFilter_->setPlaceholderText(QStringLiteral("Filter runs by name, tag, kind or status"));
    runsFilter_->setClearButtonEnabled(true);
    connect(runsFilter_, &QLineEdit::textChanged, this, &MainWindow::applyRunsFilter);
    runsLayout->addWidget(runsFilter_);
    runsLayout->addWidget(runsView_, 1);
    runsArea_->addWidget(runsPage);
    connect(welcome_, &WelcomePanel::runDefaultRequested, this, &MainWindow::runDefault);
    connect(welcome_, &WelcomePanel::openProjectRequested, this, &MainWindow::chooseProject);
    connect(welcome_, &WelcomePanel::labelRequested, this, [this] {
        RunConfig labeling = RunConfig::defaultsFor(QStringLiteral("active-learning"));
        labeling.name = QStringLiteral("labeling");
        labeling.activeLearning.oracle = QStringLiteral("human");
        settings_.applyTo(labeling);
        runNewRunDialog(labeling);
    });
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(runsArea_);
    splitter->addWidget(runPanel);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    // The centre: the runs and the live page, or the labeling view when a person labels there.
    centre_->addWidget(splitter);
    setCentralWidget(centre_);

    auto *powerDock = new QDockWidget(QStringLiteral("Power sources"), this);
    powerDock->setObjectName(QStringLiteral("powerSourcesDock"));
    powerDock->setWidget(powerSources_);
    addDockWidget(Qt::BottomDockWidgetArea, powerDock);
    jobsDock_->setObjectName(QStringLiteral("jobsDock"));
    jobsDock_->setWidget(jobsPanel_);
    addDockWidget(Qt::BottomDockWidgetArea, jobsDock_);
    splitDockWidget(powerDock, jobsDock_, Qt::Horizontal);
    connect(jobsPanel_, &JobsPanel::cancelRequested, this, &MainWindow::cancelJob);
    // A few rows of sources and jobs: the runs and the live plot keep most of the height.
    resizeDocks({powerDock}, {170}, Qt::Vertical);
    // The New run dialog starts from the embedded default, the run the README's first command makes.
    try {
        lastConfig_ = RunConfig::fromFile(CommandLine::defaultConfigPath());
    } catch (const Error &) {
        lastConfig_ = RunConfig(); // the built-in defaults then; the file is compiled in, so this is not expected
    }
    settings_.applyTo(lastConfig_);

    // The right docks (labeling, compare) reach down to the status bar: labeling wants height for two
    // rows of images more than the power sources want width.
    setCorner(Qt::BottomRightCorner, Qt::RightDockWidgetArea);
    labelingDock_->setObjectName(QStringLiteral("labelingDock"));
    labelingDock_->setWidget(labelingView_);
    addDockWidget(Qt::RightDockWidgetArea, labelingDock_);
    labelingDock_->hide(); // shown when a run asks a person for labels
    labelingView_->setShortcuts(settings_.labelingShortcuts);
    // The oracle lives on this thread; its signals come from the run's thread and arrive queued.
    compareDock_->setObjectName(QStringLiteral("compareDock"));
    compareDock_->setWidget(compareView_);
    addDockWidget(Qt::RightDockWidgetArea, compareDock_);
    tabifyDockWidget(labelingDock_, compareDock_);
    compareDock_->hide(); // shown by "Compare selected runs"
    runDock_->setObjectName(QStringLiteral("runDock"));
    runDock_->setWidget(runPage_);
    addDockWidget(Qt::RightDockWidgetArea, runDock_);
    tabifyDockWidget(compareDock_, runDock_);
    runDock_->hide(); // shown by opening a run
    // A run opens with a double-click or Enter, or from its context menu.
    connect(runsView_, &QTableView::activated, this, [this](const QModelIndex &index) { showRunPage(index.row()); });
    runsView_->setContextMenuPolicy(Qt::CustomContextMenu);
    connect(runsView_, &QTableView::customContextMenuRequested, this, [this](const QPoint &at) {
        const QModelIndex index = runsView_->indexAt(at);
        if (!index.isValid())
            return;
        const std::unique_ptr<QMenu> menu(runContextMenu(index.row()));
        menu->exec(runsView_->viewport()->mapToGlobal(at));
    });
    for (const RunPage *page : {runPage_, livePage_}) {
        connect(page, &RunPage::newRunRequested, this, [this, page](const QJsonObject &stored) { newRunFromPage(page, stored); });
        connect(page, &RunPage::reportRequested, this, &MainWindow::askAndWriteRunReport);
    }

    labelingView_->connectOracle(oracle_);
    connect(labelingView_, &LabelingView::batchShown, this, [this](int round, int size) {
        if (labelingInCentre()) {
            centre_->setCurrentWidget(labelingView_);
        } else if (!labelingDock_->isVisible()) {
            labelingDock_->show();
            // Labeling is the work now: the grid gets most of the width.
            resizeDocks({labelingDock_}, {width() * 3 / 5}, Qt::Horizontal);
        }
        labelingDock_->raise();
        statusBar()->showMessage(QStringLiteral("%1 images to label for round %2").arg(size).arg(round), 10000);
    });
    connect(labelingView_, &LabelingView::refused, this, [this](const QString &reason) { statusBar()->showMessage(reason, 15000); });

    QMenu *fileMenu = menuBar()->addMenu(QStringLiteral("&File"));
    QAction *projectAction = fileMenu->addAction(QStringLiteral("Open or create &project…"), this, &MainWindow::chooseProject);
    projectAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_O));
    recentMenu_ = fileMenu->addMenu(QStringLiteral("Recent pro&jects"));
    rebuildRecentMenu();
    QAction *openAction = fileMenu->addAction(QStringLiteral("&Open store…"), this, &MainWindow::openStore);
    openAction->setShortcut(QKeySequence::Open);
    QAction *newAction = fileMenu->addAction(QStringLiteral("&New run…"), this, &MainWindow::showNewRunDialog);
    newAction->setShortcut(QKeySequence::New);
    QAction *againAction = fileMenu->addAction(QStringLiteral("New run &from selected…"), this, &MainWindow::showNewRunFromSelected);
    againAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_N));
    againAction->setToolTip(QStringLiteral("The selected run's config in the New run dialog: change what you like and run it again"));
    QAction *refreshAction = fileMenu->addAction(QStringLiteral("&Refresh runs"), this, &MainWindow::refreshRuns);
    refreshAction->setShortcut(QKeySequence::Refresh);
    fileMenu->addSeparator();
    QAction *settingsAction = fileMenu->addAction(QStringLiteral("&Settings…"), this, &MainWindow::showSettingsDialog);
    settingsAction->setShortcut(QKeySequence::Preferences);
    fileMenu->addSeparator();
    fileMenu->addAction(QStringLiteral("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);
    QMenu *viewMenu = menuBar()->addMenu(QStringLiteral("&View"));
    viewMenu->addAction(powerDock->toggleViewAction());
    viewMenu->addAction(labelingDock_->toggleViewAction());
    labelingCentreAction_ = viewMenu->addAction(QStringLiteral("Labeling in the window's c&entre"), this, &MainWindow::setLabelingInCentre);
    labelingCentreAction_->setCheckable(true);
    labelingCentreAction_->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_L));
    labelingCentreAction_->setToolTip(QStringLiteral("The labeling view takes the window's centre (the runs and the live page step aside until you "
                                                     "turn it off); off, it is a dock beside them"));
    viewMenu->addAction(compareDock_->toggleViewAction());
    viewMenu->addAction(runDock_->toggleViewAction());
    viewMenu->addAction(jobsDock_->toggleViewAction());
    powerDock->toggleViewAction()->setShortcut(QKeySequence(Qt::ALT | Qt::Key_1));
    labelingDock_->toggleViewAction()->setShortcut(QKeySequence(Qt::ALT | Qt::Key_2));
    compareDock_->toggleViewAction()->setShortcut(QKeySequence(Qt::ALT | Qt::Key_3));
    jobsDock_->toggleViewAction()->setShortcut(QKeySequence(Qt::ALT | Qt::Key_4));
    QAction *compareAction = viewMenu->addAction(QStringLiteral("&Compare selected runs"), this, &MainWindow::compareSelectedRuns);
    compareAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    QMenu *helpMenu = menuBar()->addMenu(QStringLiteral("&Help"));
    helpMenu->addAction(QStringLiteral("&Keyboard shortcuts"), this, &MainWindow::showShortcuts);
    helpMenu->addAction(QStringLiteral("&Where things are"), this, &MainWindow::showWhereThingsAre);
    helpMenu->addAction(QStringLiteral("&Plugins…"), this, [this] { PluginsDialog(PluginManager::instance(), this).exec(); });
    helpMenu->addSeparator();
    helpMenu->addAction(QStringLiteral("&About the Green AI Workbench"), this, [this] {
        QMessageBox::about(this, QStringLiteral("About the Green AI Workbench"),
                           QStringLiteral("<h3>Green AI Workbench %1</h3><p>Fine-tune pretrained models with little labelling, and measure, "
                                          "penalise and report the energy and CO₂e of every step.</p><p>Qt %2, LibTorch, QCustomPlot, SQLite.</p>")
                               .arg(QCoreApplication::applicationVersion(), QString::fromLatin1(qVersion())));
    });

    connect(runQueue_, &RunQueue::queued, this, &MainWindow::onRunQueued);
    connect(runQueue_, &RunQueue::waiting, this, &MainWindow::onRunWaiting);
    connect(runQueue_, &RunQueue::started, this, &MainWindow::onRunStarted);
    connect(runQueue_, &RunQueue::finished, this, &MainWindow::onRunFinished);
    connect(runQueue_, &RunQueue::dropped, this, &MainWindow::onRunDropped);

    connect(newRunButton_, &QPushButton::clicked, this, &MainWindow::showNewRunDialog);
    connect(cancelButton_, &QPushButton::clicked, this, &MainWindow::cancelRun);
    intensityStatus_->setObjectName(QStringLiteral("intensityStatus"));
    statusBar()->addPermanentWidget(intensityStatus_);
    showSettingsIntensity();
    // The layout a person left, docks included (objectNames identify them).
    const QSettings layout;
    restoreGeometry(layout.value(QStringLiteral("window/geometry")).toByteArray());
    if (!restoreState(layout.value(QStringLiteral("window/state")).toByteArray(), kLayoutVersion)) {
        // First start: the jobs get a readable width beside the power sources once the docks have their real sizes.
        QTimer::singleShot(0, this, [this, powerDock] { resizeDocks({powerDock, jobsDock_}, {width() * 3 / 5, width() * 2 / 5}, Qt::Horizontal); });
    }

    setRunActive(false);
    refreshRuns();
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    QSettings layout;
    layout.setValue(QStringLiteral("window/geometry"), saveGeometry());
    layout.setValue(QStringLiteral("window/state"), saveState(kLayoutVersion));
    QMainWindow::closeEvent(event);
}

void MainWindow::showIntensity(double intensityGPerKwh, const QString &origin, const QString &whose)
{
    intensityStatus_->setText(whose.isEmpty() ? QStringLiteral("Grid: %1 g CO₂e/kWh").arg(intensityGPerKwh, 0, 'f', 0)
                                              : QStringLiteral("Grid (%2): %1 g CO₂e/kWh").arg(intensityGPerKwh, 0, 'f', 0).arg(whose));
    intensityStatus_->setToolTip(origin);
}

void MainWindow::showSettingsIntensity()
{
    try {
        const CarbonIntensityTable::Resolved resolved = CarbonIntensityTable::bundled().resolve(settings_.country);
        showIntensity(resolved.intensityGPerKwh, QStringLiteral("%1; new runs use %2").arg(resolved.origin,
                                                  settings_.intensity == QStringLiteral("live") ? QStringLiteral("Electricity Maps live, this table value on failure")
                                                                                               : QStringLiteral("this table value")));
    } catch (const Error &e) {
        intensityStatus_->setText(QStringLiteral("Grid: unknown region"));
        intensityStatus_->setToolTip(e.message());
    }
}

MainWindow::~MainWindow() = default;

void MainWindow::refreshRuns()
{
    try {
        Database db(databasePath_);
        runsModel_->setRuns(RunRepository(db).listRuns());
        runsView_->resizeColumnsToContents();
        welcome_->setStorePath(databasePath_);
        // Until the first run the welcome takes the whole centre: an empty live view says nothing.
        const bool empty = runsModel_->rowCount() == 0 && !runQueue_->isBusy();
        runsArea_->setCurrentWidget(empty ? welcome_ : runsView_->parentWidget());
        applyRunsFilter();
        runPanel_->setVisible(!empty);
        showLatestRun();
        statusBar()->showMessage(QStringLiteral("Store: %1 (%2 %3)").arg(databasePath_).arg(runsModel_->rowCount())
                                     .arg(runsModel_->rowCount() == 1 ? QStringLiteral("run") : QStringLiteral("runs")));
    } catch (const Error &e) {
        runsModel_->setRuns({});
        statusBar()->showMessage(e.message());
        QMessageBox::warning(this, QStringLiteral("Cannot read the store"), e.message());
    }
}

void MainWindow::compareSelectedRuns()
{
    QList<RunRecord> runs;
    const QModelIndexList rows = runsView_->selectionModel() ? runsView_->selectionModel()->selectedRows() : QModelIndexList();
    if (rows.size() >= 2) {
        for (const QModelIndex &row : rows)
            runs << runsModel_->runAt(row.row());
    } else {
        for (int row = 0; row < runsModel_->rowCount(); ++row)
            runs << runsModel_->runAt(row);
    }
    fillComparison(compareView_, runs);
    compareDock_->show();
    compareDock_->raise();
    statusBar()->showMessage(QStringLiteral("Comparing %1 runs").arg(runs.size()), 5000);
}

void MainWindow::fillComparison(CompareView *view, const QList<RunRecord> &runs)
{
    std::vector<RunSeries> series;
    try {
        const Database db(databasePath_);
        for (const RunRecord &run : runs)
            series.push_back(RunSeries::load(db, run));
    } catch (const Error &e) {
        statusBar()->showMessage(e.message(), 15000); // the table and the Pareto plot need no more than the runs
        series.clear();
    }
    view->setRuns(runs, series);
    const QString store = databasePath_;
    view->setModelCardSource([store](qint64 runId) {
        try {
            const Database db(store);
            return ModelCard::render(RunReportBuilder::fromStore(RunRepository(db), runId, store));
        } catch (const Error &e) {
            return QStringLiteral("(no model card: %1)").arg(e.message());
        }
    });
}

bool MainWindow::writeRunReport(qint64 runId, const QString &path, QString *error)
{
    std::optional<RunRecord> run;
    try {
        const Database db(databasePath_);
        run = RunRepository(db).run(runId);
    } catch (const Error &e) {
        if (error)
            *error = e.message();
        return false;
    }
    if (!run) {
        if (error)
            *error = QStringLiteral("run %1 is not in %2").arg(runId).arg(databasePath_);
        return false;
    }
    // The run alone through the comparison's report: the same table, plots, settings and model card.
    CompareView single;
    fillComparison(&single, {*run});
    return single.exportReport(path, error);
}

void MainWindow::askAndWriteRunReport(qint64 runId)
{
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Report of run %1").arg(runId), QStringLiteral("run-%1.pdf").arg(runId),
                                                      QStringLiteral("PDF (*.pdf);;HTML (*.html)"));
    QString error;
    if (path.isEmpty())
        return;
    if (writeRunReport(runId, path, &error))
        statusBar()->showMessage(QStringLiteral("Report of run %1 written to %2").arg(runId).arg(path), 8000);
    else
        QMessageBox::warning(this, QStringLiteral("Cannot write the report"), error);
}

void MainWindow::openStore()
{
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Open or create a store"), databasePath_,
                                                      QStringLiteral("Workbench stores (*.sqlite *.db)"), nullptr,
                                                      QFileDialog::DontConfirmOverwrite);
    if (path.isEmpty())
        return;
    databasePath_ = path;
    refreshRuns();
}

void MainWindow::chooseProject()
{
    const QString folder = QFileDialog::getExistingDirectory(this, QStringLiteral("Open or create a project (a folder for its store and caches)"),
                                                             QFileInfo(databasePath_).absolutePath());
    if (!folder.isEmpty())
        openProject(folder);
}

bool MainWindow::openProject(const QString &folder)
{
    if (runQueue_->isBusy() || runQueue_->queuedCount() > 0) {
        QMessageBox::information(this, QStringLiteral("A run is going"), QStringLiteral("Cancel or finish the run before opening another project."));
        return false;
    }
    if (!QDir().mkpath(folder)) {
        QMessageBox::warning(this, QStringLiteral("Cannot open the project"), QStringLiteral("%1: cannot create the folder").arg(folder));
        return false;
    }
    databasePath_ = RecentProjects::storePath(folder);
    QSettings settings;
    RecentProjects::add(settings, folder);
    rebuildRecentMenu();
    setWindowTitle(QStringLiteral("Green AI Workbench — %1").arg(QFileInfo(folder).fileName()));
    refreshRuns(); // creates the store on first use
    return true;
}

void MainWindow::rebuildRecentMenu()
{
    recentMenu_->clear();
    const QStringList recent = RecentProjects::load(QSettings());
    for (const QString &folder : recent)
        recentMenu_->addAction(folder, this, [this, folder] { openProject(folder); });
    recentMenu_->setEnabled(!recent.isEmpty());
}

void MainWindow::showNewRunDialog()
{
    runNewRunDialog(lastConfig_);
}

std::optional<RunConfig> MainWindow::selectedRunConfig() const
{
    const QModelIndexList rows = runsView_->selectionModel() ? runsView_->selectionModel()->selectedRows() : QModelIndexList();
    if (rows.isEmpty())
        return std::nullopt;
    const RunRecord &run = runsModel_->runAt(rows.first().row());
    return RunConfig::fromJsonText(run.paramsJson.toStdString(), QStringLiteral("run %1 in %2").arg(run.id).arg(databasePath_));
}

void MainWindow::showNewRunFromSelected()
{
    try {
        const std::optional<RunConfig> config = selectedRunConfig();
        if (!config) {
            statusBar()->showMessage(QStringLiteral("Select a run in the table first: its config fills the New run dialog."), 8000);
            return;
        }
        runNewRunDialog(*config);
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot read the run's config"), e.message());
    }
}

QMenu *MainWindow::runContextMenu(int row)
{
    auto *menu = new QMenu(this);
    menu->addAction(QStringLiteral("&Open run page"), this, [this, row] { showRunPage(row); });
    menu->addAction(QStringLiteral("New run &from this…"), this, &MainWindow::showNewRunFromSelected);
    if (const std::optional<RunConfig> config = configOfRow(row); config && config->kind == QStringLiteral("active-learning"))
        menu->addAction(QStringLiteral("Fine-tune on its &labels…"), this, [this, config, row] {
            runNewRunDialog(RunConfig::fineTuningOnLabelsOf(*config, runsModel_->runAt(row).id), QStringLiteral("labels.run_id"));
        });
    menu->addAction(QStringLiteral("&Compare selected runs"), this, &MainWindow::compareSelectedRuns);
    menu->addSeparator();
    menu->addAction(QStringLiteral("&Rename, tag and annotate…"), this, [this, row] { describeRun(row); });
    menu->addAction(QStringLiteral("&Delete run…"), this, [this, row] { deleteRun(row); });
    return menu;
}

std::optional<RunConfig> MainWindow::configOfRow(int row) const
{
    const RunRecord &run = runsModel_->runAt(row);
    try {
        return RunConfig::fromJsonText(run.paramsJson.toStdString(), QStringLiteral("run %1 in %2").arg(run.id).arg(databasePath_));
    } catch (const Error &) {
        return std::nullopt; // New run from this says why, when asked
    }
}

void MainWindow::runNewRunDialog(const RunConfig &initial, const QString &revealKey)
{
    NewRunDialog dialog(initial, this);
    if (!revealKey.isEmpty()) // once shown: scrolling needs the laid-out page
        QTimer::singleShot(0, &dialog, [&dialog, revealKey] { dialog.form()->reveal(revealKey); });
    if (dialog.exec() != QDialog::Accepted)
        return;
    try {
        // Start is enabled only for a valid form; the check stays in case it changed on the way out.
        const RunConfig config = dialog.config();
        if (const std::optional<GreenestStartRequest> request = dialog.greenestStart())
            scheduleRun(config, *request);
        else
            startRun(config);
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot start the run"), e.message());
    }
}

void MainWindow::showSettingsDialog()
{
    SettingsDialog dialog(settings_, this);
    if (dialog.exec() == QDialog::Accepted)
        applySettings(dialog.settings());
}

void MainWindow::applySettings(const WorkbenchSettings &settings)
{
    settings_ = settings;
    QSettings store;
    settings_.save(store);
    // The next New run dialog starts from the new energy choices; the rest of the last config stays.
    settings_.applyTo(lastConfig_);
    labelingView_->setShortcuts(settings_.labelingShortcuts);
    Appearance::apply(settings_.appearance);
    if (!runQueue_->isRunning())
        showSettingsIntensity();
    statusBar()->showMessage(QStringLiteral("Settings saved to %1").arg(store.fileName()), 5000);
}

bool MainWindow::startRun(const RunConfig &config)
{
    runQueue_->submit(config, databasePath_, jobSetup());
    return true;
}

RunQueue::JobSetup MainWindow::jobSetup() const
{
    const double liveSampleHz = settings_.liveSampleHz;
    const QString token = settings_.electricityMapsToken;
    InteractiveOracle *person = oracle_;
    return [liveSampleHz, token, person](RunJob &job) {
        // The live plot is on screen: sample fast enough for it to move.
        job.setMinimumSampleHz(liveSampleHz);
        job.setLiveIntensity(token);
        // Whoever is at the window answers an active-learning run that asks a person.
        job.attach(InteractiveOracle::attachmentName(), person);
    };
}

int MainWindow::activeJobId() const
{
    return panelJobs_.value(runQueue_->activeId());
}

void MainWindow::cancelJob(int jobId)
{
    const int queueId = panelJobs_.key(jobId);
    if (queueId > 0 && queueId == runQueue_->activeId())
        cancelRun();
    else if (queueId > 0)
        runQueue_->cancel(queueId);
}

bool MainWindow::scheduleRun(const RunConfig &config, const GreenestStartRequest &request)
{
    if (runQueue_->isBusy()) {
        // The plan is for a start from now; behind a running job, its window would have passed.
        statusBar()->showMessage(QStringLiteral("%1 was not scheduled: finish or cancel the running job first, then plan its greenest start.")
                                     .arg(config.name),
                                 15000);
        return false;
    }
    try {
        double durationS = request.durationS;
        if (!(durationS > 0)) {
            // The best prediction of a run's duration is the last time the same config ran.
            const Database store(databasePath_);
            const std::optional<double> last = RunRepository(store).lastCompletedDuration(QString::fromStdString(config.toJsonText(-1)));
            if (!last)
                throw Error(QStringLiteral("No completed run of this config in %1 to take its duration from: enter the expected duration.")
                                .arg(databasePath_));
            durationS = *last;
        }
        CarbonForecast forecast;
        if (!request.forecastFile.isEmpty()) {
            forecast = CarbonForecast::fromCsvFile(request.forecastFile);
        } else {
            CarbonIntensityProvider::Settings providerSettings;
            providerSettings.token = settings_.electricityMapsToken;
            providerSettings.zone = config.energy.zone;
            QApplication::setOverrideCursor(Qt::WaitCursor); // at most the provider's 5 s timeout
            const auto restoreCursor = qScopeGuard([] { QApplication::restoreOverrideCursor(); });
            forecast = CarbonIntensityProvider(providerSettings).forecast(config.energy.country);
        }
        const QDateTime now = QDateTime::currentDateTimeUtc();
        runQueue_->submitAt(config, databasePath_, GreenestStartPlanner::plan(forecast, durationS, now, request.deadlineUtc), jobSetup());
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot plan the greenest start"), e.message());
        return false;
    }
    return true;
}

void MainWindow::onRunQueued(int id, const QString &name)
{
    const int jobId = jobsPanel_->addJob(name, QStringLiteral("Queued: starts when the jobs before it have finished"));
    panelJobs_.insert(id, jobId);
    jobsPanel_->setTimeLeft(jobId, std::nullopt);
    jobsDock_->show();
    statusBar()->showMessage(QStringLiteral("%1 queued behind the running job (one run at a time, so each is measured alone)").arg(name), 8000);
}

void MainWindow::onRunWaiting(int id, double delayS, const StartPlan &plan)
{
    const QString name = runQueue_->configOf(id).value_or(RunConfig()).name;
    if (!panelJobs_.contains(id)) {
        lastConfig_ = runQueue_->configOf(id).value_or(lastConfig_);
        clearRunPanel();
        panelJobs_.insert(id, jobsPanel_->addJob(name, QStringLiteral("Waiting for its greenest start")));
        setRunActive(true);
    }
    if (delayS <= 0)
        return;
    progressText_->setText(QStringLiteral("Waiting for the greenest start of %1 (forecast from %2): %3").arg(name, plan.forecastOrigin, plan.summary()));
    jobsPanel_->setState(panelJobs_.value(id), QStringLiteral("Waiting for its greenest start at %1").arg(plan.bestStartUtc.toLocalTime().toString(QStringLiteral("HH:mm"))));
    jobsPanel_->setTimeLeft(panelJobs_.value(id), delayS + plan.durationS);
}

void MainWindow::onRunStarted(int id, RunJob *job)
{
    waitingForPerson_ = false;
    const RunConfig &config = job->config();
    lastConfig_ = config;
    if (!panelJobs_.contains(id))
        panelJobs_.insert(id, jobsPanel_->addJob(config.name, QStringLiteral("Starting")));
    const int jobId = panelJobs_.value(id);
    activeClock_.start();
    predictedDurationS_.reset();
    jobsPanel_->setState(jobId, QStringLiteral("Starting"));
    jobsPanel_->setTimeLeft(jobId, std::nullopt);
    connect(job, &RunJob::powerSampled, this, &MainWindow::onPowerSample);
    connect(job, &RunJob::progressed, this, &MainWindow::onProgress);
    connect(job, &RunJob::runCreated, this, &MainWindow::refreshRuns);
    connect(job, &RunJob::runCreated, livePage_, &RunPage::setLiveRunId);
    connect(job, &RunJob::stepFinished, livePage_, &RunPage::addLiveStep);
    connect(job, &RunJob::noticed, this, [this](const QString &message) { statusBar()->showMessage(message, 15000); });
    connect(job, &RunJob::waitingChanged, this, [this](bool waiting) {
        waitingForPerson_ = waiting;
        if (waiting)
            jobsPanel_->setWaitingFor(activeJobId(), QStringLiteral("you"));
    });
    if (config.activeLearning.enabled)
        connect(job, &RunJob::stepFinished, this, [this](const QVariantMap &step) {
            // Each round's accuracy beside the grid, so a person sees what their labels buy.
            if (step.contains(QStringLiteral("test_accuracy")) && step.contains(QStringLiteral("labels")))
                labelingView_->setRoundAccuracy(step.value(QStringLiteral("step")).toInt(), step.value(QStringLiteral("labels")).toLongLong(),
                                                step.value(QStringLiteral("test_accuracy")).toDouble());
        });
    connect(job, &RunJob::predicted, this, [this](const QVariantMap &p) {
        predictedDurationS_ = p.value(QStringLiteral("duration_s")).toDouble();
        predictionText_->setText(RunPrediction::describe(p));
    });
    clearRunPanel();
    livePage_->beginLive(config.name, QJsonDocument::fromJson(QByteArray::fromStdString(config.toJsonText(-1))).object());
    const std::optional<StartPlan> plan = job->startPlan();
    progressText_->setText(plan ? QStringLiteral("Starting %1 at its greenest time: %2 % less CO₂e per kWh than when it was scheduled")
                                      .arg(config.name)
                                      .arg(plan->savingPercent, 0, 'f', 1)
                                : QStringLiteral("Starting %1…").arg(config.name));
    setRunActive(true);
}

void MainWindow::onRunDropped(int id, const QString &reason)
{
    jobsPanel_->setFinished(panelJobs_.take(id), reason);
    if (!runQueue_->isBusy()) {
        progressText_->setText(reason);
        setRunActive(false);
    }
}

void MainWindow::applyRunsFilter()
{
    // Every word must match the run's name, a tag, its kind or its status.
    const QStringList words = runsFilter_->text().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    for (int row = 0; row < runsModel_->rowCount(); ++row) {
        const RunRecord &run = runsModel_->runAt(row);
        const QString kind = QJsonDocument::fromJson(run.paramsJson.toUtf8()).object().value(QStringLiteral("kind")).toString();
        const QString haystack = QStringList{run.name, run.tags.join(QLatin1Char(' ')), kind, run.status}.join(QLatin1Char(' '));
        bool match = true;
        for (const QString &word : words)
            match = match && haystack.contains(word, Qt::CaseInsensitive);
        runsView_->setRowHidden(row, !match);
    }
}

bool MainWindow::describeRun(int row)
{
    if (row < 0 || row >= runsModel_->rowCount())
        return false;
    const RunRecord run = runsModel_->runAt(row);
    QDialog dialog(this);
    dialog.setWindowTitle(QStringLiteral("Run %1").arg(run.id));
    auto *form = new QFormLayout(&dialog);
    auto *name = new QLineEdit(run.name);
    auto *tags = new QLineEdit(run.tags.join(QStringLiteral(", ")));
    tags->setPlaceholderText(QStringLiteral("baseline, paper, …"));
    auto *notes = new QPlainTextEdit(run.notes);
    form->addRow(QStringLiteral("&Name"), name);
    form->addRow(QStringLiteral("&Tags"), tags);
    form->addRow(QStringLiteral("N&otes"), notes);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    form->addRow(buttons);
    if (dialog.exec() != QDialog::Accepted)
        return false;
    try {
        const Database db(databasePath_);
        RunRepository(db).describe(run.id, name->text(), tags->text().split(QLatin1Char(',')), notes->toPlainText());
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot change run %1").arg(run.id), e.message());
        return false;
    }
    refreshRuns();
    return true;
}

bool MainWindow::deleteRun(int row, bool confirm)
{
    if (row < 0 || row >= runsModel_->rowCount())
        return false;
    const RunRecord run = runsModel_->runAt(row);
    if (confirm && QMessageBox::question(this, QStringLiteral("Delete run %1?").arg(run.id),
                                         QStringLiteral("Delete run %1 (%2) with its power samples, figures, labels and kept models? "
                                                        "This cannot be undone.")
                                             .arg(run.id)
                                             .arg(run.name),
                                         QMessageBox::Yes | QMessageBox::Cancel, QMessageBox::Cancel) != QMessageBox::Yes)
        return false;
    try {
        const Database db(databasePath_);
        for (const QString &file : RunRepository(db).deleteRun(run.id)) {
            if (QFileInfo(file).isDir())
                QDir(file).removeRecursively();
            else
                QFile::remove(file);
        }
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot delete run %1").arg(run.id), e.message());
        return false;
    }
    if (runPage_->runId() == run.id)
        runDock_->hide();
    if (livePage_->runId() == run.id)
        livePage_->clear(); // refreshRuns shows the latest run that is left
    refreshRuns();
    statusBar()->showMessage(QStringLiteral("Run %1 deleted").arg(run.id), 8000);
    return true;
}

void MainWindow::showLatestRun()
{
    if (runQueue_->isBusy() || livePage_->isLive())
        return; // the page follows the run that goes
    qint64 latest = 0;
    for (int row = 0; row < runsModel_->rowCount(); ++row) {
        const qint64 id = runsModel_->runAt(row).id;
        if (id == livePage_->runId())
            return; // it keeps the run it shows while that run is in the store
        latest = std::max(latest, id);
    }
    try {
        if (latest > 0)
            showStoredRun(livePage_, latest);
        else
            livePage_->clear();
    } catch (const Error &e) {
        livePage_->clear();
        statusBar()->showMessage(e.message(), 15000);
    }
}

void MainWindow::showStoredRun(RunPage *page, qint64 id) const
{
    const Database db(databasePath_);
    page->setRun(RunReportBuilder::fromStore(RunRepository(db), id, databasePath_), ArtifactRepository(db).list(id), Database::cacheDirectoryOf(databasePath_));
}

bool MainWindow::labelingInCentre() const
{
    return labelingView_->parentWidget() == centre_;
}

void MainWindow::setLabelingInCentre(bool centre)
{
    if (centre == labelingInCentre())
        return;
    if (centre) {
        labelingDock_->setWidget(nullptr);
        labelingDock_->hide();
        centre_->addWidget(labelingView_);
        centre_->setCurrentWidget(labelingView_);
    } else {
        centre_->removeWidget(labelingView_);
        centre_->setCurrentIndex(0);
        labelingDock_->setWidget(labelingView_);
        labelingDock_->show();
        labelingDock_->raise();
    }
    labelingDock_->toggleViewAction()->setEnabled(!centre);
    labelingCentreAction_->setChecked(centre);
    labelingView_->setFocus();
}

bool MainWindow::showRunPage(int row)
{
    if (row < 0 || row >= runsModel_->rowCount())
        return false;
    const qint64 id = runsModel_->runAt(row).id;
    try {
        showStoredRun(runPage_, id);
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot open run %1").arg(id), e.message());
        return false;
    }
    runDock_->setWindowTitle(QStringLiteral("Run %1").arg(id));
    if (!runDock_->isVisible()) {
        runDock_->show();
        // A run's page wants room for its plots: half the window.
        QTimer::singleShot(0, this, [this] { resizeDocks({runDock_}, {width() / 2}, Qt::Horizontal); });
    }
    runDock_->raise();
    return true;
}

void MainWindow::runDefault()
{
    try {
        RunConfig config = RunConfig::fromFile(CommandLine::defaultConfigPath());
        settings_.applyTo(config);
        startRun(config);
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot start the default run"), e.message());
    }
}

void MainWindow::showShortcuts()
{
    QString rows;
    for (const QMenu *menu : menuBar()->findChildren<QMenu *>())
        for (const QAction *action : menu->actions())
            if (!action->shortcut().isEmpty())
                rows += QStringLiteral("<tr><td><b>%1</b></td><td>%2</td></tr>")
                            .arg(action->shortcut().toString(QKeySequence::NativeText).toHtmlEscaped(), action->text().remove(QLatin1Char('&')).toHtmlEscaped());
    QMessageBox::information(this, QStringLiteral("Keyboard shortcuts"),
                             QStringLiteral("<table cellspacing=6>%1</table><p>In the labeling view the digit keys (or the keys set in "
                                            "<i>Settings</i>) label the current image; Tab walks every control.</p>")
                                 .arg(rows));
}

void MainWindow::showWhereThingsAre()
{
    const QString readme = WelcomePanel::readmePath();
    QMessageBox::information(this, QStringLiteral("Where things are"),
                             QStringLiteral("<p><b>Store</b> (every run, its samples, labels and figures): <code>%1</code></p>"
                                            "<p><b>Caches and artifacts</b> (embeddings, checkpoints, kept models): <code>%2</code></p>"
                                            "<p><b>Settings</b>: <code>%3</code></p><p><b>README</b>: %4</p>")
                                 .arg(databasePath_.toHtmlEscaped(), Database::cacheDirectoryOf(databasePath_).toHtmlEscaped(),
                                      QSettings().fileName().toHtmlEscaped(),
                                      readme.isEmpty() ? QStringLiteral("not installed here") : QStringLiteral("<code>%1</code>").arg(readme.toHtmlEscaped())));
}

LivePowerPlot *MainWindow::livePlot() const
{
    return livePage_->powerPlot();
}

void MainWindow::newRunFromPage(const RunPage *page, const QJsonObject &stored)
{
    try {
        runNewRunDialog(RunConfig::fromJsonText(QJsonDocument(stored).toJson().toStdString(),
                                                page->runId() > 0 ? QStringLiteral("run %1 in %2").arg(page->runId()).arg(databasePath_)
                                                                  : QStringLiteral("the running run's config")));
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot read the run's config"), e.message());
    }
}

void MainWindow::clearRunPanel()
{
    predictionText_->clear();
    progress_->setValue(0);
}

void MainWindow::cancelRun()
{
    const int active = runQueue_->activeId();
    if (active == 0)
        return;
    const bool running = runQueue_->isRunning();
    runQueue_->cancel(active);
    if (!running)
        return;
    cancelButton_->setEnabled(false);
    progressText_->setText(QStringLiteral("Cancelling…"));
    jobsPanel_->setState(panelJobs_.value(active), QStringLiteral("Cancelling…"));
}

void MainWindow::onPowerSample(const PowerSample &sample)
{
    livePlot()->setProvenance(sample.source == QStringLiteral("measured") ? QStringLiteral("measured (hardware counters)")
                                                                         : QStringLiteral("estimated (a model fills in what no counter measures)"));
    livePage_->addLiveSample(sample);
    if (sample.intensityGPerKwh > 0)
        showIntensity(sample.intensityGPerKwh, QStringLiteral("in force for the running run (its energy source: %1)").arg(sample.source),
                      QStringLiteral("running run"));
    labelingView_->setEmissions(sample.emissionsG);
}

void MainWindow::onProgress(double fraction, const QString &message)
{
    progress_->setValue(int(fraction * 1000));
    progressText_->setText(message);
    jobsPanel_->setProgress(activeJobId(), fraction, message);
    if (!waitingForPerson_)
        jobsPanel_->setTimeLeft(activeJobId(), TimeLeft::estimateS(activeClock_.elapsed() / 1000.0, fraction, predictedDurationS_));
}

void MainWindow::onRunFinished(int id, const RunSummary &summary)
{
    // The figure the run just made was computed with stays in view (until the settings change or
    // the next run); the tooltip says what new runs will use.
    if (summary.runId > 0 && summary.intensityGPerKwh > 0)
        showIntensity(summary.intensityGPerKwh,
                      QStringLiteral("in force for run %1 (%2); new runs use the settings' region").arg(summary.runId).arg(summary.intensityOrigin),
                      QStringLiteral("run %1").arg(summary.runId));
    else
        showSettingsIntensity();
    if (runQueue_->configOf(id).value_or(lastConfig_).activeLearning.enabled)
        labelingView_->runEnded(summary.status);
    setRunActive(false);
    const QString outcome = summary.status == QStringLiteral("failed")
                                ? QStringLiteral("Run %1 failed: %2").arg(summary.runId).arg(summary.error)
                                : QStringLiteral("Run %1 %2: accuracy %3, %4 Wh (%5), %6 g CO₂e at %7 g/kWh")
                                      .arg(summary.runId)
                                      .arg(summary.status)
                                      .arg(summary.accuracyEvaluated ? QStringLiteral("%1 %").arg(summary.accuracy * 100, 0, 'f', 2) : QStringLiteral("not evaluated"))
                                      .arg(summary.energyKwh * 1000, 0, 'f', 4)
                                      .arg(summary.energySource)
                                      .arg(summary.emissionsG, 0, 'f', 4)
                                      .arg(summary.intensityGPerKwh, 0, 'f', 0);
    progressText_->setText(outcome);
    // What the run cost replaces what was predicted for it.
    if (summary.runId > 0)
        predictionText_->setText(QStringLiteral("The whole run: %1 Wh, %2 s, %3 g CO₂e (%4 energy)%5")
                                     .arg(summary.energyKwh * 1000, 0, 'g', 3)
                                     .arg(summary.durationS, 0, 'f', 1)
                                     .arg(summary.emissionsG, 0, 'f', 4)
                                     .arg(summary.energySource)
                                     .arg(summary.predictedEnergyKwh ? QStringLiteral("; last predicted %1 Wh").arg(*summary.predictedEnergyKwh * 1000, 0, 'f', 3)
                                                                     : QString()));
    if (summary.runId > 0) {
        // The live view becomes the run's stored page: phases, hardware and kept models join it.
        try {
            showStoredRun(livePage_, summary.runId);
        } catch (const Error &e) {
            statusBar()->showMessage(e.message(), 15000);
        }
    }
    const int jobId = panelJobs_.take(id);
    if (summary.status == QStringLiteral("completed"))
        jobsPanel_->setProgress(jobId, 1.0, QString());
    jobsPanel_->setFinished(jobId, outcome);
    refreshRuns();
    Q_EMIT runFinished(summary);
}

void MainWindow::setRunActive(bool active)
{
    // No percentage on the bar while no run goes: "0%" of nothing reads as a stuck run.
    progress_->setTextVisible(active || progress_->value() > 0);
    if (active) {
        runsArea_->setCurrentWidget(runsView_->parentWidget());
        runPanel_->show();
    }
    // New runs stay possible: they queue behind the active one.
    cancelButton_->setEnabled(active);
}

} // namespace gw
