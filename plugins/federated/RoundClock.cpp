#include "RoundClock.h"

#include <algorithm>
#include <cmath>

namespace gw::federated {

namespace {

double secondsToMove(std::int64_t bytes, double mbps)
{
    return double(bytes) * 8.0 / (mbps * 1e6);
}

double energyOf(const DeviceProfile &d, double seconds, std::int64_t bytes)
{
    return d.busyW * seconds + d.networkJPerByte * double(bytes);
}

} // namespace

ModelledCost modelledCost(const RoundClient &c, const RoundPlan &plan)
{
    const DeviceProfile &d = c.device;
    const std::int64_t downlink = plan.downlinkBytes + c.setupBytes;
    const double steps = double(c.samples) * plan.localEpochs * c.stepsPerSample + c.setupSteps;
    const double seconds = secondsToMove(downlink, d.downlinkMbps) + steps * d.secondsPerSample + secondsToMove(c.uplinkBytes, d.uplinkMbps);
    return {seconds, energyOf(d, seconds, downlink + c.uplinkBytes)};
}

RoundTiming simulateRound(const std::vector<RoundClient> &clients, const RoundPlan &plan)
{
    RoundTiming timing;
    bool waitedForStraggler = false;
    std::vector<double> needed(clients.size());
    for (std::size_t i = 0; i < clients.size(); ++i) {
        const RoundClient &c = clients[i];
        ClientRound r;
        r.client = c.client;
        const DeviceProfile &d = c.device;
        needed[i] = modelledCost(c, plan).seconds;
        const double onFor = d.hoursLeftAt(plan.startHour) * 3600.0;
        double worked = needed[i];
        const std::int64_t downlink = plan.downlinkBytes + c.setupBytes;
        std::int64_t bytes = downlink + c.uplinkBytes;
        if (onFor <= 0) {
            r.dropped = QStringLiteral("offline at the round's start");
            worked = 0;
            bytes = 0;
        } else if (onFor < needed[i] && (plan.deadlineS <= 0 || onFor < plan.deadlineS)) {
            r.dropped = QStringLiteral("went offline after %1 s").arg(onFor, 0, 'f', 0);
            worked = onFor;
            bytes = downlink; // its update never left
        } else if (plan.deadlineS > 0 && needed[i] > plan.deadlineS) {
            r.dropped = QStringLiteral("past the deadline (%1 s of %2 s)").arg(needed[i], 0, 'f', 0).arg(plan.deadlineS, 0, 'f', 0);
            worked = plan.deadlineS;
            bytes = downlink;
            waitedForStraggler = true;
        }
        r.kept = r.dropped.isEmpty();
        r.durationS = worked;
        r.energyJ = energyOf(d, worked, bytes);
        timing.clients.push_back(r);
    }
    // Over-commit: the first keepFirst to finish are kept; the rest stop when the last of them finishes.
    std::vector<std::size_t> finished;
    for (std::size_t i = 0; i < clients.size(); ++i)
        if (timing.clients[i].kept)
            finished.push_back(i);
    if (plan.keepFirst > 0 && int(finished.size()) > plan.keepFirst) {
        std::stable_sort(finished.begin(), finished.end(), [&needed](std::size_t a, std::size_t b) { return needed[a] < needed[b]; });
        const double cutoff = needed[finished[std::size_t(plan.keepFirst) - 1]];
        for (std::size_t f = std::size_t(plan.keepFirst); f < finished.size(); ++f) {
            ClientRound &r = timing.clients[finished[f]];
            r.kept = false;
            r.dropped = QStringLiteral("over-committed: finished after the first %1").arg(plan.keepFirst);
            r.durationS = cutoff;
            r.energyJ = energyOf(clients[finished[f]].device, cutoff, plan.downlinkBytes + clients[finished[f]].setupBytes);
        }
    }
    double slowestKept = 0;
    for (std::size_t i = 0; i < clients.size(); ++i) {
        ClientRound &r = timing.clients[i];
        r.co2eG = plan.intensity ? r.energyJ / 3.6e6 * plan.intensity(clients[i].device.region, plan.startHour) : 0;
        if (r.kept)
            slowestKept = std::max(slowestKept, needed[i]);
    }
    timing.durationS = waitedForStraggler ? std::max(slowestKept, plan.deadlineS) : slowestKept;
    return timing;
}

} // namespace gw::federated
