#include "PlotTheme.h"

#include "QCustomPlotInclude.h"

#include <QEvent>

namespace gw {

namespace {

const char *const kThemeTextProperty = "gwThemeText";

void themeLegend(QCPLegend *legend, const QColor &text, const QColor &base)
{
    legend->setBrush(base);
    legend->setBorderPen(QPen(text));
    legend->setTextColor(text);
}

/// Re-themes the plot whenever its palette changes; owned by the plot.
class PaletteFollower : public QObject {
public:
    explicit PaletteFollower(QCustomPlot *plot) : QObject(plot), plot_(plot) { plot->installEventFilter(this); }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == plot_ && (event->type() == QEvent::PaletteChange || event->type() == QEvent::ApplicationPaletteChange)) {
            applyPlotTheme(plot_, plot_->palette());
            plot_->replot(QCustomPlot::rpQueuedReplot);
        }
        return false;
    }

private:
    QCustomPlot *plot_;
};

} // namespace

void applyPlotTheme(QCustomPlot *plot, const QPalette &palette)
{
    const QColor text = palette.color(QPalette::Active, QPalette::Text);
    const QColor base = palette.color(QPalette::Active, QPalette::Base);
    QColor grid = text;
    grid.setAlpha(60);
    QColor subGrid = text;
    subGrid.setAlpha(25);
    const QColor previousText = plot->property(kThemeTextProperty).value<QColor>();
    plot->setBackground(base);
    for (QCPAxisRect *rect : plot->axisRects()) {
        for (QCPAxis *axis : rect->axes()) {
            axis->setBasePen(QPen(text));
            axis->setTickPen(QPen(text));
            axis->setSubTickPen(QPen(text));
            axis->setLabelColor(text);
            axis->setTickLabelColor(text);
            axis->grid()->setPen(QPen(grid, 0, Qt::DotLine));
            axis->grid()->setSubGridPen(QPen(subGrid, 0, Qt::DotLine));
        }
        for (int i = 0; i < rect->insetLayout()->elementCount(); ++i)
            if (auto *legend = qobject_cast<QCPLegend *>(rect->insetLayout()->elementAt(i)))
                themeLegend(legend, text, base);
    }
    for (int i = 0; i < plot->plotLayout()->elementCount(); ++i) {
        QCPLayoutElement *element = plot->plotLayout()->elementAt(i);
        if (auto *title = qobject_cast<QCPTextElement *>(element))
            title->setTextColor(text);
        else if (auto *legend = qobject_cast<QCPLegend *>(element)) // a legend placed outside the axes
            themeLegend(legend, text, base);
    }
    // Text items drawn in the theme's text colour follow it; coloured ones (a series' own) keep theirs.
    for (int i = 0; i < plot->itemCount(); ++i)
        if (auto *label = qobject_cast<QCPItemText *>(plot->item(i)))
            if (label->color() == QColor(Qt::black) || label->color() == previousText)
                label->setColor(text);
    plot->setProperty(kThemeTextProperty, text);
}

void followPalette(QCustomPlot *plot)
{
    applyPlotTheme(plot, plot->palette());
    new PaletteFollower(plot);
}

QPalette printPalette()
{
    QPalette palette;
    palette.setColor(QPalette::Base, Qt::white);
    palette.setColor(QPalette::Window, Qt::white);
    palette.setColor(QPalette::Text, Qt::black);
    palette.setColor(QPalette::WindowText, Qt::black);
    return palette;
}

QPalette darkPalette()
{
    QPalette p;
    const QColor window(45, 45, 48), base(30, 30, 32), text(225, 225, 225), disabledText(130, 130, 130);
    p.setColor(QPalette::Window, window);
    p.setColor(QPalette::WindowText, text);
    p.setColor(QPalette::Base, base);
    p.setColor(QPalette::AlternateBase, QColor(40, 40, 43));
    p.setColor(QPalette::ToolTipBase, window);
    p.setColor(QPalette::ToolTipText, text);
    p.setColor(QPalette::Text, text);
    p.setColor(QPalette::PlaceholderText, disabledText);
    p.setColor(QPalette::Button, window);
    p.setColor(QPalette::ButtonText, text);
    p.setColor(QPalette::BrightText, QColor(240, 228, 66));
    p.setColor(QPalette::Light, QColor(70, 70, 74));
    p.setColor(QPalette::Midlight, QColor(60, 60, 64));
    p.setColor(QPalette::Mid, QColor(80, 80, 84));
    p.setColor(QPalette::Dark, QColor(20, 20, 22));
    p.setColor(QPalette::Shadow, Qt::black);
    p.setColor(QPalette::Highlight, QColor(0, 114, 178)); // Okabe-Ito blue, as the plots' first series
    p.setColor(QPalette::HighlightedText, Qt::white);
    p.setColor(QPalette::Link, QColor(86, 180, 233));
    for (const QPalette::ColorRole role : {QPalette::WindowText, QPalette::Text, QPalette::ButtonText})
        p.setColor(QPalette::Disabled, role, disabledText);
    return p;
}

bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < palette.color(QPalette::WindowText).lightness();
}

QColor seriesColour(int index)
{
    static const QColor palette[] = {QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 158, 115), QColor(204, 121, 167),
                                     QColor(230, 159, 0), QColor(86, 180, 233), QColor(240, 228, 66), QColor(0, 0, 0)};
    return palette[((index % 8) + 8) % 8];
}

PrintTheme::PrintTheme(QCustomPlot *plot) : plot_(plot)
{
    applyPlotTheme(plot_, printPalette());
}

PrintTheme::~PrintTheme()
{
    applyPlotTheme(plot_, plot_->palette());
    plot_->replot();
}

} // namespace gw
