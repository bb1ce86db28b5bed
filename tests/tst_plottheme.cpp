#include "PlotExport.h"
#include "PlotTheme.h"
#include "QCustomPlotInclude.h"

#include <QtTest>

using namespace gw;

namespace {
/// The colour the plot paints its background with (QCustomPlot keeps its brush private).
QColor backgroundOf(QCustomPlot *plot)
{
    return plot->toPixmap(40, 40).toImage().pixelColor(1, 1);
}
} // namespace


class TestPlotTheme : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void aPlotFollowsItsPalette()
    {
        QCustomPlot plot;
        plot.legend->setVisible(true);
        auto *label = new QCPItemText(&plot);
        label->setColor(plot.palette().color(QPalette::Text));
        followPalette(&plot);
        QVERIFY(!isDark(plot.palette()));
        QCOMPARE(backgroundOf(&plot), plot.palette().color(QPalette::Base));

        plot.setPalette(darkPalette()); // as Settings → Appearance → Dark, or the desktop switching
        const QColor text = darkPalette().color(QPalette::Text);
        QVERIFY(isDark(plot.palette()));
        QCOMPARE(backgroundOf(&plot), darkPalette().color(QPalette::Base));
        QCOMPARE(plot.xAxis->labelColor(), text);
        QCOMPARE(plot.yAxis->tickLabelColor(), text);
        QCOMPARE(plot.xAxis->basePen().color(), text);
        QCOMPARE(plot.legend->textColor(), text);
        QCOMPARE(label->color(), text);
    }

    void exportsAreLightWhateverTheScreen()
    {
        QCustomPlot plot;
        followPalette(&plot);
        plot.setPalette(darkPalette());
        plot.xAxis->setLabel(QStringLiteral("elapsed (s)"));
        const QImage image = renderPlot(&plot, 300, 200);
        QCOMPARE(image.pixelColor(2, 2), QColor(Qt::white));
        // The axis line is drawn in black on the print theme: some pixel along the bottom axis is dark.
        bool darkInk = false;
        for (int y = 0; y < image.height() && !darkInk; ++y)
            for (int x = 0; x < image.width() && !darkInk; ++x)
                darkInk = image.pixelColor(x, y).lightness() < 60;
        QVERIFY(darkInk);
        // And the screen gets its dark plot back.
        QCOMPARE(backgroundOf(&plot), darkPalette().color(QPalette::Base));
        QCOMPARE(plot.xAxis->labelColor(), darkPalette().color(QPalette::Text));
    }

    void seriesColoursAreOkabeIto()
    {
        QCOMPARE(seriesColour(0), QColor(0, 114, 178));
        QCOMPARE(seriesColour(1), QColor(213, 94, 0));
        QCOMPARE(seriesColour(8), seriesColour(0));
        QCOMPARE(seriesColour(-1), seriesColour(7));
        // The palette's first colours stay apart on the dark background too.
        for (int i = 0; i < 4; ++i)
            QVERIFY(std::abs(seriesColour(i).lightness() - darkPalette().color(QPalette::Base).lightness()) > 40);
    }
};

QTEST_MAIN(TestPlotTheme)
#include "tst_plottheme.moc"
