#pragma once
#include <QObject>
#include <QPointF>
#include <QString>
#include <functional>

class QCustomPlot;

namespace gw {

/// What a person expects of any plot: the wheel zooms, a drag pans, a double-click shows all the
/// data again, and the mouse over a point reads it out (its series, x and y as the axes name them).
/// It acts only on mouse events, so a plot nobody touches costs nothing.
class PlotExplorer : public QObject {
    Q_OBJECT
public:
    /// Installs an explorer on @p plot (owned by it). @p reset shows all the data again (the
    /// plot's own view of "all"); by default the axes are rescaled to the data.
    static PlotExplorer *install(QCustomPlot *plot, std::function<void()> reset = {});
    /// The readout for the pixel @p position of the plot; empty when no point is near.
    QString readoutAt(const QPointF &position) const;
    /// Shows all the data again (what a double-click does).
    void reset();

private:
    PlotExplorer(QCustomPlot *plot, std::function<void()> reset);

    QCustomPlot *plot_;
    std::function<void()> reset_;
};

} // namespace gw
