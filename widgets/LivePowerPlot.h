#pragma once
#include <QTimer>
#include <QWidget>

class QCustomPlot;
class QCPGraph;
class QLabel;

namespace gw {

/// Live plot of power (W, left axis) and cumulative energy (Wh, right axis) against elapsed time.
/// Samples may arrive at any rate; redraws are coalesced by a 40 ms single-shot timer so the GUI
/// thread never spends more than ~25 redraws a second on it.
class LivePowerPlot : public QWidget {
    Q_OBJECT
public:
    explicit LivePowerPlot(QWidget *parent = nullptr);

    int sampleCount() const;
    /// Where the figures come from ("estimated: CPU time x TDP ..."), shown above the plot.
    void setProvenance(const QString &provenance);

public Q_SLOTS:
    void addSample(double elapsedS, double powerW, double energyWh);
    void clear();

private:
    void redraw();

    QCustomPlot *plot_;
    QCPGraph *power_;
    QCPGraph *energy_;
    QLabel *readout_;
    QTimer redrawTimer_;
    QString provenance_;
    double lastPowerW_ = 0;
    double lastEnergyWh_ = 0;
    double maxPowerW_ = 0;
};

} // namespace gw
