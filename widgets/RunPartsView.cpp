#include "RunPartsView.h"

#include "ParetoPlot.h"
#include "PlotExport.h"
#include "QCustomPlotInclude.h"

#include <QComboBox>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QTableWidget>
#include <QVBoxLayout>
#include <cmath>

namespace gw {

namespace {

/// A stored figure as an axis shows it: its name in words and which way is better.
ResultMetric metricOf(const QString &name)
{
    static const QMap<QString, QPair<QString, QString>> known{
        {QStringLiteral("accuracy"), {QStringLiteral("test accuracy"), QString()}},
        {QStringLiteral("energy_per_1k_inferences_j"), {QStringLiteral("energy per 1,000 inferences"), QStringLiteral("J")}},
        {QStringLiteral("latency_ms_batch1"), {QStringLiteral("latency at batch 1"), QStringLiteral("ms")}},
        {QStringLiteral("throughput_batch64"), {QStringLiteral("throughput at batch 64"), QStringLiteral("images/s")}},
        {QStringLiteral("file_bytes"), {QStringLiteral("file size"), QStringLiteral("bytes")}},
        {QStringLiteral("compression_energy_j"), {QStringLiteral("energy to make it"), QStringLiteral("J")}},
        {QStringLiteral("held_out_accuracy"), {QStringLiteral("accuracy on its held-out share"), QString()}},
        {QStringLiteral("modelled_co2e_g"), {QStringLiteral("CO₂e, modelled"), QStringLiteral("g")}},
        {QStringLiteral("modelled_energy_j"), {QStringLiteral("device energy, modelled"), QStringLiteral("J")}},
        {QStringLiteral("machine_energy_j"), {QStringLiteral("this machine's energy simulating it"), QStringLiteral("J")}},
        {QStringLiteral("selected"), {QStringLiteral("times selected"), QString()}},
        {QStringLiteral("dropped"), {QStringLiteral("times dropped"), QString()}},
        {QStringLiteral("kept"), {QStringLiteral("rounds taken part in"), QString()}},
        {QStringLiteral("host_energy_j"), {QStringLiteral("energy, measured on the host"), QStringLiteral("J")}},
        {QStringLiteral("host_co2e_g"), {QStringLiteral("CO₂e, its measured energy at its grid"), QStringLiteral("g")}},
        {QStringLiteral("online"), {QStringLiteral("online (1: yes)"), QString()}},
        {QStringLiteral("last_seen_s_ago"), {QStringLiteral("last seen"), QStringLiteral("s ago")}},
    };
    const auto it = known.constFind(name);
    ResultMetric m;
    m.name = name;
    m.title = it != known.cend() ? it->first : QString(name).replace(QLatin1Char('_'), QLatin1Char(' '));
    m.unit = it != known.cend() ? it->second : QString();
    // A host's rounds taken part in are what its energy bought, as a client's accuracy is.
    m.higherIsBetter = name.contains(QLatin1String("accuracy")) || name.contains(QLatin1String("throughput")) || name == QLatin1String("kept");
    m.objective = m.higherIsBetter;
    return m;
}

QString cell(double value)
{
    // Counts (bytes, parameters, multiply-adds) whole and grouped, "832,160" rather than "8.3216e+05".
    if (std::abs(value) >= 1000 && value == std::floor(value) && std::abs(value) < 1e15)
        return QLocale(QLocale::English).toString(qint64(value));
    return QString::number(value, 'g', 5);
}

} // namespace

RunPartsView::RunPartsView(QWidget *parent)
    : QWidget(parent), table_(new QTableWidget), provenance_(new QLabel), objective_(new QComboBox), cost_(new QComboBox), plot_(new ParetoPlot)
{
    table_->setObjectName(QStringLiteral("partsTable"));
    table_->setMinimumHeight(60);
    plot_->plot()->setMinimumHeight(150);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setAlternatingRowColors(true);
    table_->setTabKeyNavigation(false);
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    objective_->setObjectName(QStringLiteral("partsObjective"));
    cost_->setObjectName(QStringLiteral("partsCost"));
    // Long figure names ("accuracy on its held-out share") may shrink: a run's page must fit a dock.
    for (QComboBox *axis : {objective_, cost_}) {
        axis->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
        axis->setMinimumContentsLength(8);
    }
    // "energy: measured" gives way first when the dock is narrow; its tooltip keeps the whole of it.
    provenance_->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    connect(objective_, &QComboBox::currentIndexChanged, this, &RunPartsView::updatePlot);
    connect(cost_, &QComboBox::currentIndexChanged, this, &RunPartsView::updatePlot);
    auto *exportButton = new QPushButton(tr("Export plot…"));
    connect(exportButton, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, tr("Export the plot"), QStringLiteral("parts.png"), tr("PNG (*.png);;SVG (*.svg);;PDF (*.pdf)"));
        if (!path.isEmpty() && !plot_->save(path))
            QMessageBox::warning(this, tr("Cannot export"), tr("%1: cannot be written").arg(path));
    });
    auto *axes = new QHBoxLayout;
    axes->addWidget(new QLabel(tr("Plot:")));
    axes->addWidget(objective_);
    axes->addWidget(new QLabel(tr("against")));
    axes->addWidget(cost_);
    axes->addStretch(1);
    axes->addWidget(provenance_); // one line: a run page with parts is no taller than one without
    axes->addWidget(exportButton);
    auto *splitter = new QSplitter(Qt::Vertical);
    splitter->addWidget(table_);
    splitter->addWidget(plot_);
    splitter->setChildrenCollapsible(false);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(axes);
    layout->addWidget(splitter, 1);
}

