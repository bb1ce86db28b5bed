#pragma once
#include "LabelingShortcuts.h"

#include <QString>
#include <QStringList>

class QSettings;

namespace gw {

struct RunConfig;

/// The person's lasting choices (QSettings, "GreenAI/Workbench"): where the electricity comes
/// from, how to get live carbon intensity, the data centre's PUE and how often to sample power.
/// New runs start from them; a run's own config still decides for that run.
struct WorkbenchSettings {
    QString country;                               ///< ISO 3166 alpha-3; empty: world average
    QString intensity = QStringLiteral("table");   ///< "table" or "live"
    QString zone;                                  ///< Electricity Maps zone override
    QString electricityMapsToken;                  ///< empty: ELECTRICITYMAPS_TOKEN from the environment
    double pue = 1.0;
    double sampleHz = 1.0;                         ///< runs without a live view (command line)
    double liveSampleHz = 10.0;                    ///< while the window's live plot shows a run
    LabelingShortcuts labelingShortcuts;           ///< keys of the labeling view
    QString appearance = QStringLiteral("system"); ///< "system" (the desktop's palette), "light" or "dark"
    QStringList disabledPlugins;                   ///< ids of plugins not to load

    static WorkbenchSettings load(const QSettings &settings);
    void save(QSettings &settings) const;
    /// Energy choices of a fresh run config, from these settings.
    void applyTo(RunConfig &config) const;
};

} // namespace gw
