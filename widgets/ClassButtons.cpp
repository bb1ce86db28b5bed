#include "ClassButtons.h"

#include <QMenu>
#include <QPushButton>
#include <QResizeEvent>
#include <algorithm>

namespace gw {

namespace {
constexpr int kSpacing = 4;
} // namespace

ClassButtons::ClassButtons(QWidget *parent) : QWidget(parent)
{
    QSizePolicy policy(QSizePolicy::Preferred, QSizePolicy::Preferred);
    policy.setHeightForWidth(true); // as many rows as the width needs
    setSizePolicy(policy);
}

QPushButton *ClassButtons::button(int classIndex) const
{
    return classIndex >= 0 && classIndex < buttons_.size() ? buttons_[classIndex] : nullptr;
}

void ClassButtons::setClasses(const QStringList &names, const QStringList &keys)
{
    qDeleteAll(buttons_);
    buttons_.clear();
    for (int c = 0; c < names.size(); ++c) {
        const QString key = c < keys.size() && !keys[c].isEmpty() ? keys[c] : QStringLiteral("-");
        // "&&": a class name is no mnemonic; the label keys are the way to press a class.
        auto *b = new QPushButton(QStringLiteral("%1  %2").arg(key, QString(names[c]).replace(QLatin1Char('&'), QStringLiteral("&&"))), this);
        b->setObjectName(QStringLiteral("class-%1").arg(c));
        b->setToolTip(tr("Give the selected image class \"%1\" (key %2); right-click to rename the class").arg(names[c], key));
        b->setFocusPolicy(Qt::NoFocus); // the keys stay with the grid
        b->setContextMenuPolicy(Qt::CustomContextMenu);
        connect(b, &QPushButton::clicked, this, [this, c] { Q_EMIT classClicked(c); });
        connect(b, &QPushButton::customContextMenuRequested, this, [this, b, c](const QPoint &at) {
            QMenu menu(this);
            menu.addAction(tr("&Rename class…"), this, [this, c] { Q_EMIT renameRequested(c); });
            menu.exec(b->mapToGlobal(at));
        });
        if (isVisible())
            b->show();
        buttons_.push_back(b);
    }
    updateGeometry();
    place();
}

QSize ClassButtons::cellSize() const
{
    QSize cell(0, 0);
    for (const QPushButton *b : buttons_)
        cell = cell.expandedTo(b->sizeHint());
    return cell;
}

int ClassButtons::columnsFor(int width) const
{
    const int cellWidth = cellSize().width();
    if (buttons_.isEmpty() || cellWidth <= 0)
        return 1;
    return std::clamp((width + kSpacing) / (cellWidth + kSpacing), 1, int(buttons_.size()));
}

bool ClassButtons::hasHeightForWidth() const
{
    return true;
}

int ClassButtons::heightForWidth(int width) const
{
    if (buttons_.isEmpty())
        return 0;
    const int columns = columnsFor(width);
    const int rows = (int(buttons_.size()) + columns - 1) / columns;
    return rows * cellSize().height() + (rows - 1) * kSpacing;
}

QSize ClassButtons::sizeHint() const
{
    // All in one row when there is room; the layout narrows it and asks heightForWidth.
    const QSize cell = cellSize();
    return {int(buttons_.size()) * (cell.width() + kSpacing), heightForWidth(int(buttons_.size()) * (cell.width() + kSpacing))};
}

QSize ClassButtons::minimumSizeHint() const
{
    // One column is the least: the dock may be narrow, and the buttons then stack.
    return {cellSize().width(), cellSize().height()};
}

void ClassButtons::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    place();
}

void ClassButtons::place()
{
    if (buttons_.isEmpty())
        return;
    columns_ = columnsFor(width());
    // The columns share the width: buttons grow to fill a row rather than leave a ragged gap.
    const int cellWidth = std::max(cellSize().width(), (width() - (columns_ - 1) * kSpacing) / columns_);
    const int cellHeight = cellSize().height();
    for (int c = 0; c < buttons_.size(); ++c)
        buttons_[c]->setGeometry((c % columns_) * (cellWidth + kSpacing), (c / columns_) * (cellHeight + kSpacing), cellWidth, cellHeight);
}

} // namespace gw
