#pragma once
#include <QString>
#include <optional>

namespace gw {

/// A run's energy and carbon budget (either, both or none). Checked against the tally while the
/// run goes and against each prediction of its total, so a run that cannot fit stops early.
class CarbonBudget {
public:
    CarbonBudget(std::optional<double> energyWh, std::optional<double> emissionsG) : energyWh_(energyWh), emissionsG_(emissionsG) {}

    bool isSet() const { return energyWh_ || emissionsG_; }
    /// A sentence saying which limit @p energyJ / @p emissionsG cross, or nullopt when within budget.
    /// @param basis what the figures are: "energy so far", "predicted total".
    std::optional<QString> exceeded(double energyJ, double emissionsG, const QString &basis) const;

private:
    std::optional<double> energyWh_;
    std::optional<double> emissionsG_;
};

} // namespace gw
