#include "util/Files.h"

#include "Error.h"

#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gw {

namespace {

QByteArray encoded(const QString &path)
{
    return QFile::encodeName(path);
}

/// What a non-regular file is, in words, for a refusal.
QString kindOf(mode_t mode)
{
    if (S_ISDIR(mode))
        return QStringLiteral("a folder");
    if (S_ISCHR(mode))
        return QStringLiteral("a character device");
    if (S_ISBLK(mode))
        return QStringLiteral("a block device");
    if (S_ISFIFO(mode))
        return QStringLiteral("a FIFO (named pipe)");
    if (S_ISSOCK(mode))
        return QStringLiteral("a socket");
    return QStringLiteral("not a regular file");
}

/// The file mode a new file gets: what open(2) would give with 0666 and the process's umask.
mode_t newFileMode()
{
    static const mode_t mode = [] {
        const mode_t mask = ::umask(022);
        ::umask(mask);
        return mode_t(0666 & ~mask);
    }();
    return mode;
}

QString withWhat(const QString &what)
{
    return what.isEmpty() ? QString() : QStringLiteral(" ") + what;
}

/// @p path with a symbolic link (also a chain) resolved to the file it names, existing or not.
QString resolveLinks(const QString &path)
{
    QString current = path;
    for (int hops = 0; hops < 40; ++hops) {
        const QFileInfo info(current);
        if (!info.isSymLink())
            return current;
        current = info.symLinkTarget();
    }
    throw Error::in(path, QStringLiteral("too many levels of symbolic links"));
}

} // namespace

QString systemError(int error)
{
    return QString::fromLocal8Bit(std::strerror(error));
}

void AtomicFile::requireWritableTarget(const QString &path, const QString &what)
{
    if (path.isEmpty())
        throw Error(QStringLiteral("no file name given for%1").arg(withWhat(what)));
    struct stat st {};
    if (::stat(encoded(resolveLinks(path)).constData(), &st) == 0 && !S_ISREG(st.st_mode))
        throw Error::in(path, QStringLiteral("is %1, not a regular file; refusing to replace it%2")
                                  .arg(kindOf(st.st_mode), what.isEmpty() ? QString() : QStringLiteral(" with") + withWhat(what)));
}

AtomicFile::AtomicFile(const QString &path, const QString &what) : shownPath_(path), what_(what)
{
    requireWritableTarget(path, what);
    target_ = resolveLinks(path);
    const QFileInfo info(target_);
    temporary_ = encoded(info.absolutePath() + QStringLiteral("/.") + info.fileName() + QStringLiteral(".XXXXXX"));
    fd_ = ::mkostemp(temporary_.data(), O_CLOEXEC);
    if (fd_ < 0)
        fail(QStringLiteral("create a temporary file in %1").arg(info.absolutePath()), errno);
    struct stat existing {};
    const mode_t mode = ::stat(encoded(target_).constData(), &existing) == 0 ? (existing.st_mode & 07777) : newFileMode();
    if (::fchmod(fd_, mode) != 0)
        fail(QStringLiteral("set the permissions of the temporary file"), errno);
}

AtomicFile::~AtomicFile()
{
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(temporary_.constData());
    }
}

void AtomicFile::fail(const QString &action, int error)
{
    if (fd_ >= 0) {
        ::close(fd_);
        ::unlink(temporary_.constData());
        fd_ = -1;
    }
    throw Error::in(shownPath_, QStringLiteral("cannot %1%2: %3; the file was left as it was")
                                    .arg(action, what_.isEmpty() ? QString() : QStringLiteral(" (") + what_ + QLatin1Char(')'), systemError(error)));
}

void AtomicFile::write(const char *data, qint64 size)
{
    if (fd_ < 0)
        throw Error::in(shownPath_, QStringLiteral("written after it was committed or failed"));
    while (size > 0) {
        const ssize_t written = ::write(fd_, data, std::size_t(std::min<qint64>(size, 1 << 30)));
        if (written < 0) {
            if (errno == EINTR)
                continue;
            fail(QStringLiteral("write"), errno);
        }
        if (written == 0)
            fail(QStringLiteral("write"), ENOSPC);
        data += written;
        size -= written;
    }
}

void AtomicFile::commit()
{
    if (fd_ < 0)
        throw Error::in(shownPath_, QStringLiteral("committed twice or after a failure"));
    // Data on disk before the name points at it: a crash after the rename must not leave an empty file.
    if (::fsync(fd_) != 0)
        fail(QStringLiteral("sync"), errno);
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) {
        const int error = errno;
        ::unlink(temporary_.constData());
        fd_ = -1;
        throw Error::in(shownPath_, QStringLiteral("cannot close: %1; the file was left as it was").arg(systemError(error)));
    }
    if (::rename(temporary_.constData(), encoded(target_).constData()) != 0) {
        const int error = errno;
        ::unlink(temporary_.constData());
        throw Error::in(shownPath_, QStringLiteral("cannot replace: %1; the file was left as it was").arg(systemError(error)));
    }
    // The rename itself is durable only once the folder is synced.
    const int dir = ::open(encoded(QFileInfo(target_).absolutePath()).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
}

void AtomicFile::writeWhole(const QString &path, const QByteArray &bytes, const QString &what)
{
    AtomicFile file(path, what);
    file.write(bytes);
    file.commit();
}

void requireRegularFile(const QString &path)
{
    struct stat st {};
    if (::stat(encoded(path).constData(), &st) != 0)
        throw Error::in(path, QStringLiteral("cannot open: %1").arg(systemError(errno)));
    if (!S_ISREG(st.st_mode))
        throw Error::in(path, QStringLiteral("is %1, not a regular file").arg(kindOf(st.st_mode)));
}

QByteArray readWholeFile(const QString &path, qint64 maxBytes)
{
    const bool resource = path.startsWith(QLatin1Char(':'));
    if (!resource)
        requireRegularFile(path);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw Error::in(path, QStringLiteral("cannot open: %1").arg(file.errorString()));
    const qint64 size = file.size();
    if (size > maxBytes)
        throw Error::in(path, QStringLiteral("is %1 bytes, more than the %2 bytes such a file may have").arg(size).arg(maxBytes));
    // Asked for what the file holds and one byte more, never the limit (QFile reserves what it is
    // asked for); a file that changes size while it is read is not taken half-way.
    QByteArray bytes = file.read(size + 1);
    if (bytes.size() != size && file.error() == QFileDevice::NoError)
        throw Error::in(path, QStringLiteral("changed size while being read (%1 bytes, then %2)").arg(size).arg(bytes.size()));
    if (file.error() != QFileDevice::NoError)
        throw Error::in(path, QStringLiteral("cannot read: %1").arg(file.errorString()));
    return bytes;
}

} // namespace gw
