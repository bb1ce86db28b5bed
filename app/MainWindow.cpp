#include "MainWindow.h"

#include "Error.h"
#include "LivePowerPlot.h"
#include "NewRunDialog.h"
#include "RunsTableModel.h"
#include "jobs/JobRunner.h"
#include "jobs/RunJob.h"
#include "store/Database.h"
#include "store/RunRepository.h"

#include <QAction>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenuBar>
#include <QMessageBox>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

namespace gw {

MainWindow::MainWindow(QString databasePath, QWidget *parent)
    : QMainWindow(parent), databasePath_(std::move(databasePath)), runsModel_(new RunsTableModel(this)),
      runsView_(new QTableView), livePlot_(new LivePowerPlot), progress_(new QProgressBar), progressText_(new QLabel), predictionText_(new QLabel),
      newRunButton_(new QPushButton(QStringLiteral("&New run…"))), cancelButton_(new QPushButton(QStringLiteral("&Cancel run")))
{
    setWindowTitle(QStringLiteral("Green AI Workbench"));
    resize(1100, 720);

    runsView_->setObjectName(QStringLiteral("runsView"));
    runsView_->setModel(runsModel_);
    runsView_->setSelectionBehavior(QAbstractItemView::SelectRows);
    runsView_->setAlternatingRowColors(true);
    runsView_->verticalHeader()->hide();
    runsView_->horizontalHeader()->setStretchLastSection(true);

    auto *runPanel = new QWidget;
    auto *runLayout = new QVBoxLayout(runPanel);
    auto *controls = new QHBoxLayout;
    controls->addWidget(newRunButton_);
    controls->addWidget(progress_, 1);
    controls->addWidget(cancelButton_);
    runLayout->addLayout(controls);
    runLayout->addWidget(progressText_);
    runLayout->addWidget(predictionText_);
    runLayout->addWidget(livePlot_, 1);
    progress_->setRange(0, 1000);
    progress_->setValue(0);
    progress_->setFormat(QStringLiteral("%p%"));
    progress_->setObjectName(QStringLiteral("runProgress"));
    cancelButton_->setObjectName(QStringLiteral("cancelButton"));
    livePlot_->setProvenance(QStringLiteral("Power is estimated from CPU time x TDP until hardware counters are read."));

    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(runsView_);
    splitter->addWidget(runPanel);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 3);
    setCentralWidget(splitter);

    QMenu *fileMenu = menuBar()->addMenu(QStringLiteral("&File"));
    QAction *openAction = fileMenu->addAction(QStringLiteral("&Open store…"), this, &MainWindow::openStore);
    openAction->setShortcut(QKeySequence::Open);
    QAction *newAction = fileMenu->addAction(QStringLiteral("&New run…"), this, &MainWindow::showNewRunDialog);
    newAction->setShortcut(QKeySequence::New);
    QAction *refreshAction = fileMenu->addAction(QStringLiteral("&Refresh runs"), this, &MainWindow::refreshRuns);
    refreshAction->setShortcut(QKeySequence::Refresh);
    fileMenu->addSeparator();
    fileMenu->addAction(QStringLiteral("&Quit"), this, &QWidget::close)->setShortcut(QKeySequence::Quit);

    connect(newRunButton_, &QPushButton::clicked, this, &MainWindow::showNewRunDialog);
    connect(cancelButton_, &QPushButton::clicked, this, &MainWindow::cancelRun);
    setRunActive(false);
    refreshRuns();
}

MainWindow::~MainWindow() = default;

