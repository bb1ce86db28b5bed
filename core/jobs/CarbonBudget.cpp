#include "jobs/CarbonBudget.h"

namespace gw {

std::optional<QString> CarbonBudget::exceeded(double energyJ, double emissionsG, const QString &basis) const
{
    const double energyWh = energyJ / 3600.0;
    if (energyWh_ && energyWh > *energyWh_)
        return QStringLiteral("%1 %2 Wh exceeds the energy budget of %3 Wh").arg(basis).arg(energyWh, 0, 'g', 4).arg(*energyWh_, 0, 'g', 4);
    if (emissionsG_ && emissionsG > *emissionsG_)
        return QStringLiteral("%1 %2 g CO2e exceeds the carbon budget of %3 g").arg(basis).arg(emissionsG, 0, 'g', 4).arg(*emissionsG_, 0, 'g', 4);
    return std::nullopt;
}

} // namespace gw
