#include "LabelingGrid.h"

#include <QMouseEvent>
#include <QPainter>

namespace gw {

namespace {
constexpr int kImageSize = LabelingGrid::kImageSize;
constexpr int kCellWidth = LabelingGrid::kCellWidth;
constexpr int kCellHeight = LabelingGrid::kCellHeight;
constexpr int kGap = LabelingGrid::kGap;
} // namespace

LabelingGrid::LabelingGrid(QWidget *parent) : QWidget(parent)
{
    setFocusPolicy(Qt::NoFocus); // keys go to the view around it
    setMinimumSize(kCellWidth + 2 * kGap, kCellHeight + 2 * kGap);
}

void LabelingGrid::setItems(const QVector<LabelingItem> &items)
{
    items_ = items;
    selected_ = items_.isEmpty() ? -1 : 0;
    updateGeometry();
    update();
    Q_EMIT selectionChanged(selected_);
}

void LabelingGrid::setClassNames(const QStringList &names)
{
    classNames_ = names;
    update();
}

int LabelingGrid::indexOf(qint64 sampleIndex) const
{
    for (int i = 0; i < items_.size(); ++i)
        if (items_[i].sampleIndex == sampleIndex)
            return i;
    return -1;
}

void LabelingGrid::select(int index)
{
    if (index < 0 || index >= items_.size() || index == selected_)
        return;
    selected_ = index;
    update();
    Q_EMIT selectionChanged(selected_);
}

int LabelingGrid::columns() const
{
    return std::max(1, (width() - kGap) / (kCellWidth + kGap));
}

void LabelingGrid::moveSelection(int dx, int dy)
{
    if (items_.isEmpty())
        return;
    const int target = std::clamp(selected_ + dx + dy * columns(), 0, int(items_.size()) - 1);
    select(target);
}

QSize LabelingGrid::sizeHint() const
{
    const int perRow = 5;
    const int rows = std::max(1, int((items_.size() + perRow - 1) / perRow));
    return {kGap + perRow * (kCellWidth + kGap), kGap + rows * (kCellHeight + kGap)};
}

QRect LabelingGrid::cellRect(int index) const
{
    const int c = columns();
    return {kGap + (index % c) * (kCellWidth + kGap), kGap + (index / c) * (kCellHeight + kGap), kCellWidth, kCellHeight};
}

void LabelingGrid::paintEvent(QPaintEvent *)
{
    QPainter painter(this);
    painter.fillRect(rect(), palette().base());
    const QFontMetrics metrics(font());
    for (int i = 0; i < items_.size(); ++i) {
        const LabelingItem &item = items_[i];
        const QRect cell = cellRect(i);
        painter.fillRect(cell, palette().alternateBase());
        const QRect image(cell.left() + (kCellWidth - kImageSize) / 2, cell.top() + 4, kImageSize, kImageSize);
        painter.drawImage(image, item.image.isNull() ? QImage() : item.image);
        const auto name = [this](int c) { return c >= 0 && c < classNames_.size() ? classNames_[c] : QString::number(c); };
        const QString guess = item.predicted < 0 ? tr("no model yet")
                                                 : tr("%1 (%2 %)").arg(name(item.predicted)).arg(int(item.confidence * 100 + 0.5));
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(QRect(cell.left() + 2, image.bottom() + 4, kCellWidth - 4, metrics.height()), Qt::AlignHCenter,
                         metrics.elidedText(guess, Qt::ElideRight, kCellWidth - 4));
        QString decision = tr("unlabelled");
        QColor colour = palette().color(QPalette::Text);
        if (item.label) {
            decision = tr("= %1").arg(name(*item.label));
            colour = QColor(0, 114, 178); // Okabe-Ito blue: readable for colour-blind eyes
        } else if (item.skipped) {
            decision = tr("skipped");
            colour = QColor(213, 94, 0);
        }
        if ((item.label || item.skipped) && item.stored)
            decision += QStringLiteral("  \u2713"); // committed
        painter.setPen(colour);
        QFont bold = font();
        bold.setBold(item.label.has_value());
        painter.setFont(bold);
        painter.drawText(QRect(cell.left() + 2, image.bottom() + 6 + metrics.height(), kCellWidth - 4, metrics.height() + 2), Qt::AlignHCenter,
                         metrics.elidedText(decision, Qt::ElideRight, kCellWidth - 4));
        painter.setFont(font());
        if (i == selected_) {
            painter.setPen(QPen(palette().color(QPalette::Highlight), 3));
            painter.drawRect(cell.adjusted(1, 1, -2, -2));
        }
    }
    if (items_.isEmpty()) {
        painter.setPen(palette().color(QPalette::PlaceholderText));
        painter.drawText(rect(), Qt::AlignCenter, tr("No batch to label. Start an active-learning run with oracle \"human\"."));
    }
}

int LabelingGrid::cellAt(const QPoint &point) const
{
    for (int i = 0; i < items_.size(); ++i)
        if (cellRect(i).contains(point))
            return i;
    return -1;
}

void LabelingGrid::mousePressEvent(QMouseEvent *event)
{
    if (const int i = cellAt(event->position().toPoint()); i >= 0)
        select(i);
}

void LabelingGrid::mouseDoubleClickEvent(QMouseEvent *event)
{
    if (const int i = cellAt(event->position().toPoint()); i >= 0) {
        select(i);
        Q_EMIT zoomRequested(i);
    }
}

} // namespace gw
