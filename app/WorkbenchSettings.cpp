#include "WorkbenchSettings.h"

#include "config/RunConfig.h"
#include "energy/EnergyMonitor.h"

#include <QSettings>
#include <algorithm>

namespace gw {

namespace {
double clampedHz(double hz, double fallback)
{
    if (!(hz > 0))
        return fallback;
    return std::clamp(hz, EnergyMonitor::kMinSampleHz, EnergyMonitor::kMaxSampleHz);
}
} // namespace

WorkbenchSettings WorkbenchSettings::load(const QSettings &settings)
{
    // Values are re-checked on the way in: a hand-edited settings file must not start a run with
    // a PUE of 0 or a 500 Hz sampler.
    WorkbenchSettings s;
    s.country = settings.value(QStringLiteral("energy/country")).toString().toUpper();
    const QString intensity = settings.value(QStringLiteral("energy/intensity"), s.intensity).toString();
    s.intensity = intensity == QStringLiteral("live") ? intensity : QStringLiteral("table");
    s.zone = settings.value(QStringLiteral("energy/zone")).toString();
    s.electricityMapsToken = settings.value(QStringLiteral("energy/electricity_maps_token")).toString();
    s.pue = std::clamp(settings.value(QStringLiteral("energy/pue"), s.pue).toDouble(), 1.0, 3.0);
    s.sampleHz = clampedHz(settings.value(QStringLiteral("energy/sample_hz"), s.sampleHz).toDouble(), 1.0);
    s.liveSampleHz = clampedHz(settings.value(QStringLiteral("energy/live_sample_hz"), s.liveSampleHz).toDouble(), 10.0);
    const QString appearance = settings.value(QStringLiteral("window/appearance"), s.appearance).toString();
    s.appearance = appearance == QStringLiteral("light") || appearance == QStringLiteral("dark") ? appearance : QStringLiteral("system");
    s.disabledPlugins = settings.value(QStringLiteral("plugins/disabled")).toStringList();
    for (const QString &action : LabelingShortcuts::actions()) {
        const QVariant key = settings.value(QStringLiteral("labeling/") + action);
        if (key.isValid())
            s.labelingShortcuts.keys.insert(action, QKeySequence::fromString(key.toString(), QKeySequence::PortableText));
    }
    return s;
}

void WorkbenchSettings::save(QSettings &settings) const
{
    settings.setValue(QStringLiteral("energy/country"), country);
    settings.setValue(QStringLiteral("energy/intensity"), intensity);
    settings.setValue(QStringLiteral("energy/zone"), zone);
    settings.setValue(QStringLiteral("energy/electricity_maps_token"), electricityMapsToken);
    settings.setValue(QStringLiteral("energy/pue"), pue);
    settings.setValue(QStringLiteral("energy/sample_hz"), sampleHz);
    settings.setValue(QStringLiteral("energy/live_sample_hz"), liveSampleHz);
    settings.setValue(QStringLiteral("window/appearance"), appearance);
    settings.setValue(QStringLiteral("plugins/disabled"), disabledPlugins);
    for (auto it = labelingShortcuts.keys.constBegin(); it != labelingShortcuts.keys.constEnd(); ++it)
        settings.setValue(QStringLiteral("labeling/") + it.key(), it.value().toString(QKeySequence::PortableText));
}

void WorkbenchSettings::applyTo(RunConfig &config) const
{
    config.energy.country = country;
    config.energy.intensity = intensity;
    config.energy.zone = zone;
    config.energy.pue = pue;
    config.energy.sampleHz = sampleHz;
}

} // namespace gw
