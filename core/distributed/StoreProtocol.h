#pragma once
#include <QByteArray>
#include <QString>
#include <cstdint>
#include <string>
#include <vector>

namespace gw::distributed {

/// The wire of the workbench's rendezvous store: length-prefixed frames over TCP, an HMAC
/// handshake first, then one request and one reply at a time. Shared by StoreServer and
/// AuthenticatedStore; nothing here knows sockets beyond a file descriptor.
namespace StoreProtocol {

inline constexpr char kGreeting[] = "gw-store 1";
inline constexpr std::uint32_t kMaxFrameBytes = 512u << 20; ///< a frame claiming more is malformed
inline constexpr int kNonceBytes = 32;

enum class Op : std::uint8_t { Set = 1, Get, Add, Check, Wait, Delete, NumKeys, CompareSet, Ping };

/// HMAC-SHA256 of the coordinator's @p nonce and the worker's @p name under the shared @p token:
/// what a worker sends to prove it holds the token without sending it.
QByteArray proof(const QByteArray &token, const QByteArray &nonce, const QString &name);
/// Compares in time independent of where they differ.
bool sameProof(const QByteArray &a, const QByteArray &b);
/// The shared token in @p path, trimmed; an Error naming the file when it is missing, unreadable,
/// empty or shorter than 16 characters (a token that short is guessed).
QByteArray readToken(const QString &path);

/// Writes and reads one frame on a connected socket; an Error on a closed or broken connection, or
/// a frame over kMaxFrameBytes.
void sendFrame(int fd, const QByteArray &frame);
QByteArray receiveFrame(int fd);

/// Builds a frame field by field.
class Writer {
public:
    Writer &u8(std::uint8_t v);
    Writer &i64(std::int64_t v);
    Writer &bytes(const QByteArray &v);
    Writer &bytes(const std::string &v) { return bytes(QByteArray::fromStdString(v)); }
    Writer &bytes(const std::vector<std::uint8_t> &v);
    const QByteArray &frame() const { return frame_; }

private:
    QByteArray frame_;
};

/// Reads a frame field by field; an Error when the frame ends early (a malformed peer).
class Reader {
public:
    explicit Reader(QByteArray frame) : frame_(std::move(frame)) {}
    std::uint8_t u8();
    std::int64_t i64();
    QByteArray bytes();
    std::string string() { return bytes().toStdString(); }
    std::vector<std::uint8_t> vector();

private:
    const char *take(int n);
    QByteArray frame_;
    int at_ = 0;
};

} // namespace StoreProtocol

/// "HOST:PORT" (an IPv6 host in brackets) as host and port; an Error naming @p origin when it is not.
std::pair<QString, std::uint16_t> hostAndPort(const QString &text, const QString &origin);

/// A listening or connected TCP socket's file descriptor, closed when it goes.
class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    ~Socket();
    Socket(Socket &&other) noexcept : fd_(other.release()) {}
    Socket &operator=(Socket &&other) noexcept;
    Socket(const Socket &) = delete;
    Socket &operator=(const Socket &) = delete;
    int fd() const { return fd_; }
    int release();
    /// Wakes whoever is blocked reading or accepting on it (another thread may still own it).
    void shutdown();

    /// Listens on @p host (a numeric address or a name; never a wildcard unless @p host is one)
    /// and @p port (0: any free one); an Error naming the address when it cannot.
    static Socket listenOn(const QString &host, std::uint16_t port);
    /// Connects to @p host:@p port, trying again until @p timeoutMs have passed.
    static Socket connectTo(const QString &host, std::uint16_t port, int timeoutMs);
    std::uint16_t localPort() const;
    /// The numeric address of this end ("127.0.0.1") and of the other end.
    QString localAddress() const;
    QString peerAddress() const;

private:
    int fd_ = -1;
};

} // namespace gw::distributed
