#include "PlotExport.h"

#include "PlotTheme.h"
#include "QCustomPlotInclude.h"

#include <QFileInfo>
#include <QSvgGenerator>

namespace gw {

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

} // namespace gw
