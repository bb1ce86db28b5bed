#include "distributed/StoreServer.h"

#include "Error.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <algorithm>
#include <chrono>
#include <poll.h>
#include <sys/socket.h>

namespace gw::distributed {

using namespace StoreProtocol;

namespace {

qint64 nowMs()
{
    return QDateTime::currentMSecsSinceEpoch();
}

QByteArray nonce()
{
    QByteArray n(kNonceBytes, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(n.data()), kNonceBytes / 4);
    return n;
}

} // namespace

StoreServer::StoreServer(const QString &host, std::uint16_t port, QByteArray token)
    : host_(host), token_(std::move(token)), listener_(Socket::listenOn(host, port))
{
    port_ = listener_.localPort();
    acceptor_ = std::thread([this] { acceptLoop(); });
}

StoreServer::~StoreServer()
{
    stopping_ = true;
    listener_.shutdown();
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        for (const std::shared_ptr<Socket> &c : connections_)
            c->shutdown();
    }
    changed_.notify_all();
    if (acceptor_.joinable())
        acceptor_.join();
    for (std::thread &t : servers_)
        if (t.joinable())
            t.join();
}

void StoreServer::acceptLoop()
{
    while (!stopping_) {
        pollfd p{listener_.fd(), POLLIN, 0};
        if (::poll(&p, 1, 200) <= 0)
            continue;
        const int fd = ::accept4(listener_.fd(), nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        auto connection = std::make_shared<Socket>(fd);
        const std::lock_guard<std::mutex> lock(mutex_);
        if (stopping_)
            break;
        connections_.push_back(connection);
        servers_.emplace_back([this, connection] { serve(connection); });
    }
}

QString StoreServer::admit(Socket &connection)
{
    const QByteArray challenge = nonce();
    sendFrame(connection.fd(), Writer().bytes(QByteArray(kGreeting)).bytes(challenge).frame());
    Reader hello(receiveFrame(connection.fd()));
    const QString name = QString::fromUtf8(hello.bytes());
    const QByteArray claimed = hello.bytes();
    const bool valid = !name.isEmpty() && name.size() <= 200 && sameProof(claimed, proof(token_, challenge, name));
    sendFrame(connection.fd(), Writer().u8(valid ? 1 : 0).bytes(valid ? QByteArray("admitted") : QByteArray("wrong token")).frame());
    if (!valid) {
        const std::lock_guard<std::mutex> lock(mutex_);
        refusals_.push_back({name, connection.peerAddress(), QStringLiteral("wrong token (its proof did not match)"), nowMs()});
        return QString();
    }
    {
        const std::lock_guard<std::mutex> lock(mutex_);
        StoreMember &m = members_[name];
        if (m.joinedMs == 0) {
            m.name = name;
            m.joinedMs = nowMs();
        }
        m.address = connection.peerAddress();
    }
    return name;
}

void StoreServer::serve(std::shared_ptr<Socket> connection)
{
    QString member;
    try {
        member = admit(*connection);
        if (member.isEmpty())
            return;
        seen(member, +1);
        while (!stopping_) {
            Reader request(receiveFrame(connection->fd()));
            const QByteArray reply = answer(request, member);
            sendFrame(connection->fd(), reply);
            seen(member, 0);
        }
    } catch (const std::exception &e) {
        // A peer that went away, or spoke something else: its connection ends, the store goes on.
        if (member.isEmpty() && !stopping_) {
            const std::lock_guard<std::mutex> lock(mutex_);
            refusals_.push_back({QString(), connection->peerAddress(), QString::fromStdString(e.what()), nowMs()});
        }
    }
    if (!member.isEmpty())
        seen(member, -1);
    connection->shutdown();
    const std::lock_guard<std::mutex> lock(mutex_);
    connections_.erase(std::remove(connections_.begin(), connections_.end(), connection), connections_.end());
}

qint64 StoreServer::steadyMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

void StoreServer::seen(const QString &member, int connectionDelta)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    StoreMember &m = members_[member];
    m.lastSeenMs = nowMs();
    m.lastSeenSteadyMs = steadyMs();
    m.connections += connectionDelta;
}

