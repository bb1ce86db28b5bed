#include "LivePowerPlot.h"

#include <QLabel>
#include <QVBoxLayout>
#include "QCustomPlotInclude.h"

namespace gw {

namespace {
// Okabe-Ito colours: distinguishable with the common forms of colour blindness.
const QColor kPowerColour(0, 114, 178);
const QColor kEnergyColour(213, 94, 0);
} // namespace

LivePowerPlot::LivePowerPlot(QWidget *parent) : QWidget(parent), plot_(new QCustomPlot(this)), readout_(new QLabel(this))
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(readout_);
    layout->addWidget(plot_, 1);
    readout_->setObjectName(QStringLiteral("powerReadout"));

    power_ = plot_->addGraph(plot_->xAxis, plot_->yAxis);
    power_->setName(QStringLiteral("Power (W)"));
    power_->setPen(QPen(kPowerColour, 2));
    energy_ = plot_->addGraph(plot_->xAxis, plot_->yAxis2);
    energy_->setName(QStringLiteral("Energy (Wh)"));
    energy_->setPen(QPen(kEnergyColour, 2, Qt::DashLine));
    plot_->xAxis->setLabel(QStringLiteral("elapsed (s)"));
    plot_->yAxis->setLabel(QStringLiteral("power (W)"));
    plot_->yAxis2->setLabel(QStringLiteral("cumulative energy (Wh)"));
    plot_->yAxis2->setVisible(true);
    plot_->legend->setVisible(true);
    plot_->axisRect()->insetLayout()->setInsetAlignment(0, Qt::AlignTop | Qt::AlignLeft);
    plot_->setMinimumHeight(180);

    redrawTimer_.setSingleShot(true);
    redrawTimer_.setInterval(40);
    connect(&redrawTimer_, &QTimer::timeout, this, &LivePowerPlot::redraw);
    clear();
}

int LivePowerPlot::sampleCount() const
{
    return power_->dataCount();
}

void LivePowerPlot::setProvenance(const QString &provenance)
{
    provenance_ = provenance;
    redraw();
}

void LivePowerPlot::addSample(double elapsedS, double powerW, double energyWh)
{
    power_->addData(elapsedS, powerW);
    energy_->addData(elapsedS, energyWh);
    lastPowerW_ = powerW;
    lastEnergyWh_ = energyWh;
    maxPowerW_ = std::max(maxPowerW_, powerW);
    if (!redrawTimer_.isActive())
        redrawTimer_.start();
}

void LivePowerPlot::clear()
{
    power_->data()->clear();
    energy_->data()->clear();
    lastPowerW_ = lastEnergyWh_ = maxPowerW_ = 0;
    redraw();
}

void LivePowerPlot::redraw()
{
    const double lastS = power_->dataCount() > 0 ? (power_->data()->constEnd() - 1)->key : 0.0;
    plot_->xAxis->setRange(0, std::max(10.0, lastS * 1.05));
    plot_->yAxis->setRange(0, std::max(1.0, maxPowerW_ * 1.15));
    plot_->yAxis2->setRange(0, std::max(1e-3, lastEnergyWh_ * 1.15));
    readout_->setText(power_->dataCount() == 0
                          ? QStringLiteral("No run yet. %1").arg(provenance_)
                          : QStringLiteral("<b>%1 W</b> now · <b>%2 Wh</b> so far · %3")
                                .arg(lastPowerW_, 0, 'f', 1)
                                .arg(lastEnergyWh_, 0, 'f', 4)
                                .arg(provenance_.toHtmlEscaped()));
    plot_->replot(QCustomPlot::rpQueuedReplot);
}

} // namespace gw
