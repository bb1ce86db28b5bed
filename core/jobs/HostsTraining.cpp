#include "jobs/HostsTraining.h"

#include "config/RunConfig.h"
#include "config/RunParameters.h"
#include "distributed/DataParallel.h"

#include <QJsonArray>
#include <nlohmann/json.hpp>

namespace gw {

std::shared_ptr<distributed::DataParallel> hostWorkersIfAsked(RunContext &context)
{
    const RunConfig &config = context.config();
    if (config.training.hostsWorkers <= 0)
        return nullptr;
    const QByteArray configJson = QByteArray::fromStdString(RunParameters::toJson(config).dump());
    context.setWaiting(true);
    std::shared_ptr<distributed::DataParallel> parallel =
        distributed::DataParallel::host(config.training.hostsCoordinator, distributed::StoreProtocol::readToken(config.training.hostsTokenFile),
                                        config.training.hostsWorkers, configJson, std::chrono::minutes(10), context.cancelFlag(),
                                        [&context](const QString &message) { context.notice(message); });
    context.setWaiting(false);
    return parallel;
}

void reportHostsEnergy(distributed::DataParallel &parallel, RunContext &context, QJsonObject &summary)
{
    const distributed::HostEnergy mine{parallel.name(), parallel.rank(), context.energyJ(), context.energySource()};
    if (parallel.rank() > 0) {
        parallel.reportEnergy(mine);
        return;
    }
    QJsonArray hosts{QJsonObject{{QStringLiteral("rank"), 0}, {QStringLiteral("host"), mine.name}, {QStringLiteral("energy_j"), mine.energyJ},
                                 {QStringLiteral("source"), mine.source}}};
    double total = mine.energyJ;
    for (const distributed::HostEnergy &h : parallel.workersEnergy(std::chrono::seconds(60), [&context](const QString &m) { context.notice(m); })) {
        hosts.append(QJsonObject{{QStringLiteral("rank"), h.rank}, {QStringLiteral("host"), h.name}, {QStringLiteral("energy_j"), h.energyJ},
                                 {QStringLiteral("source"), h.source}});
        total += h.energyJ;
    }
    summary.insert(QStringLiteral("data_parallel"), QJsonObject{{QStringLiteral("processes"), parallel.world()},
                                                                {QStringLiteral("hosts"), hosts},
                                                                {QStringLiteral("energy_all_hosts_kwh"), total / 3.6e6}});
}

} // namespace gw
