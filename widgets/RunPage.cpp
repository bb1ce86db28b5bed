#include "RunPage.h"

#include "LivePowerPlot.h"
#include "PlotExplorer.h"
#include "RunPartsView.h"
#include "PlotTheme.h"
#include "QCustomPlotInclude.h"
#include "extension/RunKind.h"
#include "extension/RunKindRegistry.h"
#include "report/ModelCard.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QHeaderView>
#include <QJsonObject>
#include <QJsonDocument>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTabWidget>
#include <QTimer>
#include <QTextBrowser>
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
                                   QStringLiteral("al_val_accuracy"), QStringLiteral("client_accuracy_mean"), QStringLiteral("modelled_co2e_g"),
                                   QStringLiteral("machine_co2e_g")};
    return names;
}

/// Curves in grams (a federated run's CO2e so far) go on the right-hand axis.
bool onGramsAxis(const QString &name)
{
    return name.endsWith(QLatin1String("_co2e_g"));
}

/// A curve's name in the legend.
QString curveTitle(const QString &name)
{
    if (name == QStringLiteral("modelled_co2e_g"))
        return QStringLiteral("clients' CO₂e, modelled");
    if (name == QStringLiteral("machine_co2e_g"))
        return QStringLiteral("this machine's CO₂e");
    return QString(name).replace(QLatin1Char('_'), QLatin1Char(' '));
}

/// Rows for the figures a run's kind reports beyond accuracy, energy and emissions (a federated
/// run's modelled CO2e and rounds to the target, a compress run's latency): their last values.
QString kindResultRows(const QString &kindId, const std::vector<MetricPoint> &metrics)
{
    const RunKind *kind = RunKindRegistry::instance().find(kindId);
    if (!kind)
        return QString();
    QString rows;
    for (const ResultMetric &m : kind->resultMetrics()) {
        if (m.name == QStringLiteral("accuracy") || m.name == QStringLiteral("emissions_g") || m.name == QStringLiteral("energy_kwh"))
            continue;
        std::optional<std::pair<qint64, double>> last;
        for (const MetricPoint &p : metrics)
            if (p.name == m.name && (!last || p.step >= last->first))
                last = std::make_pair(p.step, p.value);
        const QString value = last ? QStringLiteral("%1 %2").arg(QString::number(last->second, 'g', 6), m.unit.toHtmlEscaped())
                                   : QObject::tr("–");
        rows += QStringLiteral("<tr><td>%1</td><td>%2</td></tr>").arg(m.title.toHtmlEscaped(), value.trimmed());
    }
    return rows;
}

/// The x axis of a run's curves: a federated run's are per round.
QString stepAxisLabel(const QJsonObject &config)
{
    if (config.contains(QStringLiteral("federated")))
        return QObject::tr("round");
    return config.value(QStringLiteral("active_learning")).toObject().value(QStringLiteral("enabled")).toBool() ? QObject::tr("labels") : QObject::tr("epoch");
}

} // namespace

RunPage::RunPage(QWidget *parent)
    : QWidget(parent), tabs_(new QTabWidget), summary_(new QLabel), power_(new LivePowerPlot), curves_(new QCustomPlot),
      phases_(new QTableWidget(0, 4)), configText_(readOnlyText()), hardware_(readOnlyText()), modelCard_(new QTextBrowser),
      report_(new QPushButton(tr("&Report…"))), artifacts_(new QTableWidget(0, 5)),
      parts_(new RunPartsView), partsRefresh_(new QTimer(this))
{
    setObjectName(QStringLiteral("runPage"));
    partsRefresh_->setSingleShot(true);
    partsRefresh_->setInterval(500);
    connect(partsRefresh_, &QTimer::timeout, this, [this] {
        if (live_)
            showParts(liveParts_);
    });
    summary_->setWordWrap(true);
    summary_->setTextInteractionFlags(Qt::TextSelectableByMouse);
    summary_->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    tabs_->addTab(summary_, tr("Summary"));
    tabs_->addTab(power_, tr("Power and energy"));
    PlotExplorer::install(curves_, [this] { rescaleCurves(); });
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
    modelCard_->setObjectName(QStringLiteral("modelCard"));
    modelCard_->setOpenExternalLinks(true);
    tabs_->addTab(modelCard_, tr("Model card"));
    artifacts_->setHorizontalHeaderLabels({tr("Role"), tr("Format"), tr("Bytes"), tr("Parameters"), tr("File")});
    artifacts_->verticalHeader()->hide();
    artifacts_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    artifacts_->horizontalHeader()->setStretchLastSection(true);
    tabs_->addTab(artifacts_, tr("Kept models"));
    clear();
    connect(tabs_, &QTabWidget::currentChanged, this, [this] {
        if (live_ && tabs_->currentWidget() == summary_)
            showLiveSummary();
    });
    report_->setObjectName(QStringLiteral("runReport"));
    report_->setToolTip(tr("This run alone as an HTML or PDF report: its figures, plots, settings and model card"));
    report_->setEnabled(false);
    connect(report_, &QPushButton::clicked, this, [this] { Q_EMIT reportRequested(runId_); });
    tabs_->setCornerWidget(report_, Qt::TopRightCorner);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(tabs_);
}

