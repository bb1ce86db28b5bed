#include "Appearance.h"

#include "PlotTheme.h"

#include <QApplication>
#include <QStyle>

namespace gw {

void Appearance::apply(const QString &choice)
{
    // Taken before the first change: what "as the desktop" goes back to.
    static const QPalette desktop = QApplication::palette();
    if (choice == QStringLiteral("dark"))
        QApplication::setPalette(darkPalette());
    else if (choice == QStringLiteral("light"))
        QApplication::setPalette(QApplication::style()->standardPalette());
    else
        QApplication::setPalette(desktop);
}

} // namespace gw
