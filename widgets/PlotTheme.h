#pragma once
#include <QColor>
#include <QPalette>

class QCustomPlot;

namespace gw {

/// The plots' colours from a palette: background from Base, axes, ticks, labels, legends and text
/// items from Text, grid lines a faint Text. Series keep their Okabe-Ito colours (seriesColour),
/// which stay apart on light and dark backgrounds and for colour-blind eyes.
void applyPlotTheme(QCustomPlot *plot, const QPalette &palette);

/// Applies the plot's palette now and again whenever it changes (the desktop switching between light
/// and dark, or Settings → Appearance), so a plot never stays white in a dark window.
void followPalette(QCustomPlot *plot);

/// The light palette exported plots and reports are drawn with, whatever the screen's.
QPalette printPalette();

/// A dark palette for the Fusion style (Settings → Appearance → Dark), for desktops whose dark theme
/// Qt does not pick up by itself.
QPalette darkPalette();

/// Whether @p palette is a dark one (light text on a dark window).
bool isDark(const QPalette &palette);

/// The Okabe-Ito colours, told apart by colour-blind eyes; @p index wraps around.
QColor seriesColour(int index);

/// Draws @p plot in the print palette for the lifetime of the scope, then back in its own.
class PrintTheme {
public:
    explicit PrintTheme(QCustomPlot *plot);
    ~PrintTheme();
    PrintTheme(const PrintTheme &) = delete;
    PrintTheme &operator=(const PrintTheme &) = delete;

private:
    QCustomPlot *plot_;
};

} // namespace gw
