#include "HostRounds.h"

#include "Error.h"

#include <QJsonDocument>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>

namespace gw::federated::hosts {

namespace Keys {

std::string host(const QString &name)
{
    return "hosts/" + name.toStdString();
}

std::string plan(int round)
{
    return "round/" + std::to_string(round) + "/plan";
}

std::string ready(int round, const QString &name)
{
    return "round/" + std::to_string(round) + "/ready/" + name.toStdString();
}

std::string go(int round)
{
    return "round/" + std::to_string(round) + "/go";
}

std::string done(int round, const QString &name)
{
    return "round/" + std::to_string(round) + "/done/" + name.toStdString();
}

std::string aggregate(int round)
{
    return "round/" + std::to_string(round) + "/aggregate";
}

std::string group(int round, const char *phase)
{
    return "round/" + std::to_string(round) + "/" + phase;
}

} // namespace Keys

std::vector<std::uint8_t> toBytes(const QJsonObject &object)
{
    const QByteArray json = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return std::vector<std::uint8_t>(json.begin(), json.end());
}

QJsonObject fromBytes(const std::vector<std::uint8_t> &bytes, const QString &what)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(QByteArray(reinterpret_cast<const char *>(bytes.data()), qsizetype(bytes.size())), &error);
    if (!doc.isObject())
        throw Error(QStringLiteral("%1: not a JSON object (%2)").arg(what, error.errorString()));
    return doc.object();
}

c10::intrusive_ptr<c10d::ProcessGroupGloo> openGroup(const c10::intrusive_ptr<c10d::Store> &store, const std::string &prefix, int rank, int size,
                                                      const QString &address, std::chrono::milliseconds timeout)
{
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(address.toStdString()));
    options->threads = 1;
    try {
        return c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>(prefix, store), rank, size, options);
    } catch (const std::exception &e) {
        throw Error(QStringLiteral("the group %1 (rank %2 of %3) did not form: %4")
                        .arg(QString::fromStdString(prefix))
                        .arg(rank)
                        .arg(size)
                        .arg(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
    }
}

std::vector<std::pair<QString, int>> ranksOf(const QJsonObject &members)
{
    std::vector<std::pair<QString, int>> out;
    for (auto it = members.begin(); it != members.end(); ++it)
        out.emplace_back(it.key(), it.value().toInt());
    return out;
}

} // namespace gw::federated::hosts
