#include "LabelingShortcuts.h"

namespace gw {

QStringList LabelingShortcuts::actions()
{
    QStringList out;
    for (int c = 0; c < 10; ++c)
        out << QStringLiteral("class-%1").arg(c);
    out << QStringLiteral("skip") << QStringLiteral("submit") << QStringLiteral("undo") << QStringLiteral("redo") << QStringLiteral("zoom");
    return out;
}

QMap<QString, QKeySequence> LabelingShortcuts::defaults()
{
    QMap<QString, QKeySequence> keys;
    for (int c = 0; c < 10; ++c)
        keys.insert(QStringLiteral("class-%1").arg(c), QKeySequence(QString::number((c + 1) % 10)));
    keys.insert(QStringLiteral("skip"), QKeySequence(Qt::Key_S));
    keys.insert(QStringLiteral("submit"), QKeySequence(Qt::Key_Return));
    keys.insert(QStringLiteral("undo"), QKeySequence(Qt::CTRL | Qt::Key_Z));
    keys.insert(QStringLiteral("redo"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_Z));
    keys.insert(QStringLiteral("zoom"), QKeySequence(Qt::Key_Z));
    return keys;
}

QString LabelingShortcuts::actionFor(const QKeySequence &key) const
{
    for (auto it = keys.constBegin(); it != keys.constEnd(); ++it)
        if (!it.value().isEmpty() && it.value() == key)
            return it.key();
    return {};
}

} // namespace gw
