#include "distributed/StoreProtocol.h"

#include "Error.h"

#include <QCryptographicHash>
#include <QFile>
#include <QMessageAuthenticationCode>
#include <QThread>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#include <QElapsedTimer>
#include <QtEndian>

namespace gw::distributed {

namespace StoreProtocol {

QByteArray proof(const QByteArray &token, const QByteArray &nonce, const QString &name)
{
    return QMessageAuthenticationCode::hash(nonce + name.toUtf8(), token, QCryptographicHash::Sha256);
}

bool sameProof(const QByteArray &a, const QByteArray &b)
{
    if (a.size() != b.size())
        return false;
    unsigned char differ = 0;
    for (int i = 0; i < a.size(); ++i)
        differ |= static_cast<unsigned char>(a[i] ^ b[i]);
    return differ == 0;
}

QByteArray readToken(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error::in(path, QStringLiteral("cannot read the token file: %1").arg(file.errorString()));
    const QByteArray token = file.read(4096).trimmed();
    if (token.size() < 16)
        throw Error::in(path, QStringLiteral("the token is %1 characters; it must be at least 16 (e.g. head -c 32 /dev/urandom | base64)")
                                  .arg(token.size()));
    return token;
}

namespace {

void writeAll(int fd, const char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            throw Error(QStringLiteral("the connection broke while sending (%1)").arg(QString::fromLocal8Bit(std::strerror(errno))));
        data += n;
        size -= std::size_t(n);
    }
}

void readAll(int fd, char *data, std::size_t size)
{
    while (size > 0) {
        const ssize_t n = ::recv(fd, data, size, 0);
        if (n < 0 && errno == EINTR)
            continue;
        if (n == 0)
            throw Error(QStringLiteral("the other end closed the connection"));
        if (n < 0)
            throw Error(QStringLiteral("the connection broke while receiving (%1)").arg(QString::fromLocal8Bit(std::strerror(errno))));
        data += n;
        size -= std::size_t(n);
    }
}

} // namespace

void sendFrame(int fd, const QByteArray &frame)
{
    const std::uint32_t length = htonl(std::uint32_t(frame.size()));
    QByteArray whole(reinterpret_cast<const char *>(&length), 4);
    whole += frame;
    writeAll(fd, whole.constData(), std::size_t(whole.size()));
}

QByteArray receiveFrame(int fd)
{
    std::uint32_t length = 0;
    readAll(fd, reinterpret_cast<char *>(&length), 4);
    length = ntohl(length);
    if (length > kMaxFrameBytes)
        throw Error(QStringLiteral("a frame of %1 bytes, more than the %2 allowed: not a workbench store peer").arg(length).arg(kMaxFrameBytes));
    QByteArray frame(int(length), Qt::Uninitialized);
    readAll(fd, frame.data(), length);
    return frame;
}

Writer &Writer::u8(std::uint8_t v)
{
    frame_.append(char(v));
    return *this;
}

Writer &Writer::i64(std::int64_t v)
{
    const std::uint64_t big = qToBigEndian(std::uint64_t(v));
    frame_.append(reinterpret_cast<const char *>(&big), 8);
    return *this;
}

Writer &Writer::bytes(const QByteArray &v)
{
    const std::uint32_t length = htonl(std::uint32_t(v.size()));
    frame_.append(reinterpret_cast<const char *>(&length), 4);
    frame_.append(v);
    return *this;
}

Writer &Writer::bytes(const std::vector<std::uint8_t> &v)
{
    return bytes(QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size())));
}

const char *Reader::take(int n)
{
    if (n < 0 || at_ + n > frame_.size())
        throw Error(QStringLiteral("a malformed frame (it ends %1 bytes early)").arg(at_ + n - frame_.size()));
    const char *p = frame_.constData() + at_;
    at_ += n;
    return p;
}

std::uint8_t Reader::u8()
{
    return std::uint8_t(*take(1));
}

std::int64_t Reader::i64()
{
    std::uint64_t big = 0;
    std::memcpy(&big, take(8), 8);
    return std::int64_t(qFromBigEndian(big));
}

QByteArray Reader::bytes()
{
    std::uint32_t length = 0;
    std::memcpy(&length, take(4), 4);
    length = ntohl(length);
    if (length > kMaxFrameBytes)
        throw Error(QStringLiteral("a malformed frame (a field of %1 bytes)").arg(length));
    const char *p = take(int(length));
    return QByteArray(p, int(length));
}

