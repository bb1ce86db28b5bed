#include "platform/ProcessIdentity.h"

#include <QFile>
#include <QSysInfo>

#include <unistd.h>

namespace gw {

namespace {

QString currentBootId()
{
    static const QString id = [] {
        QFile file(QStringLiteral("/proc/sys/kernel/random/boot_id"));
        return file.open(QIODevice::ReadOnly) ? QString::fromLatin1(file.readAll()).trimmed() : QString();
    }();
    return id;
}

} // namespace

qint64 ProcessIdentity::startTicksOf(qint64 pid)
{
    QFile file(QStringLiteral("/proc/%1/stat").arg(pid));
    if (pid <= 0 || !file.open(QIODevice::ReadOnly))
        return 0;
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so count fields after the last ')'.
    const QByteArray stat = file.read(4096);
    const qsizetype close = stat.lastIndexOf(')');
    if (close < 0)
        return 0;
    const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
    // fields[0] is field 3 (state); the start time is field 22.
    return fields.size() > 19 ? fields[19].toLongLong() : 0;
}

ProcessIdentity ProcessIdentity::current()
{
    ProcessIdentity identity;
    identity.host = QSysInfo::machineHostName();
    identity.bootId = currentBootId();
    identity.pid = qint64(::getpid());
    identity.startTicks = startTicksOf(identity.pid);
    return identity;
}

QString ProcessIdentity::startToken() const
{
    return QStringLiteral("%1/%2").arg(bootId).arg(startTicks);
}

ProcessIdentity ProcessIdentity::fromStored(const QString &host, qint64 pid, const QString &startToken)
{
    ProcessIdentity identity;
    identity.host = host;
    identity.pid = pid;
    identity.bootId = startToken.section(QLatin1Char('/'), 0, 0);
    identity.startTicks = startToken.section(QLatin1Char('/'), 1, 1).toLongLong();
    return identity;
}

ProcessIdentity::State ProcessIdentity::state() const
{
    if (pid <= 0 || host.isEmpty() || host != QSysInfo::machineHostName())
        return State::Unknown;
    if (bootId != currentBootId())
        return State::Gone; // the machine restarted since
    const qint64 ticks = startTicksOf(pid);
    return ticks != 0 && ticks == startTicks ? State::Alive : State::Gone;
}

} // namespace gw
