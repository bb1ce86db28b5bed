#include "RunCurvesPlot.h"

#include "PlotExplorer.h"
#include "PlotExport.h"
#include "QCustomPlotInclude.h"

#include <QVBoxLayout>
#include <set>

namespace gw {

namespace {

QCustomPlot *addPlot(QWidget *owner)
{
    auto *plot = new QCustomPlot(owner);
    auto *layout = new QVBoxLayout(owner);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot);
    plot->setMinimumHeight(220);
    plot->legend->setVisible(true);
    followPalette(plot);
    PlotExplorer::install(plot);
    return plot;
}

} // namespace

RunCurvesPlot::RunCurvesPlot(Axis axis, QWidget *parent) : QWidget(parent), axis_(axis), plot_(addPlot(this))
{
    plot_->xAxis->setLabel(axis_ == Axis::Labels ? QStringLiteral("labels used (log scale)") : QStringLiteral("energy spent (Wh)"));
    if (axis_ == Axis::Labels) {
        // Active learning's 20 labels and a full run's 60,000 on one axis: each decade gets its width.
        plot_->xAxis->setScaleType(QCPAxis::stLogarithmic);
        plot_->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
        plot_->xAxis->setNumberFormat(QStringLiteral("g"));
    }
    plot_->yAxis->setLabel(QStringLiteral("test accuracy (%)"));
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignBottom | Qt::AlignRight);
}

void RunCurvesPlot::setSeries(const std::vector<RunSeries> &series)
{
    plot_->clearGraphs();
    for (std::size_t i = 0; i < series.size(); ++i) {
        QCPGraph *graph = plot_->addGraph();
        graph->setName(QStringLiteral("%1 %2").arg(series[i].runId).arg(series[i].name));
        graph->setPen(QPen(seriesColour(int(i)), 2));
        graph->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, 4));
        for (const RunSeries::Point &p : series[i].curve)
            graph->addData(axis_ == Axis::Labels ? p.labels : p.energyWh, p.accuracy * 100);
    }
    plot_->rescaleAxes();
    if (axis_ == Axis::Labels && plot_->xAxis->range().lower > 0)
        plot_->xAxis->setRange(plot_->xAxis->range().lower / 1.2, plot_->xAxis->range().upper * 1.2);
    plot_->yAxis->setRange(plot_->yAxis->range().lower - 2, plot_->yAxis->range().upper + 2);
    plot_->replot();
}

PhaseBarsPlot::PhaseBarsPlot(QWidget *parent) : QWidget(parent), plot_(addPlot(this))
{
    plot_->yAxis->setLabel(QStringLiteral("energy (Wh)"));
    plot_->xAxis->setLabel(QStringLiteral("run"));
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignRight);
}

void PhaseBarsPlot::setSeries(const std::vector<RunSeries> &series)
{
    plot_->clearPlottables();
    // Phases in a fixed order, so the same phase has the same colour and place in every bar.
    const QStringList order{QStringLiteral("data"),  QStringLiteral("embed"), QStringLiteral("train"),      QStringLiteral("eval"),
                            QStringLiteral("query"), QStringLiteral("label_wait"), QStringLiteral("export"), QStringLiteral("idle")};
    QStringList phases = order;
    for (const RunSeries &s : series)
        for (const PhaseEnergy &p : s.phases)
            if (!phases.contains(p.phase))
                phases << p.phase;
    QSharedPointer<QCPAxisTickerText> ticker(new QCPAxisTickerText);
    for (std::size_t i = 0; i < series.size(); ++i)
        ticker->addTick(double(i + 1), QStringLiteral("%1\n%2").arg(series[i].runId).arg(series[i].name));
    plot_->xAxis->setTicker(ticker);
    // Run names are text: no "beautiful powers" ("lr1e-3" stays as it is written).
    plot_->xAxis->setNumberFormat(QStringLiteral("g"));
    QCPBars *below = nullptr;
    int colour = 0;
    for (const QString &phase : phases) {
        QVector<double> keys, values;
        bool any = false;
        for (std::size_t i = 0; i < series.size(); ++i) {
            double wh = 0;
            for (const PhaseEnergy &p : series[i].phases)
                if (p.phase == phase)
                    wh += p.energyJ / 3600.0;
            keys << double(i + 1);
            values << wh;
            any = any || wh > 0;
        }
        if (!any)
            continue;
        auto *bars = new QCPBars(plot_->xAxis, plot_->yAxis);
        bars->setName(phase);
        bars->setWidth(0.6);
        bars->setPen(Qt::NoPen);
        bars->setBrush(seriesColour(colour++));
        bars->setData(keys, values, true);
        if (below)
            bars->moveAbove(below);
        below = bars;
    }
    plot_->rescaleAxes();
    plot_->xAxis->setRange(0.4, double(series.size()) + 0.6);
    plot_->yAxis->setRange(0, plot_->yAxis->range().upper * 1.1);
    plot_->replot();
}

} // namespace gw
