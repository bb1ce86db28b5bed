#include "RecentProjects.h"

#include <QDir>
#include <QFileInfo>
#include <QSettings>

namespace gw {

namespace {
const QString kKey = QStringLiteral("projects/recent");
}

QString RecentProjects::storePath(const QString &folder)
{
    return QDir(folder).filePath(QStringLiteral("workbench.sqlite"));
}

QStringList RecentProjects::load(const QSettings &settings)
{
    QStringList out;
    for (const QString &folder : settings.value(kKey).toStringList())
        if (QFileInfo(folder).isDir() && !out.contains(folder) && out.size() < kMaximum)
            out << folder;
    return out;
}

QStringList RecentProjects::add(QSettings &settings, const QString &folder)
{
    const QString absolute = QFileInfo(folder).absoluteFilePath();
    QStringList list = load(settings);
    list.removeAll(absolute);
    list.prepend(absolute);
    while (list.size() > kMaximum)
        list.removeLast();
    settings.setValue(kKey, list);
    return list;
}

} // namespace gw