QString RunPage::summaryText() const
{
    return summary_->text();
}

QString RunPage::modelCardText() const
{
    return modelCard_->toMarkdown();
}

void RunPage::setRun(const RunReport &r, const QList<ArtifactRecord> &artifacts, const QString &cacheDirectory)
{
    live_ = false;
    runId_ = r.runId;
    config_ = r.params;
    energySource_ = r.energySource;
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
           "%25"
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
                 r.notes.isEmpty() ? QStringLiteral("–") : r.notes.toHtmlEscaped().replace(QLatin1Char('\n'), QStringLiteral("<br>")))
            .arg(kindResultRows(kind, r.metrics)));

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
    modelCard_->setMarkdown(ModelCard::withoutFrontMatter(ModelCard::render(r)));
    report_->setEnabled(true);
    // A compress run keeps its variants' table, a federated run its clients': what each part is
    // goes beside its figures.
    QMap<QString, QString> descriptions;
    for (const ArtifactRecord &a : artifacts)
        if ((a.role == QStringLiteral("variants") || a.role == QStringLiteral("clients")) && a.format == QStringLiteral("json")) {
            QFile table(QDir(cacheDirectory).filePath(a.path));
            if (table.open(QIODevice::ReadOnly))
                for (const QJsonValue &v : QJsonDocument::fromJson(table.readAll()).array()) {
                    const QString scope = v[QStringLiteral("scope")].isString() ? v[QStringLiteral("scope")].toString()
                                                                                : QStringLiteral("variant %1").arg(v[QStringLiteral("name")].toString());
                    descriptions.insert(scope, v[QStringLiteral("description")].toString());
                }
        }
    showParts(r.parts, r.energySource, descriptions);
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

QCPGraph *RunPage::curve(const QString &name)
{
    // This machine's figures say whether they were measured or estimated; the title may follow the
    // source, so a curve is found by the figure it draws.
    const QString shown = name == QStringLiteral("machine_co2e_g") && !energySource_.isEmpty()
                              ? QStringLiteral("%1, %2").arg(curveTitle(name), energySource_)
                              : curveTitle(name);
    for (int g = 0; g < curves_->graphCount(); ++g)
        if (curves_->graph(g)->property("figure").toString() == name) {
            curves_->graph(g)->setName(shown);
            return curves_->graph(g);
        }
    const bool grams = onGramsAxis(name);
    if (grams) {
        curves_->yAxis2->setVisible(true);
        curves_->yAxis2->setLabel(tr("CO₂e so far (g)"));
    }
    QCPGraph *graph = curves_->addGraph(curves_->xAxis, grams ? curves_->yAxis2 : curves_->yAxis);
    graph->setName(shown);
    graph->setProperty("figure", name);
    // Each curve keeps its colour from run to run: a person learns that test accuracy is, say, orange.
    graph->setPen(QPen(seriesColour(int(curveNames().indexOf(name))), 2));
    graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
    return graph;
}

