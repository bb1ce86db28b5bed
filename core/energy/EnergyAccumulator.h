#pragma once

namespace gw {

/// Integrates average power over intervals into energy and converts it to emissions. Each interval
/// contributes power x duration exactly (the sampler reports averages, not instants), so a constant
/// 100 W over 36 s is 3600 J = 1 Wh whatever the sampling rate.
class EnergyAccumulator {
public:
    void add(double intervalS, double powerW);
    void reset() { energyJ_ = 0; durationS_ = 0; }

    double energyJ() const { return energyJ_; }
    double energyWh() const { return energyJ_ / 3600.0; }
    double energyKwh() const { return energyJ_ / 3.6e6; }
    double durationS() const { return durationS_; }

    static double emissionsG(double energyKwh, double intensityGPerKwh) { return energyKwh * intensityGPerKwh; }

private:
    double energyJ_ = 0;
    double durationS_ = 0;
};

} // namespace gw
