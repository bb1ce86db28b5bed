#pragma once
// Shared by the fuzz targets: a scratch file for readers that take a path, and a way to turn a
// broken promise of the code under test into a crash that libFuzzer records with its input.
#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QString>
#include <QTemporaryDir>
#include <QtGlobal>

#include <cstdio>
#include <cstdlib>
#include <memory>

namespace gwfuzz {

/// A folder for this process's scratch files, made once: in /dev/shm when there is one, so the
/// file a reader opens per execution costs a memory copy rather than disk writes.
inline const QString &scratchDir()
{
    static const std::unique_ptr<QTemporaryDir> dir = [] {
        const QString base = QDir(QStringLiteral("/dev/shm")).exists() ? QStringLiteral("/dev/shm") : QDir::tempPath();
        auto made = std::make_unique<QTemporaryDir>(base + QStringLiteral("/gw-fuzz-XXXXXX"));
        if (!made->isValid()) {
            std::fprintf(stderr, "fuzz: cannot make a scratch folder under %s\n", qPrintable(base));
            std::abort();
        }
        return made;
    }();
    static const QString path = dir->path();
    return path;
}

/// Writes @p bytes to the scratch file @p name (replacing it) and returns its path.
inline QString writeScratch(const QString &name, const char *bytes, std::size_t size)
{
    const QString path = scratchDir() + QLatin1Char('/') + name;
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(bytes, qint64(size)) != qint64(size)) {
        std::fprintf(stderr, "fuzz: cannot write %s\n", qPrintable(path));
        std::abort();
    }
    return path;
}

inline QByteArray readScratch(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "fuzz: cannot read back %s\n", qPrintable(path));
        std::abort();
    }
    return file.readAll();
}

/// Whether the harnesses check the promises of the code under test beyond "no crash" (round trips,
/// sizes); GW_FUZZ_INVARIANTS=0 leaves only sanitizer reports and escaping exceptions as crashes.
inline bool checkInvariants()
{
    static const bool on = qEnvironmentVariable("GW_FUZZ_INVARIANTS", QStringLiteral("1")) != QStringLiteral("0");
    return on;
}

/// A documented promise did not hold for this input: abort so libFuzzer keeps the input as a crash.
/// The message starts with "INVARIANT" so run_fuzz.sh and a reader tell it from a sanitizer report.
[[noreturn]] inline void violated(const QString &what)
{
    std::fprintf(stderr, "INVARIANT VIOLATED: %s\n", what.toUtf8().constData());
    std::fflush(stderr);
    std::abort();
}

} // namespace gwfuzz
