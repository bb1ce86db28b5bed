#include "LivePowerPlot.h"

#include "PlotExplorer.h"

#include "PlotExport.h"
#include "QCustomPlotInclude.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QVBoxLayout>

namespace gw {

namespace {

QColor phaseColour(const QString &phase)
{
    // Light tints of the Okabe-Ito colours, fixed per phase so a phase looks the same in every run.
    static const QStringList phases{QStringLiteral("data"),  QStringLiteral("embed"),      QStringLiteral("train"), QStringLiteral("eval"),
                                    QStringLiteral("query"), QStringLiteral("label_wait"), QStringLiteral("export")};
    QColor c = seriesColour(int(phases.indexOf(phase)) + 1);
    c.setAlpha(40);
    return c;
}

QCPGraph *addLine(QCustomPlot *plot, QCPAxis *x, QCPAxis *y, const QString &name, const QColor &colour, Qt::PenStyle style, double width)
{
    QCPGraph *graph = plot->addGraph(x, y);
    graph->setName(name);
    graph->setPen(QPen(colour, width, style));
    graph->setAdaptiveSampling(true); // min/max per pixel column: an hour at 10 Hz draws as fast as a minute
    return graph;
}

} // namespace

LivePowerPlot::LivePowerPlot(QWidget *parent)
    : QWidget(parent), plot_(new QCustomPlot(this)), cumulativeRect_(new QCPAxisRect(plot_)), readout_(new QLabel(this)), window_(new QComboBox(this))
{
    auto *top = new QHBoxLayout;
    top->addWidget(readout_, 1);
    top->addWidget(new QLabel(QStringLiteral("Show:"), this));
    top->addWidget(window_);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(plot_, 1);
    readout_->setObjectName(QStringLiteral("powerReadout"));
    readout_->setWordWrap(true);
    window_->addItem(QStringLiteral("whole run"), 0.0);
    window_->addItem(QStringLiteral("last minute"), 60.0);
    window_->addItem(QStringLiteral("last 5 minutes"), 300.0);
    window_->addItem(QStringLiteral("last 15 minutes"), 900.0);
    connect(window_, &QComboBox::currentIndexChanged, this, [this] { setWindowSeconds(window_->currentData().toDouble()); });

    // Two stacked axis rects sharing the time axis: power above, what has accumulated below.
    QCPAxisRect *powerRect = plot_->axisRect();
    plot_->plotLayout()->addElement(1, 0, cumulativeRect_);
    cumulativeRect_->axis(QCPAxis::atRight)->setVisible(true);
    cumulativeRect_->axis(QCPAxis::atRight)->setTickLabels(true);
    for (QCPAxis *axis : cumulativeRect_->axes())
        axis->setLayer(QStringLiteral("axes"));
    auto *margins = new QCPMarginGroup(plot_);
    powerRect->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    cumulativeRect_->setMarginGroup(QCP::msLeft | QCP::msRight, margins);
    connect(plot_->xAxis, qOverload<const QCPRange &>(&QCPAxis::rangeChanged), cumulativeRect_->axis(QCPAxis::atBottom),
            qOverload<const QCPRange &>(&QCPAxis::setRange));

    // Zoom, pan, a double-click back to the whole run, a readout under the mouse; below, the drag
    // and wheel move the shared time axis and both cumulative axes.
    PlotExplorer::install(plot_, [this] { redraw(); });
    const QList<QCPAxis *> cumulativeAxes{cumulativeRect_->axis(QCPAxis::atLeft), cumulativeRect_->axis(QCPAxis::atRight)};
    cumulativeRect_->setRangeDragAxes({plot_->xAxis}, cumulativeAxes);
    cumulativeRect_->setRangeZoomAxes({plot_->xAxis}, cumulativeAxes);

    total_ = addLine(plot_, plot_->xAxis, plot_->yAxis, QStringLiteral("total (W)"), seriesColour(0), Qt::SolidLine, 2);
    cpu_ = addLine(plot_, plot_->xAxis, plot_->yAxis, QStringLiteral("CPU (W)"), seriesColour(1), Qt::SolidLine, 1);
    ram_ = addLine(plot_, plot_->xAxis, plot_->yAxis, QStringLiteral("RAM (W)"), seriesColour(2), Qt::DashLine, 1);
    gpu_ = addLine(plot_, plot_->xAxis, plot_->yAxis, QStringLiteral("GPU (W)"), seriesColour(3), Qt::SolidLine, 1);
    gpu_->removeFromLegend(); // until a GPU draws power
    energy_ = addLine(plot_, cumulativeRect_->axis(QCPAxis::atBottom), cumulativeRect_->axis(QCPAxis::atLeft), QStringLiteral("energy (Wh)"),
                      seriesColour(0), Qt::SolidLine, 2);
    emissions_ = addLine(plot_, cumulativeRect_->axis(QCPAxis::atBottom), cumulativeRect_->axis(QCPAxis::atRight), QStringLiteral("CO₂e (g)"),
                         seriesColour(1), Qt::DashLine, 2);
    plot_->yAxis->setLabel(QStringLiteral("power (W)"));
    cumulativeRect_->axis(QCPAxis::atBottom)->setLabel(QStringLiteral("elapsed (s)"));
    cumulativeRect_->axis(QCPAxis::atLeft)->setLabel(QStringLiteral("energy (Wh)"));
    cumulativeRect_->axis(QCPAxis::atRight)->setLabel(QStringLiteral("CO₂e (g)"));
    plot_->legend->setVisible(true);
    plot_->legend->setFont(QFont(font().family(), 8));
    powerRect->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    // The lower rect's own legend would duplicate the upper one; name its two lines in its axes instead.
    energy_->removeFromLegend();
    emissions_->removeFromLegend();
    plot_->setMinimumHeight(260);
    followPalette(plot_);

    redrawTimer_.setSingleShot(true);
    redrawTimer_.setInterval(40);
    connect(&redrawTimer_, &QTimer::timeout, this, &LivePowerPlot::redraw);
    clear();
}

int LivePowerPlot::sampleCount() const
{
    return total_->dataCount();
}

void LivePowerPlot::setProvenance(const QString &provenance)
{
    // The window tells it with every sample: redraw only when it changes, the samples' own redraws are coalesced.
    if (provenance == provenance_)
        return;
    provenance_ = provenance;
    redraw();
}

void LivePowerPlot::setWindowSeconds(double seconds)
{
    windowS_ = std::max(0.0, seconds);
    const int index = window_->findData(windowS_);
    if (index >= 0 && index != window_->currentIndex())
        window_->setCurrentIndex(index);
    redraw();
}

void LivePowerPlot::shade(const QString &phase, double fromS, double toS)
{
    if (!shading_.empty() && shading_.back().phase == phase) {
        shading_.back().rect->bottomRight->setCoords(toS, 1);
        return;
    }
    auto *rect = new QCPItemRect(plot_);
    rect->setClipAxisRect(plot_->axisRect());
    rect->topLeft->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->bottomRight->setTypeY(QCPItemPosition::ptAxisRectRatio);
    rect->topLeft->setAxes(plot_->xAxis, plot_->yAxis);
    rect->bottomRight->setAxes(plot_->xAxis, plot_->yAxis);
    rect->topLeft->setCoords(fromS, 0);
    rect->bottomRight->setCoords(toS, 1);
    rect->setPen(Qt::NoPen);
    rect->setBrush(phase == QStringLiteral("idle") ? QBrush(Qt::NoBrush) : QBrush(phaseColour(phase)));
    rect->setLayer(QStringLiteral("background"));
    shading_.push_back({phase, rect});
}

void LivePowerPlot::addSample(const PowerSample &sample)
{
    total_->addData(sample.elapsedS, sample.totalPowerW);
    cpu_->addData(sample.elapsedS, sample.cpuPowerW);
    ram_->addData(sample.elapsedS, sample.ramPowerW);
    gpu_->addData(sample.elapsedS, sample.gpuPowerW);
    if (sample.gpuPowerW > 0 && !hasGpu_) {
        hasGpu_ = true;
        gpu_->addToLegend();
    }
    energy_->addData(sample.elapsedS, sample.energyJ / 3600.0);
    emissions_->addData(sample.elapsedS, sample.emissionsG);
    shade(sample.phase.isEmpty() ? QStringLiteral("idle") : sample.phase, sample.elapsedS - sample.intervalS, sample.elapsedS);
    last_ = sample;
    maxPowerW_ = std::max(maxPowerW_, sample.totalPowerW);
    if (!redrawTimer_.isActive())
        redrawTimer_.start();
}

void LivePowerPlot::clear()
{
    for (QCPGraph *graph : {total_, cpu_, ram_, gpu_, energy_, emissions_})
        graph->data()->clear();
    for (const Shade &s : shading_)
        plot_->removeItem(s.rect);
    shading_.clear();
    last_ = PowerSample();
    maxPowerW_ = 0;
    hasGpu_ = false;
    gpu_->removeFromLegend();
    redraw();
}

void LivePowerPlot::redraw()
{
    const double lastS = total_->dataCount() > 0 ? (total_->data()->constEnd() - 1)->key : 0.0;
    const double firstS = windowS_ > 0 ? std::max(0.0, lastS - windowS_) : 0.0;
    plot_->xAxis->setRange(firstS, std::max(firstS + 10.0, lastS * (windowS_ > 0 ? 1.0 : 1.05) + (windowS_ > 0 ? 1.0 : 0.0)));
    plot_->yAxis->setRange(0, std::max(1.0, maxPowerW_ * 1.15));
    cumulativeRect_->axis(QCPAxis::atLeft)->setRange(0, std::max(1e-3, last_.energyJ / 3600.0 * 1.15));
    cumulativeRect_->axis(QCPAxis::atRight)->setRange(0, std::max(1e-4, last_.emissionsG * 1.15));
    readout_->setText(total_->dataCount() == 0
                          ? QStringLiteral("No run yet. %1").arg(provenance_)
                          : QStringLiteral("<b>%1 W</b> now (CPU %2, RAM %3%4) · <b>%5 Wh</b> · <b>%6 g CO₂e</b> at %7 g/kWh · %8 · phase: %9")
                                .arg(last_.totalPowerW, 0, 'f', 1)
                                .arg(last_.cpuPowerW, 0, 'f', 1)
                                .arg(last_.ramPowerW, 0, 'f', 1)
                                .arg(hasGpu_ ? QStringLiteral(", GPU %1").arg(last_.gpuPowerW, 0, 'f', 1) : QString())
                                .arg(last_.energyJ / 3600.0, 0, 'f', 4)
                                .arg(last_.emissionsG, 0, 'f', 4)
                                .arg(last_.intensityGPerKwh, 0, 'f', 0)
                                .arg(provenance_.toHtmlEscaped(), last_.phase.toHtmlEscaped()));
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

void LivePowerPlot::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (warmedUp_)
        return;
    warmedUp_ = true;
    // The first drawing of a plot with data and of the readout costs about a third of a second here
    // (fonts and glyphs found and cached, paint buffers set up): paid once when the window appears,
    // not in the middle of a run's first seconds, where it would stall the GUI thread.
    QTimer::singleShot(0, this, [this] {
        if (sampleCount() > 0)
            return; // a run is already drawing
        PowerSample sample;
        sample.elapsedS = sample.intervalS = 1;
        sample.cpuPowerW = sample.totalPowerW = 1;
        sample.phase = QStringLiteral("train");
        addSample(sample);
        redrawTimer_.stop();
        redraw();
        replotNow();
        clear();
        replotNow();
    });
}

void LivePowerPlot::replotNow()
{
    plot_->replot(QCustomPlot::rpImmediateRefresh);
}

} // namespace gw