std::vector<std::uint8_t> Reader::vector()
{
    const QByteArray b = bytes();
    return std::vector<std::uint8_t>(b.begin(), b.end());
}

} // namespace StoreProtocol

std::pair<QString, std::uint16_t> hostAndPort(const QString &text, const QString &origin)
{
    const int colon = text.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const uint port = colon > 0 ? text.mid(colon + 1).toUInt(&ok) : 0;
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (!ok || port > 65535 || host.isEmpty())
        throw Error::in(origin, QStringLiteral("'%1' is not HOST:PORT (e.g. 127.0.0.1:29400)").arg(text));
    return {host, std::uint16_t(port)};
}

Socket::~Socket()
{
    if (fd_ >= 0)
        ::close(fd_);
}

Socket &Socket::operator=(Socket &&other) noexcept
{
    if (this != &other) {
        if (fd_ >= 0)
            ::close(fd_);
        fd_ = other.release();
    }
    return *this;
}

int Socket::release()
{
    const int fd = fd_;
    fd_ = -1;
    return fd;
}

void Socket::shutdown()
{
    if (fd_ >= 0)
        ::shutdown(fd_, SHUT_RDWR);
}

namespace {

struct AddressList {
    addrinfo *list = nullptr;
    ~AddressList()
    {
        if (list)
            freeaddrinfo(list);
    }
};

AddressList resolve(const QString &host, std::uint16_t port, bool passive)
{
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = passive ? AI_PASSIVE : 0;
    AddressList out;
    const int rc = getaddrinfo(host.toUtf8().constData(), QByteArray::number(port).constData(), &hints, &out.list);
    if (rc != 0)
        throw Error(QStringLiteral("%1: cannot resolve the address (%2)").arg(host, QString::fromLocal8Bit(gai_strerror(rc))));
    return out;
}

QString numeric(const sockaddr_storage &address, socklen_t length)
{
    char host[NI_MAXHOST] = {0};
    if (getnameinfo(reinterpret_cast<const sockaddr *>(&address), length, host, sizeof host, nullptr, 0, NI_NUMERICHOST) != 0)
        return QString();
    return QString::fromLatin1(host);
}

} // namespace

Socket Socket::listenOn(const QString &host, std::uint16_t port)
{
    if (host.isEmpty())
        throw Error(QStringLiteral("no address to listen on (give one, e.g. 127.0.0.1)"));
    const AddressList addresses = resolve(host, port, true);
    QString failure;
    for (addrinfo *a = addresses.list; a; a = a->ai_next) {
        Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
        if (s.fd() < 0)
            continue;
        const int one = 1;
        ::setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        if (::bind(s.fd(), a->ai_addr, a->ai_addrlen) == 0 && ::listen(s.fd(), 64) == 0)
            return s;
        failure = QString::fromLocal8Bit(std::strerror(errno));
    }
    throw Error(QStringLiteral("%1:%2: cannot listen (%3)").arg(host).arg(port).arg(failure));
}

Socket Socket::connectTo(const QString &host, std::uint16_t port, int timeoutMs)
{
    QElapsedTimer clock;
    clock.start();
    QString failure;
    for (;;) {
        const AddressList addresses = resolve(host, port, false);
        for (addrinfo *a = addresses.list; a; a = a->ai_next) {
            Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol));
            if (s.fd() < 0)
                continue;
            if (::connect(s.fd(), a->ai_addr, a->ai_addrlen) == 0) {
                const int one = 1;
                ::setsockopt(s.fd(), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                return s;
            }
            failure = QString::fromLocal8Bit(std::strerror(errno));
        }
        if (clock.elapsed() >= timeoutMs)
            throw Error(QStringLiteral("%1:%2: cannot connect (%3, for %4 s)").arg(host).arg(port).arg(failure).arg(timeoutMs / 1000.0));
        QThread::msleep(200);
    }
}

std::uint16_t Socket::localPort() const
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd_, reinterpret_cast<sockaddr *>(&address), &length) != 0)
        return 0;
    if (address.ss_family == AF_INET)
        return ntohs(reinterpret_cast<const sockaddr_in *>(&address)->sin_port);
    return ntohs(reinterpret_cast<const sockaddr_in6 *>(&address)->sin6_port);
}

QString Socket::localAddress() const
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    return ::getsockname(fd_, reinterpret_cast<sockaddr *>(&address), &length) == 0 ? numeric(address, length) : QString();
}

QString Socket::peerAddress() const
{
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    return ::getpeername(fd_, reinterpret_cast<sockaddr *>(&address), &length) == 0 ? numeric(address, length) : QString();
}

} // namespace gw::distributed
