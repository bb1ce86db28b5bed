#pragma once
#include <QMetaType>
#include <QString>

namespace gw {

/// Average power over one sampling interval that ends at elapsedS, and the energy so far.
/// Power figures already include the PUE factor in totalPowerW (the component figures do not).
struct PowerSample {
    double elapsedS = 0;      ///< seconds since the monitor started, at the end of the interval
    double intervalS = 0;     ///< length of the interval the averages cover
    double cpuPowerW = 0;
    double ramPowerW = 0;
    double totalPowerW = 0;   ///< (cpu + ram) x PUE
    double energyJ = 0;       ///< cumulative, PUE included
    QString source;           ///< "measured" or "estimated"
};

} // namespace gw

Q_DECLARE_METATYPE(gw::PowerSample)
