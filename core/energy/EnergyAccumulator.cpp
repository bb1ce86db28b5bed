#include "energy/EnergyAccumulator.h"

namespace gw {

void EnergyAccumulator::add(double intervalS, double powerW)
{
    if (intervalS <= 0 || powerW < 0)
        return; // a clock step backwards or a nonsensical reading adds nothing rather than poisoning the total
    energyJ_ += powerW * intervalS;
    durationS_ += intervalS;
}

} // namespace gw