void RunPage::placeLegend(const QJsonObject &config)
{
    // A federated run's accuracy and CO2e both climb to the right: the legend goes where they start.
    const Qt::Alignment corner = config.contains(QStringLiteral("federated")) ? Qt::AlignTop | Qt::AlignLeft : Qt::AlignTop | Qt::AlignRight;
    curves_->axisRect()->insetLayout()->setInsetAlignment(0, corner);
}

void RunPage::rescaleCurves()
{
    double maxX = 1, maxY = 1, maxGrams = 0;
    bool grams = false;
    for (int g = 0; g < curves_->graphCount(); ++g) {
        const bool right = curves_->graph(g)->valueAxis() == curves_->yAxis2;
        grams = grams || right;
        for (auto it = curves_->graph(g)->data()->constBegin(); it != curves_->graph(g)->data()->constEnd(); ++it) {
            maxX = std::max(maxX, it->key);
            (right ? maxGrams : maxY) = std::max(right ? maxGrams : maxY, it->value);
        }
    }
    curves_->yAxis2->setVisible(grams);
    curves_->xAxis->setRange(0, maxX * 1.05);
    curves_->yAxis->setRange(0, maxY * 1.05);
    curves_->yAxis2->setRange(0, std::max(maxGrams, 1e-6) * 1.05);
    curves_->replot(QCustomPlot::rpQueuedReplot);
}

void RunPage::showCurves(const RunReport &r)
{
    curves_->clearGraphs();
    // Active learning's curves are against labels (al_*); its per-round figures would need a
    // second x axis, and the labels are what a person pays for.
    bool perLabel = false;
    for (const MetricPoint &m : r.metrics)
        perLabel = perLabel || m.name.startsWith(QLatin1String("al_"));
    curves_->xAxis->setLabel(perLabel ? tr("labels") : stepAxisLabel(r.params));
    placeLegend(r.params);
    curves_->yAxis->setLabel(tr("accuracy (0–1) or loss"));
    for (const QString &name : curveNames()) {
        if (perLabel != name.startsWith(QLatin1String("al_")))
            continue;
        for (const MetricPoint &m : r.metrics)
            if (m.name == name)
                curve(name)->addData(double(m.step), m.value);
    }
    rescaleCurves();
}

void RunPage::showParts(const std::vector<RunReport::Part> &parts, const QString &energySource, const QMap<QString, QString> &descriptions)
{
    const int at = tabs_->indexOf(parts_);
    if (parts.empty()) {
        if (at >= 0)
            tabs_->removeTab(at);
        return;
    }
    parts_->setParts(parts, energySource, descriptions);
    // A compress run's variants are its result: its page opens on them.
    const bool variants = parts.front().scope.startsWith(QLatin1String("variant "));
    const bool clients = parts.front().scope.startsWith(QLatin1String("client "));
    const bool hosts = parts.front().scope.startsWith(QLatin1String("host "));
    const QString title = variants ? tr("Variants") : clients ? tr("Clients") : hosts ? tr("Hosts") : tr("Parts");
    if (at < 0)
        tabs_->insertTab(1, parts_, title);
    else
        tabs_->setTabText(at, title);
    if (variants)
        tabs_->setCurrentWidget(parts_);
}

void RunPage::addLivePart(const QString &scope, const QVariantMap &step)
{
    auto part = std::find_if(liveParts_.begin(), liveParts_.end(), [&scope](const RunReport::Part &p) { return p.scope == scope; });
    if (part == liveParts_.end()) {
        liveParts_.push_back({scope, {}});
        part = std::prev(liveParts_.end());
    }
    for (const QVariant &name : step.value(QStringLiteral("names")).toList())
        part->figures.insert(name.toString(), step.value(name.toString()).toDouble());
    // A federated round reports ten clients at once: the table is rebuilt once for them all.
    if (!partsRefresh_->isActive())
        partsRefresh_->start();
}

bool RunPage::showTab(const QString &title)
{
    for (int i = 0; i < tabs_->count(); ++i)
        if (tabs_->tabText(i).remove(QLatin1Char('&')).compare(title, Qt::CaseInsensitive) == 0) {
            tabs_->setCurrentIndex(i);
            return true;
        }
    return false;
}

