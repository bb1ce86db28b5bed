#include "HostRounds.h"

#include "Error.h"

#include <QJsonDocument>

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

} // namespace gw::federated::hosts
