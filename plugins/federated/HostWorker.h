#pragma once
#include "extension/RunKind.h"

namespace gw::federated {

/// The "federated-worker" kind: this machine as one host of a federation across hosts. It joins a
/// coordinator (a `federated` run with backend "hosts"), proves the shared token, trains the global
/// model on its own local data when a round asks it, measures its own energy (RAPL, NVML or the
/// estimate, with the source kept) and reports it with each update. Its own store keeps the run:
/// a step and an energy window per round it took part in. `green-workbench worker` starts one.
class WorkerKind : public RunKind {
public:
    QString id() const override { return QStringLiteral("federated-worker"); }
    QString title() const override;
    QString description() const override;
    std::vector<RunParameterSection> ownSections() const override;
    std::vector<RunParameter> ownParameters() const override;
    QStringList sharedKeys() const override;
    void applyDefaults(RunConfig &config) const override;
    void check(const RunConfig &config, const QString &origin) const override;
    std::unique_ptr<RunWork> createWork(const RunConfig &config) const override;
    std::vector<ResultMetric> resultMetrics() const override;
};

} // namespace gw::federated