bool StoreServer::allPresent(const std::vector<std::string> &keys) const
{
    for (const std::string &k : keys)
        if (data_.find(k) == data_.end())
            return false;
    return true;
}

QByteArray StoreServer::answer(Reader &request, const QString &)
{
    const auto op = Op(request.u8());
    std::unique_lock<std::mutex> lock(mutex_);
    switch (op) {
    case Op::Set: {
        const std::string key = request.string();
        data_[key] = request.vector();
        changed_.notify_all();
        return Writer().u8(1).frame();
    }
    case Op::Get: {
        const std::string key = request.string();
        const auto timeout = std::chrono::milliseconds(request.i64());
        const bool found = changed_.wait_for(lock, timeout, [&] { return stopping_ || data_.count(key) > 0; }) && data_.count(key) > 0;
        return found ? Writer().u8(1).bytes(data_[key]).frame() : Writer().u8(0).frame();
    }
    case Op::Add: {
        const std::string key = request.string();
        const std::int64_t delta = request.i64();
        std::vector<std::uint8_t> &v = data_[key];
        const std::int64_t value = (v.empty() ? 0 : std::stoll(std::string(v.begin(), v.end()))) + delta;
        const std::string text = std::to_string(value); // as TCPStore keeps counters, so get() reads them the same way
        v.assign(text.begin(), text.end());
        changed_.notify_all();
        return Writer().i64(value).frame();
    }
    case Op::Check:
    case Op::Wait: {
        std::vector<std::string> keys(std::size_t(request.i64()));
        for (std::string &k : keys)
            k = request.string();
        if (op == Op::Check)
            return Writer().u8(allPresent(keys) ? 1 : 0).frame();
        const auto timeout = std::chrono::milliseconds(request.i64());
        const bool all = changed_.wait_for(lock, timeout, [&] { return stopping_ || allPresent(keys); }) && allPresent(keys);
        return Writer().u8(all ? 1 : 0).frame();
    }
    case Op::Delete:
        return Writer().u8(data_.erase(request.string()) > 0 ? 1 : 0).frame();
    case Op::NumKeys:
        return Writer().i64(std::int64_t(data_.size())).frame();
    case Op::CompareSet: {
        const std::string key = request.string();
        const std::vector<std::uint8_t> expected = request.vector(), desired = request.vector();
        const auto it = data_.find(key);
        if (it == data_.end()) {
            if (!expected.empty())
                return Writer().bytes(expected).frame();
            data_[key] = desired;
        } else if (it->second == expected) {
            it->second = desired;
        }
        changed_.notify_all();
        return Writer().bytes(data_[key]).frame();
    }
    case Op::Ping:
        return Writer().u8(1).frame();
    }
    throw Error(QStringLiteral("an unknown store operation %1").arg(int(op)));
}

std::vector<StoreMember> StoreServer::members() const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<StoreMember> out;
    for (const auto &entry : members_)
        out.push_back(entry.second);
    return out;
}

std::vector<StoreRefusal> StoreServer::refusals() const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    return refusals_;
}

void StoreServer::set(const std::string &key, const std::vector<std::uint8_t> &value)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    data_[key] = value;
    changed_.notify_all();
}

bool StoreServer::has(const std::string &key) const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    return data_.count(key) > 0;
}

std::vector<std::uint8_t> StoreServer::value(const std::string &key) const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    const auto it = data_.find(key);
    return it == data_.end() ? std::vector<std::uint8_t>() : it->second;
}

bool StoreServer::waitFor(const std::vector<std::string> &keys, int timeoutMs) const
{
    std::unique_lock<std::mutex> lock(mutex_);
    return changed_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [&] { return stopping_ || allPresent(keys); }) && allPresent(keys);
}

void StoreServer::remove(const std::string &key)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    data_.erase(key);
}

std::vector<std::string> StoreServer::keysStartingWith(const std::string &prefix) const
{
    const std::lock_guard<std::mutex> lock(mutex_);
    std::vector<std::string> out;
    for (auto it = data_.lower_bound(prefix); it != data_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it)
        out.push_back(it->first);
    return out;
}

} // namespace gw::distributed
