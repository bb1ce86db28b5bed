#pragma once
#include "distributed/StoreProtocol.h"

#include <QString>
#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace gw::distributed {

/// A host that proved it holds the token, as the store sees it.
struct StoreMember {
    QString name;
    QString address;          ///< where it connected from
    qint64 joinedMs = 0;      ///< ms since the epoch, its first admission
    qint64 lastSeenMs = 0;    ///< its last request (workers ping every half second), ms since the epoch
    /// The same on the steady clock (ms since StoreServer::steadyMs's epoch): how long it has been
    /// silent, whatever the wall clock does meanwhile.
    qint64 lastSeenSteadyMs = 0;
    int connections = 0;      ///< open now
};

/// A connection the store turned away.
struct StoreRefusal {
    QString name; ///< as it claimed, empty when it did not get that far
    QString address;
    QString reason;
    qint64 atMs = 0;
};

/// The coordinator's rendezvous store: a key-value store (the operations of c10d::Store) served
/// on one address the coordinator is given, to clients that first prove they hold the shared
/// token (HMAC-SHA256 over a fresh nonce and their name; the token never crosses the wire). It
/// exists because c10d's own TCPStore server in this LibTorch (1.13) listens on every interface
/// whatever host it is given; this one listens only where it is told. What it does not do:
/// encrypt anything, nor guard the Gloo connections that the groups it rendezvouses open.
class StoreServer {
public:
    /// Listens on @p host:@p port (0: a free port) at once; an Error when it cannot.
    StoreServer(const QString &host, std::uint16_t port, QByteArray token);
    ~StoreServer();
    StoreServer(const StoreServer &) = delete;
    StoreServer &operator=(const StoreServer &) = delete;

    QString host() const { return host_; }
    std::uint16_t port() const { return port_; }
    std::vector<StoreMember> members() const;
    /// The steady clock lastSeenSteadyMs is read on.
    static qint64 steadyMs();
    std::vector<StoreRefusal> refusals() const;

    /// Direct access for the coordinator in the same process (no connection, no proof).
    void set(const std::string &key, const std::vector<std::uint8_t> &value);
    bool has(const std::string &key) const;
    std::vector<std::uint8_t> value(const std::string &key) const;
    /// Waits at most @p timeoutMs for every key in @p keys; whether they all came.
    bool waitFor(const std::vector<std::string> &keys, int timeoutMs) const;
    void remove(const std::string &key);
    /// Every key that starts with @p prefix.
    std::vector<std::string> keysStartingWith(const std::string &prefix) const;

private:
    void acceptLoop();
    void serve(std::shared_ptr<Socket> connection);
    QString admit(Socket &connection);
    QByteArray answer(StoreProtocol::Reader &request, const QString &member);
    void seen(const QString &member, int connectionDelta);
    bool allPresent(const std::vector<std::string> &keys) const;

    QString host_;
    std::uint16_t port_ = 0;
    QByteArray token_;
    Socket listener_;
    std::atomic_bool stopping_{false};
    std::thread acceptor_;

    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::map<std::string, std::vector<std::uint8_t>> data_;
    std::map<QString, StoreMember> members_;
    std::vector<StoreRefusal> refusals_;
    std::vector<std::shared_ptr<Socket>> connections_;
    std::vector<std::thread> servers_;
};

} // namespace gw::distributed
