#pragma once
#include <QKeySequence>
#include <QMap>
#include <QString>
#include <QStringList>

namespace gw {

/// The labeling view's keys, by action: "class-0" ... "class-9" (defaults 1..9 then 0), "skip" (S),
/// "submit" (Return), "undo" (Ctrl+Z), "redo" (Ctrl+Shift+Z), "zoom" (Z: the selected image, large).
/// The settings can remap any of them.
struct LabelingShortcuts {
    QMap<QString, QKeySequence> keys = defaults();

    static QStringList actions();
    static QMap<QString, QKeySequence> defaults();
    /// The action @p key stands for, or empty.
    QString actionFor(const QKeySequence &key) const;
};

} // namespace gw
