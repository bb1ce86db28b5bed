#pragma once
#include <QJsonObject>
#include <QString>
#include <chrono>
#include <string>
#include <vector>

namespace gw::federated::hosts {

/// The keys of the coordinator's store through which a federation across hosts runs. A round:
/// the coordinator posts its plan (who is asked, the local training, the codec); each asked worker
/// says it is ready; the coordinator posts who goes (ranks 1..n, itself 0) and broadcasts the global
/// weights in a Gloo group of those; each worker trains, then says it is done (samples, measured
/// energy); the coordinator posts who is aggregated (those done by the deadline, ranks renumbered),
/// and a second group combines their updates.
namespace Keys {
std::string host(const QString &name); ///< "hosts/NAME": a worker's registration
inline std::string current() { return "run/current"; }
inline std::string model() { return "run/model"; }
inline std::string end() { return "run/end"; }
std::string plan(int round);
std::string ready(int round, const QString &name);
std::string go(int round);
std::string done(int round, const QString &name);
std::string aggregate(int round);
/// The prefix of a round's phase ("bcast", "agg"), under which its group rendezvouses.
std::string group(int round, const char *phase);
} // namespace Keys

std::vector<std::uint8_t> toBytes(const QJsonObject &object);
/// The JSON object in @p bytes; an Error naming @p what when it is not one.
QJsonObject fromBytes(const std::vector<std::uint8_t> &bytes, const QString &what);

} // namespace gw::federated::hosts
