// The live view: every source's power, cumulative energy and CO2e, phases shaded (one span per
// stretch of a phase), the time window, and clearing for the next run.
#include "LivePowerPlot.h"
#include "PlotExplorer.h"
#include "QCustomPlotInclude.h"

#include <QtTest>

using namespace gw;

namespace {

PowerSample sample(double t, const QString &phase, double gpuW = 0)
{
    PowerSample s;
    s.elapsedS = t;
    s.intervalS = 1;
    s.cpuPowerW = 10;
    s.ramPowerW = 1;
    s.gpuPowerW = gpuW;
    s.totalPowerW = 11 + gpuW;
    s.energyJ = s.totalPowerW * t;
    s.emissionsG = s.energyJ / 3.6e6 * 100;
    s.intensityGPerKwh = 100;
    s.phase = phase;
    return s;
}

} // namespace

class TestLivePowerPlot : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void drawsEverySeriesAndShadesPhases()
    {
        LivePowerPlot plot;
        plot.resize(800, 500);
        for (int t = 1; t <= 4; ++t)
            plot.addSample(sample(t, QStringLiteral("train")));
        for (int t = 5; t <= 6; ++t)
            plot.addSample(sample(t, QStringLiteral("eval")));
        plot.addSample(sample(7, QStringLiteral("train"), 50));
        QCOMPARE(plot.sampleCount(), 7);
        QCOMPARE(plot.shadedPhases(), 3); // train, eval, train: stretches, not samples
        QCustomPlot *p = plot.plot();
        QCOMPARE(p->graphCount(), 6); // total, CPU, RAM, GPU, energy, CO2e
        QCOMPARE(p->graph(0)->dataCount(), 7);
        QCOMPARE((p->graph(3)->data()->constEnd() - 1)->value, 50.0); // GPU
        QCOMPARE((p->graph(4)->data()->constEnd() - 1)->value, 61.0 * 7 / 3600.0); // energy in Wh
        QCOMPARE(p->axisRectCount(), 2);
        QTRY_VERIFY(plot.findChild<QLabel *>(QStringLiteral("powerReadout"))->text().contains(QStringLiteral("GPU 50.0")));
        QVERIFY(plot.findChild<QLabel *>(QStringLiteral("powerReadout"))->text().contains(QStringLiteral("at 100 g/kWh")));
        plot.clear();
        QCOMPARE(plot.sampleCount(), 0);
        QCOMPARE(plot.shadedPhases(), 0);
    }

    // Every plot: the mouse over a point reads it out, the wheel zooms, a double-click shows it all again.
    void aPointReadsOutAndTheViewComesBack()
    {
        LivePowerPlot plot;
        plot.resize(800, 500);
        plot.show();
        QVERIFY(QTest::qWaitForWindowExposed(&plot));
        for (int t = 1; t <= 20; ++t)
            plot.addSample(sample(t, QStringLiteral("train")));
        plot.replotNow();
        QCustomPlot *p = plot.plot();
        QTRY_VERIFY(p->xAxis->range().upper >= 20);
        p->replot(QCustomPlot::rpImmediateRefresh);
        auto *explorer = p->findChild<PlotExplorer *>();
        QVERIFY(explorer);
        const QPointF atTotal(p->xAxis->coordToPixel(10), p->yAxis->coordToPixel(11));
        const QString readout = explorer->readoutAt(atTotal);
        QVERIFY2(readout.contains(QStringLiteral("total (W)")) && readout.contains(QStringLiteral("elapsed (s) 10\n"))
                     && readout.contains(QStringLiteral("power (W) 11")),
                 qPrintable(readout));
        QVERIFY(explorer->readoutAt(QPointF(p->xAxis->coordToPixel(10), p->yAxis->coordToPixel(1) - 200)).isEmpty()); // nothing near
        // Zoomed in, then back to the whole run.
        p->xAxis->setRange(5, 8);
        explorer->reset();
        QCOMPARE(p->xAxis->range().lower, 0.0);
        QVERIFY(p->xAxis->range().upper >= 20);
    }

    void showsTheLastMinutesOnly()
    {
        LivePowerPlot plot;
        for (int t = 1; t <= 600; ++t)
            plot.addSample(sample(t, QStringLiteral("train")));
        plot.setWindowSeconds(60);
        QVERIFY(qAbs(plot.plot()->xAxis->range().lower - 540) < 1e-9);
        QVERIFY(plot.plot()->xAxis->range().upper >= 600);
        plot.setWindowSeconds(0);
        QCOMPARE(plot.plot()->xAxis->range().lower, 0.0);
    }
};

QTEST_MAIN(TestLivePowerPlot)
#include "tst_livepowerplot.moc"
