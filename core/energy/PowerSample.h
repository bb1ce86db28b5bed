#pragma once
#include <QMetaType>
#include <QString>

namespace gw {

/// Average power over one sampling interval that ends at elapsedS, and the energy so far.
/// Only totalPowerW includes the PUE factor (the component figures do not).
struct PowerSample {
    double elapsedS = 0;      ///< seconds since the monitor started, at the end of the interval
    double intervalS = 0;     ///< length of the interval the averages cover
    double cpuPowerW = 0;
    double ramPowerW = 0;
    double totalPowerW = 0;   ///< (cpu + gpu + ram) x PUE
    double energyJ = 0;       ///< cumulative, PUE included
    QString source;           ///< "measured" when every component is, else "estimated"
    double gpuPowerW = 0;
    double intensityGPerKwh = 0; ///< grid intensity in force during the interval
    double emissionsG = 0;       ///< cumulative: sum of interval energy x its intensity
    QString phase;               ///< innermost energy window during the interval, or "idle"
};

} // namespace gw

Q_DECLARE_METATYPE(gw::PowerSample)
