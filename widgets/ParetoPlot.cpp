#include "ParetoPlot.h"

#include "PlotExport.h"
#include "QCustomPlotInclude.h"

#include <QVBoxLayout>
#include <algorithm>

namespace gw {

namespace {
const QColor kFrontierColour = seriesColour(2); // bluish green
const QColor kDominatedColour(160, 160, 160);
} // namespace

ParetoPlot::ParetoPlot(QWidget *parent) : QWidget(parent), plot_(new QCustomPlot(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(plot_);
    plot_->xAxis->setLabel(QStringLiteral("CO₂e (g, log scale)"));
    plot_->yAxis->setLabel(QStringLiteral("test accuracy (%)"));
    plot_->xAxis->setScaleType(QCPAxis::stLogarithmic);
    plot_->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    plot_->legend->setVisible(true);
    // Below the axes, in one row: inside, no corner is sure to be empty (the greenest accurate run sits
    // top left, the cheapest bottom left, and runs of nearly equal CO2e crowd one column).
    plot_->axisRect()->insetLayout()->take(plot_->legend);
    plot_->plotLayout()->addElement(1, 0, plot_->legend);
    plot_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot_->plotLayout()->setRowStretchFactor(1, 0.001);
    plot_->setMinimumHeight(220);
    followPalette(plot_);
}

void ParetoPlot::setComparison(const RunComparison &comparison)
{
    plot_->clearGraphs();
    plot_->clearItems();
    const std::vector<bool> frontier = comparison.paretoFrontier();
    QVector<double> fx, fy, dx, dy;
    std::vector<std::pair<double, double>> line;
    for (int i = 0; i < comparison.runs().size(); ++i) {
        const RunRecord &run = comparison.runs().at(i);
        if (!run.accuracy || !run.emissionsG || *run.emissionsG <= 0)
            continue; // a log axis has no place for 0 g
        const double x = *run.emissionsG, y = *run.accuracy * 100;
        (frontier[std::size_t(i)] ? fx : dx).push_back(x);
        (frontier[std::size_t(i)] ? fy : dy).push_back(y);
        if (frontier[std::size_t(i)])
            line.emplace_back(x, y);
        auto *label = new QCPItemText(plot_);
        label->position->setCoords(x, y);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        label->setText(QStringLiteral(" %1").arg(run.id));
        label->setColor(frontier[std::size_t(i)] ? plot_->palette().color(QPalette::Text) : kDominatedColour); // the theme re-colours it
    }
    std::sort(line.begin(), line.end());
    QCPGraph *frontierLine = plot_->addGraph();
    frontierLine->setName(QStringLiteral("Pareto frontier"));
    frontierLine->setPen(QPen(kFrontierColour, 1.5, Qt::DashLine));
    for (const auto &[x, y] : line)
        frontierLine->addData(x, y);
    QCPGraph *optimal = plot_->addGraph();
    optimal->setName(QStringLiteral("Pareto-optimal run"));
    optimal->setLineStyle(QCPGraph::lsNone);
    optimal->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kFrontierColour, kFrontierColour, 9));
    optimal->setData(fx, fy);
    QCPGraph *dominated = plot_->addGraph();
    dominated->setName(QStringLiteral("dominated run"));
    dominated->setLineStyle(QCPGraph::lsNone);
    dominated->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, kDominatedColour, 8));
    dominated->setData(dx, dy);
    plot_->rescaleAxes();
    // Room around the points, in the axis's own scale.
    plot_->xAxis->scaleRange(1.4, plot_->xAxis->range().center());
    plot_->yAxis->setRange(plot_->yAxis->range().lower - 2, plot_->yAxis->range().upper + 3);
    plot_->replot();
}

bool ParetoPlot::save(const QString &path, int width, int height)
{
    return savePlot(plot_, path, width, height);
}

} // namespace gw
