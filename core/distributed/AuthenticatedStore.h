#pragma once
#include "distributed/StoreProtocol.h"

#include <mutex>
#include <torch/csrc/distributed/c10d/Store.hpp>

namespace gw::distributed {

/// A c10d::Store served by a coordinator's StoreServer: what Gloo process groups rendezvous
/// through, and what the coordinator and its workers exchange plans and reports by. Connecting
/// proves the shared token (an HMAC over the server's nonce); a refused connection is an Error
/// that says so. One request at a time per instance (Gloo may call from several threads).
class AuthenticatedStore : public c10d::Store {
public:
    AuthenticatedStore(const QString &host, std::uint16_t port, const QString &name, const QByteArray &token,
                       std::chrono::milliseconds timeout, int connectTimeoutMs = 30000);

    void set(const std::string &key, const std::vector<uint8_t> &value) override;
    std::vector<uint8_t> compareSet(const std::string &key, const std::vector<uint8_t> &expected, const std::vector<uint8_t> &desired) override;
    /// Waits for the key up to the store's timeout, as c10d's stores do.
    std::vector<uint8_t> get(const std::string &key) override;
    int64_t add(const std::string &key, int64_t value) override;
    bool deleteKey(const std::string &key) override;
    bool check(const std::vector<std::string> &keys) override;
    int64_t getNumKeys() override;
    void wait(const std::vector<std::string> &keys) override;
    void wait(const std::vector<std::string> &keys, const std::chrono::milliseconds &timeout) override;

    /// Whether every key came within @p timeout (wait() throws instead).
    bool waitFor(const std::vector<std::string> &keys, std::chrono::milliseconds timeout);
    /// Tells the server this host is alive.
    void ping();
    /// The address this host reaches the coordinator from: where its Gloo connections should listen.
    QString localAddress() const { return localAddress_; }

private:
    QByteArray request(const QByteArray &frame);

    Socket socket_;
    QString localAddress_;
    std::mutex mutex_;
};

} // namespace gw::distributed
