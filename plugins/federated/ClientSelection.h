#pragma once
#include <QString>
#include <QStringList>
#include <cstdint>
#include <random>
#include <vector>

namespace gw::federated {

/// A client the server could ask this round (it is online at the round's start), with what the
/// server knows or expects of it.
struct Candidate {
    int client = 0;
    std::int64_t samples = 0;
    double expectedS = 0;       ///< its round's modelled time (download, local training, upload)
    double expectedEnergyJ = 0; ///< its round's modelled device energy
    double intensity = 0;       ///< its grid's g CO2e/kWh at the round's simulated hour
    /// Oort's statistical utility from its last round, |B| sqrt(mean of the squared sample losses);
    /// meaningful once explored.
    double utility = 0;
    bool explored = false;
    int lastSelectedRound = 0; ///< 0: never selected
};

/// How a round chooses its clients.
struct SelectionOptions {
    QString policy = QStringLiteral("random"); ///< random, oort, energy, carbon
    int count = 10;          ///< clients whose updates the round aggregates
    double overcommit = 1;   ///< selects ceil(count x overcommit); the clock keeps the first count to finish
    double exploration = 0.1;     ///< Oort's share of the slots for clients never tried
    double durationPenalty = 2;   ///< Oort's alpha: utility x (T / t)^alpha for a client slower than T
    double energyPenalty = 2;     ///< energy: utility x (E_least / e)^beta, E_least the cheapest online client's round
    double carbonExponent = 2;    ///< carbon: weight (c_min / c)^gamma, c = expected CO2e per sample
    /// Every client online long enough is selected within ceil(clients / (count x floor)) rounds of its
    /// last selection (0: off; random selection needs none).
    double fairnessFloor = 0.25;
    int totalClients = 0;
};

/// The selection policies: random (uniform), Oort (Lai et al., OSDI 2021: statistical utility with a
/// staleness bonus, a penalty for clients slower than the preferred round time, and a share of the
/// slots explored), energy-aware (the same utility times (least energy / its energy)^beta, the cheap
/// explored first too), and carbon-aware (a weighted draw that prefers the clients whose round
/// emits least per sample at this simulated hour: their device's energy at their grid's intensity).
/// Every policy but random keeps the fairness floor. The same generator state gives the same choice.
class ClientSelection {
public:
    static QStringList policies();
    /// Chosen clients, in the order chosen: ceil(count x overcommit) of @p candidates, or all of them
    /// when there are fewer.
    static std::vector<int> select(const std::vector<Candidate> &candidates, int round, const SelectionOptions &options, std::mt19937_64 &rng);
    /// Rounds a client may wait under the fairness floor (0: no floor).
    static int maxWaitRounds(const SelectionOptions &options);
};

} // namespace gw::federated
