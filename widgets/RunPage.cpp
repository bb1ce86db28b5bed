#include "RunPage.h"

#include "LivePowerPlot.h"
#include "PlotTheme.h"
#include "QCustomPlotInclude.h"

#include <QDir>
#include <QHeaderView>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>
#include <algorithm>
#include <map>

namespace gw {

namespace {

QPlainTextEdit *readOnlyText()
{
    auto *text = new QPlainTextEdit;
    text->setReadOnly(true);
    text->setLineWrapMode(QPlainTextEdit::NoWrap);
    return text;
}

/// The figures of the run's steps worth a curve, in the order a person reads them.
const QStringList &curveNames()
{
    static const QStringList names{QStringLiteral("train_loss"), QStringLiteral("train_accuracy"), QStringLiteral("val_accuracy"),
                                   QStringLiteral("test_accuracy"), QStringLiteral("contrastive_loss"), QStringLiteral("al_test_accuracy"),
                                   QStringLiteral("al_val_accuracy")};
    return names;
}

} // namespace

RunPage::RunPage(QWidget *parent)
    : QWidget(parent), tabs_(new QTabWidget), summary_(new QLabel), power_(new LivePowerPlot), curves_(new QCustomPlot),
      phases_(new QTableWidget(0, 4)), configText_(readOnlyText()), hardware_(readOnlyText()), artifacts_(new QTableWidget(0, 5))
{
    setObjectName(QStringLiteral("runPage"));
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    summary_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    tabs_->addTab(summary_, tr("Summary"));
    tabs_->addTab(power_, tr("Power and energy"));
    curves_->setInteractions(QCP::iRangeDrag | QCP::iRangeZoom | QCP::iSelectPlottables);
    curves_->xAxis->setLabel(tr("epoch or round"));
    curves_->legend->setVisible(true);
    followPalette(curves_);
    tabs_->addTab(curves_, tr("Curves"));
    phases_->setHorizontalHeaderLabels({tr("Phase"), tr("Energy (Wh)"), tr("Time (s)"), tr("Share of energy")});
    phases_->verticalHeader()->hide();
    phases_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    phases_->horizontalHeader()->setStretchLastSection(true);
    tabs_->addTab(phases_, tr("Energy per phase"));
    auto *configPage = new QWidget;
    auto *configLayout = new QVBoxLayout(configPage);
    auto *again = new QPushButton(tr("&New run from this…"));
    again->setObjectName(QStringLiteral("newRunFromThis"));
    connect(again, &QPushButton::clicked, this, [this] { Q_EMIT newRunRequested(config_); });
    configLayout->addWidget(again, 0, Qt::AlignLeft);
    configLayout->addWidget(configText_, 1);
    tabs_->addTab(configPage, tr("Config"));
    tabs_->addTab(hardware_, tr("Hardware"));
    artifacts_->setHorizontalHeaderLabels({tr("Role"), tr("Format"), tr("Bytes"), tr("Parameters"), tr("File")});
    artifacts_->verticalHeader()->hide();
    artifacts_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    artifacts_->horizontalHeader()->setStretchLastSection(true);
    tabs_->addTab(artifacts_, tr("Kept models"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(tabs_);
}

QString RunPage::summaryText() const
{
    return summary_->text();
}

void RunPage::setRun(const RunReport &r, const QList<ArtifactRecord> &artifacts, const QString &cacheDirectory)
{
    runId_ = r.runId;
    config_ = r.params;
    const QString kind = r.params.value(QStringLiteral("kind")).toString();
    summary_->setText(
        tr("<h3>Run %1: %2</h3>"
           "<table cellspacing=4>"
           "<tr><td>Kind</td><td>%3</td></tr>"
           "<tr><td>Status</td><td>%4</td></tr>"
           "<tr><td>Started · ended (UTC)</td><td>%5 · %6 (%7 s)</td></tr>"
           "<tr><td>Test accuracy</td><td>%8</td></tr>"
           "<tr><td>Labels used</td><td>%9</td></tr>"
           "<tr><td>Energy</td><td>%10 Wh, <b>%11</b> (CPU %12 Wh %13, GPU %14 Wh %15, RAM %16 Wh %17; PUE %18; %19)</td></tr>"
           "<tr><td>Emissions</td><td>%20 g CO₂e at %21 g/kWh (%22)</td></tr>"
           "<tr><td>Tags</td><td>%23</td></tr>"
           "<tr><td>Notes</td><td>%24</td></tr>"
           "</table>")
            .arg(r.runId)
            .arg(r.name.toHtmlEscaped(), kind.isEmpty() ? tr("(implied by its keys)") : kind.toHtmlEscaped(), r.status.toHtmlEscaped(),
                 r.startedAt.toString(Qt::ISODate), r.endedAt.toString(Qt::ISODate))
            .arg(r.durationS, 0, 'f', 1)
            .arg(r.accuracy ? QStringLiteral("%1 %").arg(*r.accuracy * 100, 0, 'f', 2) : tr("not evaluated"))
            .arg(r.labelsUsed)
            .arg(r.energyKwh * 1000, 0, 'f', 4)
            .arg(r.energySource.isEmpty() ? tr("unknown") : r.energySource)
            .arg(r.cpuEnergyKwh * 1000, 0, 'f', 4)
            .arg(r.cpuSource.isEmpty() ? QStringLiteral("–") : r.cpuSource)
            .arg(r.gpuEnergyKwh * 1000, 0, 'f', 4)
            .arg(r.gpuSource.isEmpty() ? tr("not used") : r.gpuSource)
            .arg(r.ramEnergyKwh * 1000, 0, 'f', 4)
            .arg(r.ramSource.isEmpty() ? QStringLiteral("–") : r.ramSource)
            .arg(r.pue)
            .arg(r.powerModel.toHtmlEscaped())
            .arg(r.emissionsG, 0, 'f', 4)
            .arg(r.intensityGPerKwh, 0, 'f', 0)
            .arg(r.intensityOrigin.toHtmlEscaped())
            .arg(r.tags.isEmpty() ? tr("none (right-click the run: Rename, tag and annotate)") : r.tags.join(QStringLiteral(", ")).toHtmlEscaped(),
                 r.notes.isEmpty() ? QStringLiteral("–") : r.notes.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>"))));

    power_->clear();
    power_->setProvenance(tr("Replayed from the store: %1 samples at %2 Hz (%3).").arg(r.samples.size()).arg(r.sampleHz).arg(r.energySource));
    for (const PowerSample &s : r.samples)
        power_->addSample(s);
    power_->replotNow();

    showCurves(r);

    double totalJ = 0;
    for (const PhaseEnergy &p : r.phases)
        totalJ += p.energyJ;
    phases_->setRowCount(int(r.phases.size()));
    for (int i = 0; i < int(r.phases.size()); ++i) {
        const PhaseEnergy &p = r.phases[std::size_t(i)];
        phases_->setItem(i, 0, new QTableWidgetItem(p.phase));
        phases_->setItem(i, 1, new QTableWidgetItem(QString::number(p.energyJ / 3600.0, 'f', 5)));
        phases_->setItem(i, 2, new QTableWidgetItem(QString::number(p.durationS, 'f', 1)));
        phases_->setItem(i, 3, new QTableWidgetItem(totalJ > 0 ? QStringLiteral("%1 %").arg(100.0 * p.energyJ / totalJ, 0, 'f', 1) : QStringLiteral("–")));
    }
    phases_->resizeColumnsToContents();

    configText_->setPlainText(QString::fromUtf8(QJsonDocument(r.params).toJson(QJsonDocument::Indented)));
    hardware_->setPlainText(QString::fromUtf8(QJsonDocument(r.hardware).toJson(QJsonDocument::Indented)));
    artifacts_->setRowCount(int(artifacts.size()));
    for (int i = 0; i < artifacts.size(); ++i) {
        const ArtifactRecord &a = artifacts[i];
        artifacts_->setItem(i, 0, new QTableWidgetItem(a.role));
        artifacts_->setItem(i, 1, new QTableWidgetItem(a.format));
        artifacts_->setItem(i, 2, new QTableWidgetItem(QString::number(a.bytes)));
        artifacts_->setItem(i, 3, new QTableWidgetItem(QString::number(a.parameters)));
        auto *file = new QTableWidgetItem(QDir(cacheDirectory).filePath(a.path));
        file->setToolTip(QStringLiteral("SHA-256 %1").arg(a.sha256));
        artifacts_->setItem(i, 4, file);
    }
    artifacts_->resizeColumnsToContents();
}

void RunPage::showCurves(const RunReport &r)
{
    curves_->clearGraphs();
    std::map<QString, std::vector<std::pair<double, double>>> byName;
    for (const MetricPoint &m : r.metrics)
        if (curveNames().contains(m.name))
            byName[m.name].emplace_back(double(m.step), m.value);
    // Active learning's curves are against labels; the others against epochs.
    const bool perLabel = byName.count(QStringLiteral("al_test_accuracy")) > 0;
    curves_->xAxis->setLabel(perLabel ? tr("labels (active learning) or round") : tr("epoch"));
    curves_->yAxis->setLabel(tr("accuracy (0–1) or loss"));
    int n = 0;
    double maxX = 1, maxY = 1;
    for (const QString &name : curveNames()) {
        const auto it = byName.find(name);
        if (it == byName.end())
            continue;
        QCPGraph *graph = curves_->addGraph();
        graph->setName(QString(name).replace(QLatin1Char('_'), QLatin1Char(' ')));
        graph->setPen(QPen(seriesColour(n++), 2));
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
        for (const auto &[x, y] : it->second) {
            graph->addData(x, y);
            maxX = std::max(maxX, x);
            maxY = std::max(maxY, y);
        }
    }
    curves_->xAxis->setRange(0, maxX * 1.05);
    curves_->yAxis->setRange(0, maxY * 1.05);
    curves_->replot();
}

} // namespace gw
