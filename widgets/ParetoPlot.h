#pragma once
#include "extension/RunKind.h"

#include <QString>
#include <QWidget>
#include <vector>

class QCustomPlot;

namespace gw {

/// One compared run on the Pareto plot.
struct ParetoPoint {
    qint64 runId = 0;
    double cost = 0;      ///< the x axis' figure
    double objective = 0; ///< the y axis' figure
    QString energySource; ///< "measured", "estimated" or "mixed": said on the point
    QString label;        ///< what the point is called; empty: its run id
};

/// An objective against a cost for compared runs (by default test accuracy against CO₂e, log
/// scale): Pareto-optimal runs in colour and joined by the frontier line, dominated runs grey,
/// each point labelled with its run id and whether its energy was measured or estimated.
class ParetoPlot : public QWidget {
    Q_OBJECT
public:
    explicit ParetoPlot(QWidget *parent = nullptr);
    /// Draws @p points of @p objective (y) against @p cost (x); the frontier follows each figure's
    /// direction (a loss is better lower, an accuracy higher).
    void setPoints(const std::vector<ParetoPoint> &points, const ResultMetric &cost, const ResultMetric &objective);
    /// Saves the plot as PNG, SVG or PDF by the file's extension, on a light print theme; false on failure.
    bool save(const QString &path, int width = 800, int height = 500);
    QCustomPlot *plot() const { return plot_; }
    /// What a point is, for the legend ("run" by default; "variant", "client").
    void setPointNoun(const QString &noun) { noun_ = noun; }
    /// Which of the last points are on the frontier (same order).
    const std::vector<bool> &frontier() const { return frontier_; }

protected:
    /// Fewer ticks on a narrow plot, so their labels never run into each other.
    void resizeEvent(QResizeEvent *event) override;

private:
    void fitTicksToWidth();

    QCustomPlot *plot_;
    std::vector<bool> frontier_;
    /// What was last drawn, to draw it again after zooming.
    std::vector<ParetoPoint> points_;
    ResultMetric cost_, objective_;
    QString noun_ = QStringLiteral("run");
};

} // namespace gw
