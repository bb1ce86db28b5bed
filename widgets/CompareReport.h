#pragma once
#include <QMap>
#include <QString>

namespace gw {

class CompareView;

/// A report of the compared runs, HTML or PDF by the file's extension: the comparison table, every
/// plot of the Compare view (rendered on a white print theme), the leaderboard's score, and per run
/// its settings (the stored config) and its model-card section (energy and CO2e, each figure
/// measured or estimated). The HTML is one file (images inline as data URLs).
class CompareReport {
public:
    /// @p modelCards: run id -> that run's model card (ModelCard::render), shown per run.
    static bool write(const CompareView &view, const QMap<qint64, QString> &modelCards, const QString &path, QString *error = nullptr);
    /// The report's HTML; images referenced as @p imagePrefix + index + ".png", @p plotWidth px wide.
    static QString html(const CompareView &view, const QMap<qint64, QString> &modelCards, const QString &imagePrefix, int plotWidth = 640);
};

} // namespace gw
