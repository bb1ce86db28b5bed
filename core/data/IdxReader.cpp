#include "data/IdxReader.h"

#include "Error.h"

#include <QFile>
#include <QFileInfo>
#include <zlib.h>

namespace gw {

namespace {
constexpr std::uint8_t kUnsignedByteType = 0x08;
// A single IDX file larger than this is not a dataset we can hold in memory anyway; it guards
// against a corrupt header making us allocate absurd amounts.
constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t(8) << 30;

std::uint32_t readBigEndian32(const std::uint8_t *p)
{
    return (std::uint32_t(p[0]) << 24) | (std::uint32_t(p[1]) << 16) | (std::uint32_t(p[2]) << 8) | std::uint32_t(p[3]);
}
} // namespace

std::int64_t IdxArray::itemSize() const
{
    std::int64_t size = 1;
    for (std::size_t i = 1; i < dims.size(); ++i)
        size *= dims[i];
    return size;
}

std::vector<std::uint8_t> IdxReader::readFileBytes(const QString &path)
{
    QFile file(path);
    if (!QFileInfo::exists(path))
        throw Error(QStringLiteral("%1: file not found").arg(path));
    if (!file.open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("%1: cannot open: %2").arg(path, file.errorString()));
    const QByteArray bytes = file.readAll();
    return std::vector<std::uint8_t>(bytes.begin(), bytes.end());
}

std::vector<std::uint8_t> IdxReader::gunzip(const std::vector<std::uint8_t> &compressed, const QString &path)
{
    z_stream stream{};
    // 16 + MAX_WBITS: expect a gzip header and trailer (not a raw zlib stream).
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        throw Error(QStringLiteral("%1: cannot initialise gzip decompression").arg(path));
    std::vector<std::uint8_t> out;
    out.reserve(compressed.size() * 4);
    stream.next_in = const_cast<Bytef *>(compressed.data());
    stream.avail_in = static_cast<uInt>(compressed.size());
    std::uint8_t chunk[1 << 16];
    int status = Z_OK;
    while (status != Z_STREAM_END) {
        stream.next_out = chunk;
        stream.avail_out = sizeof chunk;
        status = inflate(&stream, Z_NO_FLUSH);
        if (status != Z_OK && status != Z_STREAM_END) {
            const QString reason = status == Z_BUF_ERROR ? QStringLiteral("the gzip stream is truncated")
                                                         : QStringLiteral("corrupt gzip data (%1)").arg(QString::fromLatin1(stream.msg ? stream.msg : "unknown zlib error"));
            inflateEnd(&stream);
            throw Error(QStringLiteral("%1: %2").arg(path, reason));
        }
        out.insert(out.end(), chunk, chunk + (sizeof chunk - stream.avail_out));
        if (out.size() > kMaxPayloadBytes) {
            inflateEnd(&stream);
            throw Error(QStringLiteral("%1: decompresses to more than 8 GiB; refusing").arg(path));
        }
        if (status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0) {
            inflateEnd(&stream);
            throw Error(QStringLiteral("%1: the gzip stream is truncated").arg(path));
        }
    }
    inflateEnd(&stream);
    return out;
}

IdxArray IdxReader::read(const QString &path, int expectedDims)
{
    std::vector<std::uint8_t> bytes = readFileBytes(path);
    const bool isGzip = bytes.size() >= 2 && bytes[0] == 0x1f && bytes[1] == 0x8b;
    if (isGzip)
        bytes = gunzip(bytes, path);
    else if (path.endsWith(QStringLiteral(".gz")))
        throw Error(QStringLiteral("%1: named .gz but its content is not gzip-compressed").arg(path));

    if (bytes.size() < 4)
        throw Error(QStringLiteral("%1: too short to be an IDX file (%2 bytes)").arg(path).arg(bytes.size()));
    if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != kUnsignedByteType) {
        throw Error(QStringLiteral("%1: wrong magic number 0x%2 (expected 0x000008NN: an IDX file of unsigned bytes)")
                        .arg(path)
                        .arg(readBigEndian32(bytes.data()), 8, 16, QLatin1Char('0')));
    }
    const int dimCount = bytes[3];
    if (dimCount < 1 || (expectedDims > 0 && dimCount != expectedDims)) {
        throw Error(QStringLiteral("%1: has %2 dimensions, expected %3")
                        .arg(path)
                        .arg(dimCount)
                        .arg(expectedDims > 0 ? QString::number(expectedDims) : QStringLiteral("at least 1")));
    }
    const std::size_t headerBytes = 4 + 4 * std::size_t(dimCount);
    if (bytes.size() < headerBytes)
        throw Error(QStringLiteral("%1: truncated header (%2 bytes, need %3)").arg(path).arg(bytes.size()).arg(headerBytes));

    IdxArray array;
    std::uint64_t payload = 1;
    for (int d = 0; d < dimCount; ++d) {
        const std::uint32_t size = readBigEndian32(bytes.data() + 4 + 4 * d);
        if (size == 0 || size > 0x7fffffffu)
            throw Error(QStringLiteral("%1: dimension %2 has an invalid size %3").arg(path).arg(d).arg(size));
        payload *= size;
        if (payload > kMaxPayloadBytes)
            throw Error(QStringLiteral("%1: header declares more than 8 GiB of data").arg(path));
        array.dims.push_back(int(size));
    }
    const std::uint64_t available = bytes.size() - headerBytes;
    if (available < payload)
        throw Error(QStringLiteral("%1: truncated: the header promises %2 bytes of data, the file holds %3").arg(path).arg(payload).arg(available));
    if (available > payload)
        throw Error(QStringLiteral("%1: %2 unexpected bytes after the data the header declares").arg(path).arg(available - payload));
    array.values.assign(bytes.begin() + std::ptrdiff_t(headerBytes), bytes.end());
    return array;
}

} // namespace gw
