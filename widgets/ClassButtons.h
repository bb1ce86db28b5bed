#pragma once
#include <QStringList>
#include <QVector>
#include <QWidget>

class QPushButton;

namespace gw {

/// The classes of a labeling run as buttons that reflow to the width they get: a click gives the
/// selected image that class (for a person with a mouse, or one who forgot the keys), the context
/// menu renames it. Each button shows the key that does the same.
class ClassButtons : public QWidget {
    Q_OBJECT
public:
    explicit ClassButtons(QWidget *parent = nullptr);

    /// One button per class: "key  name" (@p keys may be shorter than @p names; a missing key shows "-").
    void setClasses(const QStringList &names, const QStringList &keys);
    int count() const { return int(buttons_.size()); }
    QPushButton *button(int classIndex) const;
    /// Columns in use at the present width.
    int columns() const { return columns_; }
    bool hasHeightForWidth() const override;
    int heightForWidth(int width) const override;
    QSize sizeHint() const override;
    QSize minimumSizeHint() const override;

Q_SIGNALS:
    void classClicked(int classIndex);
    void renameRequested(int classIndex);

protected:
    void resizeEvent(QResizeEvent *event) override;

private:
    /// The buttons in rows at the present width.
    void place();
    /// The size every button gets at least: the largest button's.
    QSize cellSize() const;
    int columnsFor(int width) const;

    QVector<QPushButton *> buttons_;
    int columns_ = 0;
};

} // namespace gw