void RunPartsView::setParts(const std::vector<RunReport::Part> &parts, const QString &energySource, const QMap<QString, QString> &descriptions)
{
    provenance_->setText(energySource.isEmpty() ? QString() : tr("energy: %1").arg(energySource));
    provenance_->setToolTip(energySource.isEmpty() ? QString()
                                                   : tr("Energy figures are %1 (the run's energy source); every part was measured in the same run, "
                                                        "the same way.")
                                                         .arg(energySource));
    parts_ = parts;
    QStringList names;
    for (const RunReport::Part &p : parts)
        for (auto it = p.figures.constBegin(); it != p.figures.constEnd(); ++it)
            if (!names.contains(it.key()))
                names << it.key();
    // Accuracy and the energy per inference (a client's CO2e) first: what a person compares parts by.
    for (const QString &first : {QStringLiteral("modelled_co2e_g"), QStringLiteral("energy_per_1k_inferences_j"), QStringLiteral("held_out_accuracy"),
                                 QStringLiteral("accuracy")})
        if (names.removeAll(first) > 0)
            names.prepend(first);
    table_->clear();
    table_->setRowCount(int(parts.size()));
    const bool described = !descriptions.isEmpty();
    table_->setColumnCount(int(names.size()) + (described ? 1 : 0));
    QStringList headers;
    for (const QString &n : names) {
        const ResultMetric m = metricOf(n);
        headers << (m.unit.isEmpty() ? m.title : QStringLiteral("%1 (%2)").arg(m.title, m.unit));
    }
    if (described)
        headers << tr("What it is");
    table_->setHorizontalHeaderLabels(headers);
    QStringList rows;
    for (int r = 0; r < int(parts.size()); ++r) {
        rows << parts[std::size_t(r)].scope;
        for (int c = 0; c < names.size(); ++c) {
            const auto it = parts[std::size_t(r)].figures.constFind(names[c]);
            auto *item = new QTableWidgetItem(it == parts[std::size_t(r)].figures.cend() ? QStringLiteral("–") : cell(*it));
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
            table_->setItem(r, c, item);
        }
        if (described) {
            const QString text = descriptions.value(parts[std::size_t(r)].scope);
            auto *item = new QTableWidgetItem(text);
            item->setToolTip(text);
            table_->setItem(r, int(names.size()), item);
        }
    }
    table_->setVerticalHeaderLabels(rows);
    // A person's choice of axes stays while the same parts are refreshed (a live run's clients).
    const QString chosenObjective = objective_->currentData().toString(), chosenCost = cost_->currentData().toString();
    {
        const QSignalBlocker a(objective_), b(cost_);
        objective_->clear();
        cost_->clear();
        for (const QString &n : names)
            (metricOf(n).objective ? objective_ : cost_)->addItem(metricOf(n).title, n);
    }
    // "variant 2-quantize" is a variant, "client 17" a client: the legend says which.
    plot_->setPointNoun(parts.empty() ? QStringLiteral("part") : parts.front().scope.section(QLatin1Char(' '), 0, 0));
    const QString cost = names.contains(QStringLiteral("energy_per_1k_inferences_j")) ? QStringLiteral("energy_per_1k_inferences_j")
                         : names.contains(QStringLiteral("host_co2e_g"))             ? QStringLiteral("host_co2e_g")
                                                                                     : QStringLiteral("modelled_co2e_g");
    setAxes(names.contains(chosenObjective) ? chosenObjective : QStringLiteral("accuracy"), names.contains(chosenCost) ? chosenCost : cost);
}

void RunPartsView::setAxes(const QString &objective, const QString &cost)
{
    const QSignalBlocker a(objective_), b(cost_);
    objective_->setCurrentIndex(std::max(0, objective_->findData(objective)));
    cost_->setCurrentIndex(std::max(0, cost_->findData(cost)));
    updatePlot();
}

void RunPartsView::updatePlot()
{
    const QString y = objective_->currentData().toString(), x = cost_->currentData().toString();
    std::vector<ParetoPoint> points;
    for (const RunReport::Part &p : parts_) {
        if (!p.figures.contains(x) || !p.figures.contains(y))
            continue;
        ParetoPoint point;
        point.cost = p.figures.value(x);
        point.objective = p.figures.value(y);
        point.label = p.scope.section(QLatin1Char(' '), 1); // "variant 2-quantize" -> "2-quantize"
        if (point.label.isEmpty())
            point.label = p.scope;
        points.push_back(point);
    }
    plot_->setPoints(points, metricOf(x), metricOf(y));
}

} // namespace gw
