#include "CompareView.h"

#include "CompareReport.h"
#include "CompareTableModel.h"
#include "ParetoPlot.h"
#include "report/ResultAxes.h"
#include "PlotExport.h"
#include "RunCurvesPlot.h"
#include "Error.h"
#include "util/Files.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDoubleSpinBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSplitter>
#include <QTabWidget>
#include <QTableView>
#include <QVBoxLayout>

namespace gw {

CompareView::CompareView(QWidget *parent)
    : QWidget(parent), model_(new CompareTableModel(this)), table_(new QTableView), pareto_(new ParetoPlot),
      byLabels_(new RunCurvesPlot(RunCurvesPlot::Axis::Labels)), byEnergy_(new RunCurvesPlot(RunCurvesPlot::Axis::EnergyWh)),
      phases_(new PhaseBarsPlot), tabs_(new QTabWidget), scoreKind_(new QComboBox), objective_(new QComboBox), cost_(new QComboBox),
      weight_(new QDoubleSpinBox), chargeReused_(new QCheckBox(QStringLiteral("C&harge reused embeddings"))), summary_(new QLabel)
{
    tabs_->addTab(pareto_, QStringLiteral("Pareto"));
    tabs_->addTab(byLabels_, QStringLiteral("Accuracy vs labels"));
    tabs_->addTab(byEnergy_, QStringLiteral("Accuracy vs energy"));
    tabs_->addTab(phases_, QStringLiteral("Energy per phase"));
    auto *proxy = new QSortFilterProxyModel(this);
    proxy->setSourceModel(model_);
    proxy->setSortRole(Qt::UserRole);
    table_->setModel(proxy);
    table_->setSortingEnabled(true);
    table_->setTabKeyNavigation(false); // Tab leaves the table (arrows move between cells): no keyboard trap
    table_->setAlternatingRowColors(true);
    // The run is the row's header, which does not scroll away with the parameters on the right;
    // its column would say it twice.
    table_->verticalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->setColumnHidden(0, true);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);

    scoreKind_->addItem(QStringLiteral("Accuracy per gram CO₂e"), int(RunComparison::Score::Kind::AccuracyPerGram));
    scoreKind_->addItem(QStringLiteral("Accuracy − weight × CO₂e / most CO₂e"), int(RunComparison::Score::Kind::Weighted));
    scoreKind_->setToolTip(QStringLiteral("How the green leaderboard ranks runs: accuracy (0-1) per gram of CO₂e, or accuracy minus the "
                                          "weight times the run's CO₂e as a share of the largest among the compared runs"));
    weight_->setRange(0, 10);
    weight_->setSingleStep(0.1);
    weight_->setValue(0.5);
    weight_->setPrefix(QStringLiteral("weight "));
    connect(scoreKind_, &QComboBox::currentIndexChanged, this, &CompareView::updateScore);
    connect(weight_, &QDoubleSpinBox::valueChanged, this, &CompareView::updateScore);
    chargeReused_->setObjectName(QStringLiteral("chargeReused"));
    chargeReused_->setToolTip(QStringLiteral("A run that found its embeddings in the cache spent nothing on them: another run paid. "
                                             "Checked, the score adds that CO₂e to the run's own, as if it had computed them itself."));
    connect(chargeReused_, &QCheckBox::toggled, this, &CompareView::updateScore);
    // One button for both exports: a dock is often narrow, and the leaderboard's controls come first.
    auto *exportButton = new QPushButton(QStringLiteral("E&xport"));
    exportButton->setObjectName(QStringLiteral("compareExport"));
    auto *exportMenu = new QMenu(exportButton);
    exportMenu->addAction(QStringLiteral("The &table (CSV)…"), this, &CompareView::askAndExportTable);
    exportMenu->addAction(QStringLiteral("The &plot shown (PNG, SVG or PDF)…"), this, &CompareView::askAndExportPlot);
    exportButton->setMenu(exportMenu);
    auto *reportButton = new QPushButton(QStringLiteral("Report…"));
    reportButton->setToolTip(QStringLiteral("HTML or PDF report of the compared runs: table, plots, settings, energy, CO₂e, model cards"));
    connect(reportButton, &QPushButton::clicked, this, &CompareView::askAndExportReport);

