#pragma once
#include "PlotTheme.h"

#include <QImage>
#include <QString>

class QCustomPlot;

namespace gw {

/// Saves a plot as PNG, SVG or PDF by the file's extension, in the light print theme whatever
/// the screen's palette; false (and why in @p error) when the format is unknown or the file
/// cannot be written.
bool savePlot(QCustomPlot *plot, const QString &path, int width = 800, int height = 500, QString *error = nullptr);

/// @p plot drawn at @p width x @p height on the white print theme, as savePlot writes it.
QImage renderPlot(QCustomPlot *plot, int width, int height);

} // namespace gw
