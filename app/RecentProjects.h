#pragma once
#include <QStringList>

class QSettings;

namespace gw {

/// A project is a folder: its store (workbench.sqlite) and, beside it, the store's caches
/// (workbench.sqlite.cache: embeddings, checkpoints). The recent ones are remembered in QSettings,
/// newest first, at most kMaximum, folders that no longer exist left out.
class RecentProjects {
public:
    static constexpr int kMaximum = 8;

    static QString storePath(const QString &folder);
    static QStringList load(const QSettings &settings);
    /// Puts @p folder first (once) and saves the list; returns it.
    static QStringList add(QSettings &settings, const QString &folder);
};

} // namespace gw
