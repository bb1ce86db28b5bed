#pragma once
#include <QImage>
#include <QStringList>
#include <QWidget>
#include <optional>

namespace gw {

/// One image of a batch as the grid shows it: the model's guess and what the person decided.
struct LabelingItem {
    qint64 sampleIndex = 0;
    QString sampleKey;
    QImage image;
    int predicted = -1; ///< -1: no model yet
    double confidence = 0;
    std::optional<int> label;
    bool skipped = false;
    bool stored = false; ///< the decision is committed to the store
};

/// The batch as a grid of cells (image, prediction with confidence, decision), with one selected
/// cell. It paints and selects; what keys mean is LabelingView's business.
class LabelingGrid : public QWidget {
    Q_OBJECT
public:
    /// A cell: the image (at least 96 px, as a person needs to tell classes apart), its guess and decision.
    static constexpr int kImageSize = 112;
    static constexpr int kCellWidth = 150;
    static constexpr int kCellHeight = kImageSize + 52;
    static constexpr int kGap = 8;

    explicit LabelingGrid(QWidget *parent = nullptr);

    void setItems(const QVector<LabelingItem> &items);
    void setClassNames(const QStringList &names);
    QVector<LabelingItem> &items() { return items_; }
    const QVector<LabelingItem> &items() const { return items_; }
    /// Index of the item for @p sampleIndex, -1 when it is not in the batch.
    int indexOf(qint64 sampleIndex) const;
    int selected() const { return selected_; }
    void select(int index);
    /// Moves the selection by whole cells (rows of the grid for up and down).
    void moveSelection(int dx, int dy);
    int columns() const;
    QSize sizeHint() const override;

Q_SIGNALS:
    void selectionChanged(int index);
    /// The person wants a closer look at the image of cell @p index (double-click).
    void zoomRequested(int index);

protected:
    void paintEvent(QPaintEvent *event) override;
    void mousePressEvent(QMouseEvent *event) override;
    void mouseDoubleClickEvent(QMouseEvent *event) override;

private:
    QRect cellRect(int index) const;
    /// The cell under @p point, -1 when none.
    int cellAt(const QPoint &point) const;
    QVector<LabelingItem> items_;
    QStringList classNames_;
    int selected_ = -1;
};

} // namespace gw
