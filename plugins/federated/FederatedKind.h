#pragma once
#include "extension/RunKind.h"

namespace gw::federated {

/// The "federated" kind: simulates federated learning on this machine. Many clients hold shares of
/// a dataset (IID, Dirichlet label skew or label shards), train the small CNN locally from the
/// global model and send their (optionally sparsified and quantized) updates; the server aggregates
/// them (FedAvg, FedProx, FedAvgM, FedAdam). Each client has a device and a grid from an editable
/// profile CSV; a simulated clock times every round, drops stragglers and clients that go offline,
/// and models each client's energy and CO2e, kept apart from the energy this machine measured.
class FederatedKind : public RunKind {
public:
    QString id() const override { return QStringLiteral("federated"); }
    QString title() const override;
    QString description() const override;
    std::vector<RunParameterSection> ownSections() const override;
    std::vector<RunParameter> ownParameters() const override;
    QStringList sharedKeys() const override;
    void applyDefaults(RunConfig &config) const override;
    void check(const RunConfig &config, const QString &origin) const override;
    std::unique_ptr<RunWork> createWork(const RunConfig &config) const override;
    std::vector<ResultMetric> resultMetrics() const override;
    QString comparedCost() const override { return QStringLiteral("modelled_co2e_g"); }

    /// Clients whose updates a round aggregates: federated.per_round, or the fraction of the clients.
    static int clientsPerRound(const RunConfig &config);

private:
    /// The checks of backend "hosts": a token file, an address to listen on, a small CNN.
    static void checkHosts(const RunConfig &config, const QString &origin);
};

} // namespace gw::federated
