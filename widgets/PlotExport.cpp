#include "PlotExport.h"

#include "PlotTheme.h"
#include "QCustomPlotInclude.h"

#include "Error.h"
#include "util/Files.h"

#include <QBuffer>
#include <QFileInfo>
#include <QPageSize>
#include <QPdfWriter>
#include <QSvgGenerator>

namespace gw {

QImage renderPlot(QCustomPlot *plot, int width, int height)
{
    const PrintTheme theme(plot);
    return plot->toPixmap(width, height).toImage();
}

bool savePlot(QCustomPlot *plot, const QString &path, int width, int height, QString *error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    const PrintTheme theme(plot);
    // Drawn into memory first, then written whole (AtomicFile): a failed export never leaves half a file.
    QByteArray bytes;
    QBuffer buffer(&bytes);
    buffer.open(QIODevice::WriteOnly);
    // Vector formats: the plot's own painting, not a bitmap of it.
    const auto drawOn = [&](QPaintDevice *device) {
        QCPPainter painter;
        if (!painter.begin(device))
            return false;
        plot->toPainter(&painter, width, height);
        return painter.end();
    };
    bool drawn = false;
    if (suffix == QStringLiteral("png")) {
        drawn = plot->toPixmap(width, height).save(&buffer, "PNG");
    } else if (suffix == QStringLiteral("pdf")) {
        QPdfWriter writer(&buffer);
        writer.setPageSize(QPageSize(QSizeF(width, height), QPageSize::Point));
        writer.setPageMargins(QMarginsF(0, 0, 0, 0));
        writer.setResolution(72);
        drawn = drawOn(&writer);
    } else if (suffix == QStringLiteral("svg")) {
        QSvgGenerator generator;
        generator.setOutputDevice(&buffer);
        generator.setSize(QSize(width, height));
        generator.setViewBox(QRect(0, 0, width, height));
        drawn = drawOn(&generator);
    } else {
        if (error)
            *error = QStringLiteral("%1: a plot is saved as .png, .svg or .pdf").arg(path);
        return false;
    }
    if (!drawn) {
        if (error)
            *error = QStringLiteral("%1: the plot could not be drawn").arg(path);
        return false;
    }
    try {
        AtomicFile::writeWhole(path, bytes, QStringLiteral("the plot"));
    } catch (const Error &e) {
        if (error)
            *error = e.message();
        return false;
    }
    return true;
}

} // namespace gw