void RunPage::clear()
{
    live_ = false;
    runId_ = 0;
    config_ = QJsonObject();
    summary_->setText(tr("No run to show: start one with <i>New run…</i>, or open a past run from the table (Enter or a double-click)."));
    power_->clear();
    curves_->clearGraphs();
    rescaleCurves();
    phases_->setRowCount(0);
    artifacts_->setRowCount(0);
    configText_->clear();
    hardware_->clear();
    modelCard_->clear();
    report_->setEnabled(false);
    showParts({});
}

void RunPage::beginLive(const QString &name, const QJsonObject &config)
{
    live_ = true;
    runId_ = 0;
    liveName_ = name;
    liveStart_ = QDateTime::currentDateTimeUtc();
    lastSample_ = PowerSample();
    energySource_.clear();
    config_ = config;
    power_->clear();
    curves_->clearGraphs();
    curves_->xAxis->setLabel(stepAxisLabel(config));
    placeLegend(config);
    liveParts_.clear();
    rescaleCurves();
    phases_->setRowCount(0);
    artifacts_->setRowCount(0);
    configText_->setPlainText(QString::fromUtf8(QJsonDocument(config).toJson(QJsonDocument::Indented)));
    hardware_->setPlainText(tr("Recorded with the run; shown here when it ends."));
    partsRefresh_->stop();
    showParts({});
    modelCard_->setMarkdown(tr("The model card is written when the run ends."));
    report_->setEnabled(false);
    showLiveSummary();
    // While a run goes its power is what moves.
    tabs_->setCurrentWidget(power_);
}

void RunPage::setLiveRunId(qint64 runId)
{
    if (!live_)
        return;
    runId_ = runId;
    showLiveSummary();
}

void RunPage::addLiveSample(const PowerSample &sample)
{
    if (!live_)
        return;
    lastSample_ = sample;
    energySource_ = sample.source;
    power_->addSample(sample);
    if (tabs_->currentWidget() == summary_)
        showLiveSummary(); // a hidden label needs no new text at every sample
}

void RunPage::addLiveStep(const QVariantMap &step)
{
    if (!live_)
        return;
    if (const QString scope = step.value(QStringLiteral("scope")).toString(); !scope.isEmpty()) {
        addLivePart(scope, step); // parts of a run (clients, variants) have their own tab of figures
        return;
    }
    const double x = step.value(QStringLiteral("step")).toDouble();
    const bool perLabel = step.contains(QStringLiteral("labels"));
    for (const QVariant &entry : step.value(QStringLiteral("names")).toList()) {
        const QString name = entry.toString();
        // A round of active learning is drawn against the labels it had, as the stored run is.
        const QString shown = perLabel ? QStringLiteral("al_") + name : name;
        if (curveNames().contains(shown))
            curve(shown)->addData(perLabel ? step.value(QStringLiteral("labels")).toDouble() : x, step.value(name).toDouble());
    }
    rescaleCurves();
}

void RunPage::showLiveSummary()
{
    const QString kind = config_.value(QStringLiteral("kind")).toString();
    summary_->setText(tr("<h3>%1: %2</h3>"
                         "<table cellspacing=4>"
                         "<tr><td>Kind</td><td>%3</td></tr>"
                         "<tr><td>Status</td><td>running since %4 UTC</td></tr>"
                         "<tr><td>Energy so far</td><td>%5 Wh (%6)</td></tr>"
                         "<tr><td>Emissions so far</td><td>%7 g CO₂e at %8 g/kWh</td></tr>"
                         "</table><p>The whole record (phases, hardware, kept models) shows here when the run ends.</p>")
                          .arg(runId_ > 0 ? tr("Run %1").arg(runId_) : tr("New run"), liveName_.toHtmlEscaped(),
                               kind.isEmpty() ? tr("(implied by its keys)") : kind.toHtmlEscaped(), liveStart_.toString(Qt::ISODate))
                          .arg(lastSample_.energyJ / 3600.0, 0, 'f', 4)
                          .arg(lastSample_.source.isEmpty() ? tr("no sample yet") : lastSample_.source)
                          .arg(lastSample_.emissionsG, 0, 'f', 4)
                          .arg(lastSample_.intensityGPerKwh, 0, 'f', 0));
}

} // namespace gw
