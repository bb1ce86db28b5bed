#include "ParetoPlot.h"

#include "PlotExplorer.h"
#include "PlotExport.h"
#include "QCustomPlotInclude.h"
#include "report/RunComparison.h"

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
    plot_->legend->setVisible(true);
    // Below the axes, in one row: inside, no corner is sure to be empty (the greenest accurate run sits
    // top left, the cheapest bottom left, and runs of nearly equal CO2e crowd one column).
    plot_->axisRect()->insetLayout()->take(plot_->legend);
    plot_->plotLayout()->addElement(1, 0, plot_->legend);
    plot_->legend->setFillOrder(QCPLayoutGrid::foColumnsFirst);
    plot_->plotLayout()->setRowStretchFactor(1, 0.001);
    plot_->setMinimumHeight(220);
    followPalette(plot_);
    // A double-click brings back the plot's own framing (room for every point's label), not a bare rescale.
    PlotExplorer::install(plot_, [this] { setPoints(points_, cost_, objective_); });
}

namespace {

/// "test accuracy (%)", "CO₂e (g, log scale)": a figure as an axis names it.
QString axisLabel(const ResultMetric &metric, bool percent, bool log)
{
    QString unit = percent ? QStringLiteral("%") : metric.unit;
    if (log)
        unit += unit.isEmpty() ? QStringLiteral("log scale") : QStringLiteral(", log scale");
    return unit.isEmpty() ? metric.title : QStringLiteral("%1 (%2)").arg(metric.title, unit);
}

} // namespace

void ParetoPlot::setPoints(const std::vector<ParetoPoint> &points, const ResultMetric &cost, const ResultMetric &objective)
{
    if (&points != &points_) {
        points_ = points;
        cost_ = cost;
        objective_ = objective;
    }
    plot_->clearGraphs();
    plot_->clearItems();
    // Accuracy reads as a percentage; every other figure as it is stored.
    const double yScale = objective.name == QStringLiteral("accuracy") ? 100 : 1;
    const bool logX = !points.empty() && std::all_of(points.begin(), points.end(), [](const ParetoPoint &p) { return p.cost > 0; });
    std::vector<std::pair<double, double>> costAndValue;
    for (const ParetoPoint &p : points)
        costAndValue.emplace_back(cost.higherIsBetter ? -p.cost : p.cost, objective.higherIsBetter ? p.objective : -p.objective);
    frontier_ = RunComparison::paretoFrontier(costAndValue);
    QVector<double> fx, fy, dx, dy;
    std::vector<std::pair<double, double>> line;
    for (std::size_t i = 0; i < points.size(); ++i) {
        const double x = points[i].cost, y = points[i].objective * yScale;
        (frontier_[i] ? fx : dx).push_back(x);
        (frontier_[i] ? fy : dy).push_back(y);
        if (frontier_[i])
            line.emplace_back(x, y);
        auto *label = new QCPItemText(plot_);
        label->position->setCoords(x, y);
        label->setPositionAlignment(Qt::AlignLeft | Qt::AlignBottom);
        const QString name = points[i].label.isEmpty() ? QString::number(points[i].runId) : points[i].label;
        label->setText(points[i].energySource.isEmpty() ? QStringLiteral(" %1").arg(name) : QStringLiteral(" %1 (%2)").arg(name, points[i].energySource));
        label->setColor(frontier_[i] ? plot_->palette().color(QPalette::Text) : kDominatedColour); // the theme re-colours it
    }
    std::sort(line.begin(), line.end());
    plot_->xAxis->setLabel(axisLabel(cost, false, logX));
    plot_->yAxis->setLabel(axisLabel(objective, yScale != 1, false));
    plot_->xAxis->setScaleType(logX ? QCPAxis::stLogarithmic : QCPAxis::stLinear);
    if (logX)
        plot_->xAxis->setTicker(QSharedPointer<QCPAxisTickerLog>(new QCPAxisTickerLog));
    else
        plot_->xAxis->setTicker(QSharedPointer<QCPAxisTicker>(new QCPAxisTicker));
    fitTicksToWidth();
    QCPGraph *frontierLine = plot_->addGraph();
    frontierLine->setName(QStringLiteral("Pareto frontier"));
    frontierLine->setPen(QPen(kFrontierColour, 1.5, Qt::DashLine));
    for (const auto &[x, y] : line)
        frontierLine->addData(x, y);
    QCPGraph *optimal = plot_->addGraph();
    optimal->setName(QStringLiteral("Pareto-optimal %1").arg(noun_));
    optimal->setLineStyle(QCPGraph::lsNone);
    optimal->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssDisc, kFrontierColour, kFrontierColour, 9));
    optimal->setData(fx, fy);
    QCPGraph *dominated = plot_->addGraph();
    dominated->setName(QStringLiteral("dominated %1").arg(noun_));
    dominated->setLineStyle(QCPGraph::lsNone);
    dominated->setScatterStyle(QCPScatterStyle(QCPScatterStyle::ssCircle, kDominatedColour, 8));
    dominated->setData(dx, dy);
    plot_->rescaleAxes();
    // Room around the points, in the axis's own scale; one point (or one column) gets a decade around it,
    // not the axis's arbitrary default span.
    const auto [fewest, most] = std::minmax_element(points.begin(), points.end(), [](const ParetoPoint &a, const ParetoPoint &b) { return a.cost < b.cost; });
    if (!points.empty() && fewest->cost == most->cost)
        plot_->xAxis->setRange(logX ? fewest->cost / 3 : fewest->cost - 1, logX ? fewest->cost * 3 : fewest->cost + 1);
    else
        plot_->xAxis->scaleRange(logX ? 1.4 : 1.2, plot_->xAxis->range().center());
    // Each point's label is written to its right: room for it on that side.
    const QCPRange x = plot_->xAxis->range();
    plot_->xAxis->setRange(x.lower, logX ? x.upper * 1.6 : x.upper + 0.25 * x.size());
    const double ySpan = std::max(1e-9, plot_->yAxis->range().size());
    plot_->yAxis->setRange(plot_->yAxis->range().lower - 0.1 * ySpan - (yScale != 1 ? 2 : 0), plot_->yAxis->range().upper + 0.15 * ySpan + (yScale != 1 ? 3 : 0));
    plot_->replot();
}

void ParetoPlot::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    fitTicksToWidth();
}

void ParetoPlot::fitTicksToWidth()
{
    // About one labelled tick per 110 px: "0.001" and "10⁻³" fit with room between them.
    const int ticks = std::clamp(plot_->width() / 110, 2, 6);
    if (plot_->xAxis->ticker()->tickCount() == ticks)
        return;
    plot_->xAxis->ticker()->setTickCount(ticks);
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

bool ParetoPlot::save(const QString &path, int width, int height)
{
    return savePlot(plot_, path, width, height);
}

} // namespace gw