    objective_->setObjectName(QStringLiteral("paretoObjective"));
    objective_->setSizeAdjustPolicy(QComboBox::AdjustToContents); // filled per comparison: as wide as its titles
    cost_->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    cost_->setObjectName(QStringLiteral("paretoCost"));
    objective_->setToolTip(QStringLiteral("The Pareto plot's vertical axis: an objective the compared runs' kinds report"));
    cost_->setToolTip(QStringLiteral("The Pareto plot's horizontal axis: a cost the compared runs' kinds report"));
    connect(objective_, &QComboBox::currentIndexChanged, this, &CompareView::updatePareto);
    connect(cost_, &QComboBox::currentIndexChanged, this, &CompareView::updatePareto);
    auto *axes = new QHBoxLayout;
    axes->addWidget(new QLabel(QStringLiteral("Pareto plot:")));
    axes->addWidget(objective_);
    axes->addWidget(new QLabel(QStringLiteral("against")));
    axes->addWidget(cost_);
    axes->addStretch(1);
    axes->addWidget(exportButton);
    axes->addWidget(reportButton);

    // The score's choice may shrink to a few letters in a narrow dock; its tooltip says it whole.
    scoreKind_->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    scoreKind_->setMinimumContentsLength(14);
    auto *controls = new QHBoxLayout;
    controls->addWidget(new QLabel(QStringLiteral("Leaderboard score:")));
    controls->addWidget(scoreKind_, 1);
    controls->addWidget(weight_);
    controls->addWidget(chargeReused_);

    summary_->setWordWrap(true);
    // However many runs the table lists, the plots keep their height: neither side collapses.
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(table_);
    splitter->addWidget(tabs_);
    splitter->setChildrenCollapsible(false);
    table_->setMinimumHeight(120);
    splitter->setStretchFactor(0, 1);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(controls);
    layout->addLayout(axes);
    layout->addWidget(summary_);
    layout->addWidget(splitter, 1);
    updateScore();
}

void CompareView::setRuns(const QList<RunRecord> &runs, const std::vector<RunSeries> &series)
{
    results_.clear();
    for (const RunSeries &s : series)
        results_.insert(s.runId, s.results);
    QMap<qint64, RunComparison::ReusedCost> reused;
    for (const RunRecord &run : runs)
        if (const std::optional<RunComparison::ReusedCost> cost = RunComparison::ReusedCost::of(run, results_.value(run.id)))
            reused.insert(run.id, *cost);
    model_->setRuns(runs, reused);
    table_->setColumnHidden(0, true); // a reset model shows every column again
    axes_ = ResultAxes::of(runs);
    const auto [objective, cost] = ResultAxes::defaults(axes_, runs);
    {
        const QSignalBlocker quietObjective(objective_), quietCost(cost_);
        objective_->clear();
        cost_->clear();
        for (const ResultMetric &m : axes_)
            (m.objective ? objective_ : cost_)->addItem(m.unit.isEmpty() ? m.title : QStringLiteral("%1 (%2)").arg(m.title, m.unit), m.name);
        objective_->setCurrentIndex(std::max(0, objective_->findData(objective)));
        cost_->setCurrentIndex(std::max(0, cost_->findData(cost)));
    }
    updatePareto();
    byLabels_->setSeries(series);
    byEnergy_->setSeries(series);
    phases_->setSeries(series);
    updateScore();
    table_->sortByColumn(CompareTableModel::scoreColumn(), Qt::DescendingOrder); // the leaderboard: best score first
}

void CompareView::updatePareto()
{
    const ResultMetric *objective = ResultAxes::find(axes_, objective_->currentData().toString());
    const ResultMetric *cost = ResultAxes::find(axes_, cost_->currentData().toString());
    if (!objective || !cost) {
        pareto_->setPoints({}, ResultMetric{QStringLiteral("emissions_g"), QStringLiteral("CO₂e"), QStringLiteral("g"), false, false},
                           ResultMetric{QStringLiteral("accuracy"), QStringLiteral("test accuracy"), QString(), true, true});
        return;
    }
    std::vector<ParetoPoint> points;
    for (const RunRecord &run : model_->comparison().runs()) {
        const QMap<QString, double> results = results_.value(run.id);
        const std::optional<double> y = ResultAxes::value(run, results, objective->name), x = ResultAxes::value(run, results, cost->name);
        if (x && y)
            points.push_back({run.id, *x, *y, run.energySource});
    }
    pareto_->setPoints(points, *cost, *objective);
    tabs_->setTabText(tabs_->indexOf(pareto_), QStringLiteral("Pareto: %1 vs %2").arg(objective->title, cost->title));
}

