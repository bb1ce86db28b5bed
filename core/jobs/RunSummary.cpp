#include "jobs/RunSummary.h"

namespace gw {

QJsonObject RunSummary::toJson() const
{
    QJsonObject json{{QStringLiteral("run_id"), runId},
                     {QStringLiteral("name"), name},
                     {QStringLiteral("status"), status},
                     {QStringLiteral("accuracy"), accuracyEvaluated ? QJsonValue(accuracy) : QJsonValue()},
                     {QStringLiteral("labels_used"), labelsUsed},
                     {QStringLiteral("duration_s"), durationS},
                     {QStringLiteral("energy_kwh"), energyKwh},
                     {QStringLiteral("emissions_g"), emissionsG},
                     {QStringLiteral("energy_source"), energySource},
                     {QStringLiteral("intensity_g_per_kwh"), intensityGPerKwh},
                     {QStringLiteral("intensity_origin"), intensityOrigin}};
    if (!error.isEmpty())
        json.insert(QStringLiteral("error"), error);
    const auto put = [&json](const char *key, const std::optional<double> &value) {
        if (value)
            json.insert(QLatin1String(key), *value);
    };
    put("predicted_energy_kwh", predictedEnergyKwh);
    put("predicted_duration_s", predictedDurationS);
    put("predicted_emissions_g", predictedEmissionsG);
    QJsonObject phases;
    for (auto it = energyByPhaseKwh.constBegin(); it != energyByPhaseKwh.constEnd(); ++it)
        phases.insert(it.key(), it.value());
    json.insert(QStringLiteral("energy_by_phase_kwh"), phases);
    for (auto it = extra.constBegin(); it != extra.constEnd(); ++it)
        json.insert(it.key(), it.value());
    return json;
}

} // namespace gw
