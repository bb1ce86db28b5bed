#include "PlotExplorer.h"

#include "QCustomPlotInclude.h"

#include <QToolTip>

namespace gw {

namespace {

/// The axis's label; for an unlabelled one (stacked plots label their shared time axis once), the
/// label of another axis of the same side of the plot.
QString axisName(const QCPAxis *axis, const QCustomPlot *plot, const QString &fallback)
{
    if (!axis->label().isEmpty())
        return axis->label();
    for (const QCPAxisRect *rect : plot->axisRects())
        for (const QCPAxis *other : rect->axes(axis->axisType()))
            if (!other->label().isEmpty())
                return other->label();
    return fallback;
}

} // namespace

PlotExplorer::PlotExplorer(QCustomPlot *plot, std::function<void()> reset) : QObject(plot), plot_(plot), reset_(std::move(reset))
{
    plot_->setInteractions(plot_->interactions() | QCP::iRangeDrag | QCP::iRangeZoom);
    for (QCPAxisRect *rect : plot_->axisRects()) {
        rect->setRangeDrag(Qt::Horizontal | Qt::Vertical);
        rect->setRangeZoom(Qt::Horizontal | Qt::Vertical);
    }
    connect(plot_, &QCustomPlot::mouseDoubleClick, this, &PlotExplorer::reset);
    connect(plot_, &QCustomPlot::mouseMove, this, [this](QMouseEvent *event) {
        const QString text = readoutAt(event->position());
        if (text.isEmpty())
            QToolTip::hideText();
        else
            QToolTip::showText(event->globalPosition().toPoint(), text, plot_);
    });
}

PlotExplorer *PlotExplorer::install(QCustomPlot *plot, std::function<void()> reset)
{
    return new PlotExplorer(plot, std::move(reset));
}

QString PlotExplorer::readoutAt(const QPointF &position) const
{
    int index = -1;
    QCPAbstractPlottable *plottable = plot_->plottableAt(position, false, &index);
    if (!plottable || index < 0 || !plottable->interface1D() || index >= plottable->interface1D()->dataCount())
        return {};
    const double x = plottable->interface1D()->dataMainKey(index);
    const double y = plottable->interface1D()->dataMainValue(index);
    const QString point = QStringLiteral("%1 %2\n%3 %4")
                              .arg(axisName(plottable->keyAxis(), plot_, QStringLiteral("x")), QString::number(x, 'g', 5),
                                   axisName(plottable->valueAxis(), plot_, QStringLiteral("y")), QString::number(y, 'g', 5));
    return plottable->name().isEmpty() ? point : plottable->name() + QLatin1Char('\n') + point;
}

void PlotExplorer::reset()
{
    if (reset_)
        reset_();
    else
        plot_->rescaleAxes();
    plot_->replot();
}

} // namespace gw
