#include "PlotExport.h"

#include "QCustomPlotInclude.h"

#include <QFileInfo>
#include <QSvgGenerator>

namespace gw {

namespace {

/// Sets the white print background for the lifetime of the scope, then restores the screen's.
class PrintTheme {
public:
    explicit PrintTheme(QCustomPlot *plot) : plot_(plot), background_(plot->background()) { plot_->setBackground(Qt::white); }
    ~PrintTheme()
    {
        plot_->setBackground(background_);
        plot_->replot();
    }
    PrintTheme(const PrintTheme &) = delete;
    PrintTheme &operator=(const PrintTheme &) = delete;

private:
    QCustomPlot *plot_;
    QBrush background_;
};

} // namespace

QImage renderPlot(QCustomPlot *plot, int width, int height)
{
    const PrintTheme theme(plot);
    return plot->toPixmap(width, height).toImage();
}

bool savePlot(QCustomPlot *plot, const QString &path, int width, int height)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    const PrintTheme theme(plot);
    bool ok = false;
    if (suffix == QStringLiteral("png")) {
        ok = plot->savePng(path, width, height);
    } else if (suffix == QStringLiteral("pdf")) {
        ok = plot->savePdf(path, width, height);
    } else if (suffix == QStringLiteral("svg")) {
        QSvgGenerator generator;
        generator.setFileName(path);
        generator.setSize(QSize(width, height));
        generator.setViewBox(QRect(0, 0, width, height));
        QCPPainter painter;
        ok = painter.begin(&generator);
        if (ok) {
            plot->toPainter(&painter, width, height);
            ok = painter.end();
        }
    }
    return ok;
}

QColor seriesColour(int index)
{
    static const QColor palette[] = {QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                                     QColor(230, 159, 0), QColor(86, 180, 233), QColor(240, 228, 66), QColor(0, 0, 0)};
    return palette[((index % 8) + 8) % 8];
}

} // namespace gw
