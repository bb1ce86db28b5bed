// A stand-in for gw::readWholeFile, linked in with `-Wl,--wrap` when GW_FUZZ_FAST_READS is ON.
//
// Why: the engine's readWholeFile (core/util/Files.cpp) reads with QIODevice::read(maxBytes + 1),
// and Qt sizes the result buffer for maxBytes + 1 before reading: every read of a small file
// reserves 128 MiB of capacity for the default 64 MiB cap, and about 2 GiB for an IDX file (whose cap
// is 8 GiB; Qt clamps it). Under AddressSanitizer that costs 100 ms or more per read, so the
// readers behind it (IDX, labels, CodeCarbon) would run at a few executions per second, and every IDX
// read trips libFuzzer's 2 GiB malloc limit. The checks and messages below are the engine's; only
// the buffer is sized to the file. Configure with -DGW_FUZZ_FAST_READS=OFF to fuzz the real one.
#include "Error.h"
#include "util/Files.h"

#include <QFile>
#include <type_traits>

// The wrap binds by mangled name: a change of the engine's signature must stop the build here
// rather than leave the real function unwrapped without a word.
static_assert(std::is_same_v<decltype(&gw::readWholeFile), QByteArray (*)(const QString &, qint64)>,
              "gw::readWholeFile changed its signature: update ReadShim.cpp and the --wrap name in CMakeLists.txt");

QByteArray gwFuzzReadWholeFile(const QString &path, qint64 maxBytes) __asm__("__wrap__ZN2gw13readWholeFileERK7QStringx");

QByteArray gwFuzzReadWholeFile(const QString &path, qint64 maxBytes)
{
    const bool resource = path.startsWith(QLatin1Char(':'));
    if (!resource)
        gw::requireRegularFile(path);
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        throw gw::Error::in(path, QStringLiteral("cannot open: %1").arg(file.errorString()));
    if (file.size() > maxBytes)
        throw gw::Error::in(path, QStringLiteral("is %1 bytes, more than the %2 bytes such a file may have").arg(file.size()).arg(maxBytes));
    QByteArray bytes = file.read(qMin(file.size(), maxBytes) + 1);
    if (bytes.size() > maxBytes)
        throw gw::Error::in(path, QStringLiteral("grew past %1 bytes while being read").arg(maxBytes));
    if (file.error() != QFileDevice::NoError)
        throw gw::Error::in(path, QStringLiteral("cannot read: %1").arg(file.errorString()));
    return bytes;
}
