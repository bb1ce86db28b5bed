#include "RoundClock.h"

#include <algorithm>
#include <cmath>

namespace gw::federated {

namespace {

double secondsToMove(std::int64_t bytes, double mbps)
{
    return double(bytes) * 8.0 / (mbps * 1e6);
}

} // namespace

RoundTiming simulateRound(const std::vector<RoundClient> &clients, const RoundPlan &plan)
{
    RoundTiming timing;
    double slowestKept = 0;
    bool waitedForStraggler = false;
    for (const RoundClient &c : clients) {
        ClientRound r;
        r.client = c.client;
        const DeviceProfile &d = c.device;
        const double down = secondsToMove(plan.downlinkBytes, d.downlinkMbps);
        const double compute = double(c.samples) * plan.localEpochs * d.secondsPerSample;
        const double up = secondsToMove(c.uplinkBytes, d.uplinkMbps);
        const double needed = down + compute + up;
        const double onFor = d.hoursLeftAt(plan.startHour) * 3600.0;
        double worked = needed;
        std::int64_t bytes = plan.downlinkBytes + c.uplinkBytes;
        if (onFor <= 0) {
            r.dropped = QStringLiteral("offline at the round's start");
            worked = 0;
            bytes = 0;
        } else if (onFor < needed && (plan.deadlineS <= 0 || onFor < plan.deadlineS)) {
            r.dropped = QStringLiteral("went offline after %1 s").arg(onFor, 0, 'f', 0);
            worked = onFor;
            bytes = plan.downlinkBytes; // its update never left
        } else if (plan.deadlineS > 0 && needed > plan.deadlineS) {
            r.dropped = QStringLiteral("past the deadline (%1 s of %2 s)").arg(needed, 0, 'f', 0).arg(plan.deadlineS, 0, 'f', 0);
            worked = plan.deadlineS;
            bytes = plan.downlinkBytes;
            waitedForStraggler = true;
        }
        r.kept = r.dropped.isEmpty();
        r.durationS = worked;
        r.energyJ = d.busyW * worked + d.networkJPerByte * double(bytes);
        r.co2eG = plan.intensity ? r.energyJ / 3.6e6 * plan.intensity(d.region, plan.startHour) : 0;
        if (r.kept)
            slowestKept = std::max(slowestKept, needed);
        timing.clients.push_back(r);
    }
    timing.durationS = waitedForStraggler ? std::max(slowestKept, plan.deadlineS) : slowestKept;
    return timing;
}

} // namespace gw::federated