void CompareView::updateScore()
{
    RunComparison::Score score;
    score.kind = RunComparison::Score::Kind(scoreKind_->currentData().toInt());
    score.weight = weight_->value();
    score.chargeReused = chargeReused_->isChecked();
    weight_->setEnabled(score.kind == RunComparison::Score::Kind::Weighted);
    model_->setScore(score);
    const std::vector<int> order = model_->comparison().leaderboard(score);
    const std::vector<bool> frontier = model_->comparison().paretoFrontier();
    const int onFrontier = int(std::count(frontier.begin(), frontier.end(), true));
    int reusing = 0;
    for (int row = 0; row < model_->rowCount(); ++row)
        reusing += model_->comparison().reused(row).has_value();
    const QString reusedNote =
        reusing == 0 ? QString()
                     : QStringLiteral(" %1 reused embeddings another run paid for (Reused CO₂e); %2.")
                           .arg(reusing == 1 ? QStringLiteral("One run") : QStringLiteral("%1 runs").arg(reusing),
                                score.chargeReused ? QStringLiteral("the score charges them") : QStringLiteral("the score does not charge them"));
    summary_->setText(order.empty() ? QStringLiteral("Select runs in the runs table and choose Compare.")
                                    : QStringLiteral("%1 %2, %3 on the Pareto frontier of accuracy against CO₂e; greenest by this score: run %4 (%5).%6")
                                          .arg(model_->rowCount())
                                          .arg(model_->rowCount() == 1 ? QStringLiteral("run") : QStringLiteral("runs"))
                                          .arg(onFrontier)
                                          .arg(model_->comparison().runs().at(order.front()).id)
                                          .arg(model_->comparison().runs().at(order.front()).name, reusedNote));
}

bool CompareView::exportTable(const QString &path, QString *error) const
{
    try {
        AtomicFile::writeWhole(path, model_->toCsv(), QStringLiteral("the comparison table"));
        return true;
    } catch (const Error &e) {
        if (error)
            *error = e.message();
        return false;
    }
}

QList<QCustomPlot *> CompareView::plots() const
{
    return {pareto_->plot(), byLabels_->plot(), byEnergy_->plot(), phases_->plot()};
}

QStringList CompareView::plotTitles() const
{
    QStringList titles;
    for (int i = 0; i < tabs_->count(); ++i)
        titles << tabs_->tabText(i);
    return titles;
}

bool CompareView::exportPlot(const QString &path, int tab, QString *error)
{
    const QList<QCustomPlot *> all = plots();
    const int index = tab < 0 ? tabs_->currentIndex() : tab;
    if (index < 0 || index >= all.size()) {
        if (error)
            *error = QStringLiteral("there is no plot %1").arg(index);
        return false;
    }
    return savePlot(all.at(index), path, 800, 500, error);
}

bool CompareView::exportReport(const QString &path, QString *error) const
{
    QMap<qint64, QString> cards;
    if (modelCardSource_)
        for (const RunRecord &run : model_->comparison().runs())
            if (const QString card = modelCardSource_(run.id); !card.isEmpty())
                cards.insert(run.id, card);
    return CompareReport::write(*this, cards, path, error);
}

void CompareView::askAndExportReport()
{
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Report of the compared runs"), QStringLiteral("report.html"),
                                                      QStringLiteral("HTML (*.html);;PDF (*.pdf)"));
    QString error;
    if (!path.isEmpty() && !exportReport(path, &error))
        QMessageBox::warning(this, QStringLiteral("Cannot write the report"), error);
}

void CompareView::askAndExportTable()
{
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export the comparison"), QStringLiteral("comparison.csv"),
                                                      QStringLiteral("CSV (*.csv)"));
    QString error;
    if (!path.isEmpty() && !exportTable(path, &error))
        QMessageBox::warning(this, QStringLiteral("Cannot export"), error);
}

void CompareView::askAndExportPlot()
{
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Export the plot shown"), QStringLiteral("plot.png"),
                                                      QStringLiteral("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
    QString error;
    if (!path.isEmpty() && !exportPlot(path, -1, &error))
        QMessageBox::warning(this, QStringLiteral("Cannot export"), error);
}

} // namespace gw
