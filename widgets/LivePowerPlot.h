#pragma once
#include "energy/PowerSample.h"

#include <QTimer>
#include <QWidget>

class QComboBox;
class QCustomPlot;
class QCPAxisRect;
class QCPGraph;
class QCPItemRect;
class QLabel;

namespace gw {

/// The live view of a run, in the manner of PlotJuggler: power in W per source (CPU, GPU, RAM) and
/// their total (PUE included) above, cumulative energy (Wh) and CO2e (g) below, energy windows shaded
/// by phase (data, embed, train, eval, query, label_wait ...), the intensity in force in the
/// readout. Samples may arrive at any rate; redraws are coalesced by a 40 ms single-shot timer (at
/// most 25 a second), and lines are drawn with QCustomPlot's adaptive sampling (min/max per pixel
/// column), so an hour at 10 Hz stays smooth. Shows the whole run or its last N minutes.
class LivePowerPlot : public QWidget {
    Q_OBJECT
public:
    explicit LivePowerPlot(QWidget *parent = nullptr);

    int sampleCount() const;
    /// Where the figures come from ("estimated: CPU time x TDP ..."), shown above the plot.
    void setProvenance(const QString &provenance);
    /// Show the last @p seconds only (0: the whole run).
    void setWindowSeconds(double seconds);
    QCustomPlot *plot() const { return plot_; }
    /// Phase spans shaded so far (for tests).
    int shadedPhases() const { return int(shading_.size()); }
    /// Redraws now, synchronously (benchmarks time it; the GUI uses the coalescing timer).
    void replotNow();

public Q_SLOTS:
    void addSample(const gw::PowerSample &sample);
    void clear();

protected:
    void showEvent(QShowEvent *event) override;

private:
    void redraw();
    void shade(const QString &phase, double fromS, double toS);

    QCustomPlot *plot_;
    QCPAxisRect *cumulativeRect_;
    QCPGraph *total_, *cpu_, *gpu_, *ram_, *energy_, *emissions_;
    QLabel *readout_;
    QComboBox *window_;
    QTimer redrawTimer_;
    QString provenance_;
    PowerSample last_;
    double maxPowerW_ = 0;
    double windowS_ = 0;
    bool hasGpu_ = false;
    bool warmedUp_ = false;
    struct Shade {
        QString phase;
        QCPItemRect *rect;
    };
    std::vector<Shade> shading_;
};

} // namespace gw
