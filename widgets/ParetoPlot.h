#pragma once
#include "report/RunComparison.h"

#include <QWidget>

class QCustomPlot;

namespace gw {

/// Accuracy against CO2e (g, logarithmic) for compared runs: Pareto-optimal runs in colour and
/// joined by the frontier line, dominated runs grey, each point labelled with its run id.
class ParetoPlot : public QWidget {
    Q_OBJECT
public:
    explicit ParetoPlot(QWidget *parent = nullptr);
    void setComparison(const RunComparison &comparison);
    /// Saves the plot as PNG, SVG or PDF by the file's extension, on a light print theme; false on failure.
    bool save(const QString &path, int width = 800, int height = 500);
    QCustomPlot *plot() const { return plot_; }

private:
    QCustomPlot *plot_;
};

} // namespace gw
