#pragma once
#include "DeviceProfiles.h"

#include <QString>
#include <functional>
#include <vector>

namespace gw::federated {

/// A selected client as a round sees it: its device and how many samples it trains on.
struct RoundClient {
    int client = 0;
    DeviceProfile device;
    std::int64_t samples = 0;
    std::int64_t uplinkBytes = 0; ///< its update as it would be sent
    /// A local epoch's compute per sample, in the device's seconds_per_sample (one training step of
    /// the small CNN): 1 for the small CNN, less for a linear head over kept features.
    double stepsPerSample = 1;
    /// Work before its first round, in the same steps: computing its samples' features with a
    /// frozen backbone, once (0: none).
    double setupSteps = 0;
    /// Bytes it downloads before its first round: the frozen backbone, once (0: none).
    std::int64_t setupBytes = 0;
};

/// What the round asks of everyone.
struct RoundPlan {
    double startHour = 0;         ///< the simulated clock at the round's start (hours since the simulation began)
    double deadlineS = 0;         ///< stragglers past it are dropped (0: no deadline)
    int localEpochs = 1;
    std::int64_t downlinkBytes = 0; ///< the global model sent to each client
    /// Over-commit: of the clients that finish, only the first @p keepFirst are kept; the others are
    /// stopped when the last of those finishes (0: keep all).
    int keepFirst = 0;
    /// g CO2e per kWh of @p region's grid at hour @p hour (the bundled table, or a forecast).
    std::function<double(const QString &region, double hour)> intensity;
};

/// What a client's round takes when nothing cuts it short: its time (download, local epochs,
/// upload) and its device's energy (busy for that time, plus the network's energy per byte).
struct ModelledCost {
    double seconds = 0;
    double energyJ = 0;
};
ModelledCost modelledCost(const RoundClient &client, const RoundPlan &plan);

/// One client's round, modelled: kept, or dropped and why; its time, energy and CO2e on its device.
struct ClientRound {
    int client = 0;
    bool kept = false;
    QString dropped; ///< empty when kept: "past the deadline", "went offline after 12 s", "offline at the round's start"
    double durationS = 0;
    double energyJ = 0;  ///< modelled: the device busy for its time, plus the network's energy per byte moved
    double co2eG = 0;    ///< at its grid's intensity at the round's hour
};

struct RoundTiming {
    std::vector<ClientRound> clients;
    double durationS = 0; ///< as long as its slowest kept client, or the deadline when a straggler was waited for
};

/// The simulated clock of one federated round: each client receives the global model, trains on its
/// samples for the local epochs and sends its update, at its device's speed and bandwidth. A client
/// offline at the start, one whose availability ends mid-round, and one past the deadline are dropped;
/// what they spent until then is still counted. With over-commit, the clients that finish after the
/// first RoundPlan::keepFirst are dropped too, stopped when the last kept one finishes.
RoundTiming simulateRound(const std::vector<RoundClient> &clients, const RoundPlan &plan);

} // namespace gw::federated
