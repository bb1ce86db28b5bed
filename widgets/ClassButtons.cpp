#include "ClassButtons.h"

#include <QGridLayout>
#include <QMenu>
#include <QPushButton>
#include <QResizeEvent>
#include <algorithm>

namespace gw {

ClassButtons::ClassButtons(QWidget *parent) : QWidget(parent), layout_(new QGridLayout(this))
{
    layout_->setContentsMargins(0, 0, 0, 0);
    layout_->setSpacing(4);
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
        auto *b = new QPushButton(QStringLiteral("%1  %2").arg(key, QString(names[c]).replace(QLatin1Char('&'), QStringLiteral("&&"))));
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
        buttons_.push_back(b);
    }
    columns_ = 0;
    reflow();
}

void ClassButtons::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    reflow();
}

void ClassButtons::reflow()
{
    if (buttons_.isEmpty())
        return;
    int widest = 0;
    for (const QPushButton *b : buttons_)
        widest = std::max(widest, b->sizeHint().width());
    const int columns = std::clamp((width() + layout_->spacing()) / (widest + layout_->spacing()), 1, int(buttons_.size()));
    if (columns == columns_)
        return;
    columns_ = columns;
    for (QPushButton *b : buttons_)
        layout_->removeWidget(b);
    for (int c = 0; c < buttons_.size(); ++c)
        layout_->addWidget(buttons_[c], c / columns, c % columns);
    // The rows the buttons need at this width, so the layout above gives them that height.
    layout_->invalidate();
    setMinimumHeight(layout_->sizeHint().height());
}

} // namespace gw
