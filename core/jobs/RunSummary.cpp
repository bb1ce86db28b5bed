#include "jobs/RunSummary.h"

namespace gw {

QJsonObject RunSummary::toJson() const
{
    QJsonObject json{{QStringLiteral("run_id"), runId},
                     {QStringLiteral("name"), name},
                     {QStringLiteral("status"), status},
                     {QStringLiteral("accuracy"), accuracy},
                     {QStringLiteral("labels_used"), labelsUsed},
                     {QStringLiteral("duration_s"), durationS},
                     {QStringLiteral("energy_kwh"), energyKwh},
                     {QStringLiteral("emissions_g"), emissionsG},
                     {QStringLiteral("energy_source"), energySource},
                     {QStringLiteral("intensity_g_per_kwh"), intensityGPerKwh},
                     {QStringLiteral("intensity_origin"), intensityOrigin}};
    if (!error.isEmpty())
        json.insert(QStringLiteral("error"), error);
    return json;
}

} // namespace gw
