#include "distributed/AuthenticatedStore.h"

#include "Error.h"

namespace gw::distributed {

using namespace StoreProtocol;

AuthenticatedStore::AuthenticatedStore(const QString &host, std::uint16_t port, const QString &name, const QByteArray &token,
                                       std::chrono::milliseconds timeout, int connectTimeoutMs)
    : c10d::Store(timeout), socket_(Socket::connectTo(host, port, connectTimeoutMs))
{
    localAddress_ = socket_.localAddress();
    const QString where = QStringLiteral("%1:%2").arg(host).arg(port);
    try {
        Reader greeting(receiveFrame(socket_.fd()));
        if (greeting.bytes() != QByteArray(kGreeting))
            throw Error(QStringLiteral("not a workbench coordinator"));
        const QByteArray nonce = greeting.bytes();
        sendFrame(socket_.fd(), Writer().bytes(name.toUtf8()).bytes(proof(token, nonce, name)).frame());
        Reader verdict(receiveFrame(socket_.fd()));
        if (verdict.u8() != 1)
            throw Error(QStringLiteral("the coordinator refused this worker: %1").arg(QString::fromUtf8(verdict.bytes())));
    } catch (const Error &e) {
        throw Error::in(where, e.message());
    }
}

QByteArray AuthenticatedStore::request(const QByteArray &frame)
{
    const std::lock_guard<std::mutex> lock(mutex_);
    sendFrame(socket_.fd(), frame);
    return receiveFrame(socket_.fd());
}

void AuthenticatedStore::set(const std::string &key, const std::vector<uint8_t> &value)
{
    request(Writer().u8(std::uint8_t(Op::Set)).bytes(key).bytes(value).frame());
}

std::vector<uint8_t> AuthenticatedStore::compareSet(const std::string &key, const std::vector<uint8_t> &expected, const std::vector<uint8_t> &desired)
{
    Reader r(request(Writer().u8(std::uint8_t(Op::CompareSet)).bytes(key).bytes(expected).bytes(desired).frame()));
    return r.vector();
}

std::vector<uint8_t> AuthenticatedStore::get(const std::string &key)
{
    Reader r(request(Writer().u8(std::uint8_t(Op::Get)).bytes(key).i64(timeout_.count()).frame()));
    if (r.u8() != 1)
        throw Error(QStringLiteral("the store has no key '%1' after %2 s").arg(QString::fromStdString(key)).arg(timeout_.count() / 1000.0));
    return r.vector();
}

int64_t AuthenticatedStore::add(const std::string &key, int64_t value)
{
    return Reader(request(Writer().u8(std::uint8_t(Op::Add)).bytes(key).i64(value).frame())).i64();
}

bool AuthenticatedStore::deleteKey(const std::string &key)
{
    return Reader(request(Writer().u8(std::uint8_t(Op::Delete)).bytes(key).frame())).u8() == 1;
}

namespace {

Writer keysRequest(Op op, const std::vector<std::string> &keys)
{
    Writer w;
    w.u8(std::uint8_t(op)).i64(std::int64_t(keys.size()));
    for (const std::string &k : keys)
        w.bytes(k);
    return w;
}

} // namespace

bool AuthenticatedStore::check(const std::vector<std::string> &keys)
{
    return Reader(request(keysRequest(Op::Check, keys).frame())).u8() == 1;
}

int64_t AuthenticatedStore::getNumKeys()
{
    return Reader(request(Writer().u8(std::uint8_t(Op::NumKeys)).frame())).i64();
}

bool AuthenticatedStore::waitFor(const std::vector<std::string> &keys, std::chrono::milliseconds timeout)
{
    return Reader(request(keysRequest(Op::Wait, keys).i64(timeout.count()).frame())).u8() == 1;
}

void AuthenticatedStore::wait(const std::vector<std::string> &keys)
{
    wait(keys, timeout_);
}

void AuthenticatedStore::wait(const std::vector<std::string> &keys, const std::chrono::milliseconds &timeout)
{
    if (!waitFor(keys, timeout))
        throw Error(QStringLiteral("waited %1 s for the store's key '%2'").arg(timeout.count() / 1000.0).arg(QString::fromStdString(keys.empty() ? std::string() : keys.front())));
}

void AuthenticatedStore::ping()
{
    request(Writer().u8(std::uint8_t(Op::Ping)).frame());
}

} // namespace gw::distributed