void MainWindow::refreshRuns()
{
    try {
        Database db(databasePath_);
        runsModel_->setRuns(RunRepository(db).listRuns());
        runsView_->resizeColumnsToContents();
        statusBar()->showMessage(QStringLiteral("Store: %1 (%2 runs)").arg(databasePath_).arg(runsModel_->rowCount()));
    } catch (const Error &e) {
        runsModel_->setRuns({});
        statusBar()->showMessage(e.message());
        QMessageBox::warning(this, QStringLiteral("Cannot read the store"), e.message());
    }
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

void MainWindow::showNewRunDialog()
{
    NewRunDialog dialog(lastConfig_, this);
    if (dialog.exec() == QDialog::Accepted)
        startRun(dialog.config());
}

bool MainWindow::startRun(const RunConfig &config)
{
    if (runner_)
        return false;
    lastConfig_ = config;
    auto *job = new RunJob(config, databasePath_);
    runner_ = std::make_unique<JobRunner>(job);
    connect(job, &RunJob::powerSampled, this, &MainWindow::onPowerSample);
    connect(job, &RunJob::progressed, this, &MainWindow::onProgress);
    connect(job, &RunJob::runCreated, this, &MainWindow::refreshRuns);
    connect(job, &RunJob::finished, this, &MainWindow::onRunFinished);
    connect(job, &RunJob::noticed, this, [this](const QString &message) { statusBar()->showMessage(message, 15000); });
    connect(job, &RunJob::predicted, this, [this](const QVariantMap &p) {
        predictionText_->setText(QStringLiteral("Predicted for the whole run: %1 Wh, %2 s, %3 g CO₂e (estimated from %4 % done)")
                                     .arg(p.value(QStringLiteral("energy_kwh")).toDouble() * 1000, 0, 'f', 3)
                                     .arg(p.value(QStringLiteral("duration_s")).toDouble(), 0, 'f', 0)
                                     .arg(p.value(QStringLiteral("emissions_g")).toDouble(), 0, 'f', 4)
                                     .arg(p.value(QStringLiteral("fraction_done")).toDouble() * 100, 0, 'f', 0));
    });
    livePlot_->clear();
    predictionText_->clear();
    progress_->setValue(0);
    progressText_->setText(QStringLiteral("Starting %1…").arg(config.name));
    setRunActive(true);
    runner_->start();
    return true;
}

void MainWindow::cancelRun()
{
    if (!runner_)
        return;
    runner_->cancel();
    cancelButton_->setEnabled(false);
    progressText_->setText(QStringLiteral("Cancelling…"));
}

void MainWindow::onPowerSample(const PowerSample &sample)
{
    livePlot_->setProvenance(sample.source == QStringLiteral("measured") ? QStringLiteral("measured (hardware counters)")
                                                                        : QStringLiteral("estimated (a model fills in what no counter measures)"));
    livePlot_->addSample(sample.elapsedS, sample.totalPowerW, sample.energyJ / 3600.0);
}

void MainWindow::onProgress(double fraction, const QString &message)
{
    progress_->setValue(int(fraction * 1000));
    progressText_->setText(message);
}

void MainWindow::onRunFinished(const RunSummary &summary)
{
    // The job's thread is ending; joining it here is quick and frees the runner for the next run.
    runner_.reset();
    setRunActive(false);
    progressText_->setText(summary.status == QStringLiteral("failed")
                               ? QStringLiteral("Run %1 failed: %2").arg(summary.runId).arg(summary.error)
                               : QStringLiteral("Run %1 %2: accuracy %3 %, %4 Wh (%5), %6 g CO₂ at %7 g/kWh")
                                     .arg(summary.runId)
                                     .arg(summary.status)
                                     .arg(summary.accuracy * 100, 0, 'f', 2)
                                     .arg(summary.energyKwh * 1000, 0, 'f', 4)
                                     .arg(summary.energySource)
                                     .arg(summary.emissionsG, 0, 'f', 4)
                                     .arg(summary.intensityGPerKwh, 0, 'f', 0));
    refreshRuns();
    Q_EMIT runFinished(summary);
}

void MainWindow::setRunActive(bool active)
{
    newRunButton_->setEnabled(!active);
    cancelButton_->setEnabled(active);
}

} // namespace gw
