#pragma once
#include "report/RunSeries.h"

#include <QWidget>

class QCustomPlot;

namespace gw {

/// Compared runs' test accuracy against the labels they used, or against the energy they had spent
/// (Wh): one line a run, colour-blind-safe colours, its id and name in the legend.
class RunCurvesPlot : public QWidget {
    Q_OBJECT
public:
    enum class Axis { Labels, EnergyWh };
    explicit RunCurvesPlot(Axis axis, QWidget *parent = nullptr);
    void setSeries(const std::vector<RunSeries> &series);
    QCustomPlot *plot() const { return plot_; }

private:
    Axis axis_;
    QCustomPlot *plot_;
};

/// Energy per phase (data, embed, train, eval, query, label_wait, idle ...) of each compared run as
/// stacked bars, in Wh.
class PhaseBarsPlot : public QWidget {
    Q_OBJECT
public:
    explicit PhaseBarsPlot(QWidget *parent = nullptr);
    void setSeries(const std::vector<RunSeries> &series);
    QCustomPlot *plot() const { return plot_; }

private:
    QCustomPlot *plot_;
};

} // namespace gw
