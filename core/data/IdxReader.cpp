#include "data/IdxReader.h"

#include "Error.h"
#include "util/Files.h"

#include <QFile>
#include <QFileInfo>
#include <algorithm>
#include <optional>
#include <zlib.h>

namespace gw {

namespace {
constexpr std::uint8_t kUnsignedByteType = 0x08;

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

namespace {

/// The header of an IDX file: dimensions and the byte count of the data they declare.
struct IdxHeader {
    std::vector<int> dims;
    std::size_t headerBytes = 0;
    std::uint64_t payloadBytes = 0;
};

/// Reads the header from the first bytes of the (decompressed) content; returns nullopt while
/// @p bytes is too short to hold it all.
std::optional<IdxHeader> parseHeader(const std::uint8_t *bytes, std::size_t size, const QString &path, int expectedDims, bool complete)
{
    if (size < 4) {
        if (complete)
            throw Error(QStringLiteral("%1: too short to be an IDX file (%2 bytes)").arg(path).arg(size));
        return std::nullopt;
    }
    if (bytes[0] != 0 || bytes[1] != 0 || bytes[2] != kUnsignedByteType) {
        throw Error(QStringLiteral("%1: wrong magic number 0x%2 (expected 0x000008NN: an IDX file of unsigned bytes)")
                        .arg(path)
                        .arg(readBigEndian32(bytes), 8, 16, QLatin1Char('0')));
    }
    const int dimCount = bytes[3];
    if (dimCount < 1 || (expectedDims > 0 && dimCount != expectedDims)) {
        throw Error(QStringLiteral("%1: has %2 dimensions, expected %3")
                        .arg(path)
                        .arg(dimCount)
                        .arg(expectedDims > 0 ? QString::number(expectedDims) : QStringLiteral("at least 1")));
    }
    IdxHeader header;
    header.headerBytes = 4 + 4 * std::size_t(dimCount);
    if (size < header.headerBytes) {
        if (complete)
            throw Error(QStringLiteral("%1: truncated header (%2 bytes, need %3)").arg(path).arg(size).arg(header.headerBytes));
        return std::nullopt;
    }
    header.payloadBytes = 1;
    for (int d = 0; d < dimCount; ++d) {
        const std::uint32_t extent = readBigEndian32(bytes + 4 + 4 * d);
        if (extent == 0 || extent > 0x7fffffffu)
            throw Error(QStringLiteral("%1: dimension %2 has an invalid size %3").arg(path).arg(d).arg(extent));
        header.payloadBytes *= extent;
        if (header.payloadBytes > IdxReader::kMaxPayloadBytes)
            throw Error(QStringLiteral("%1: the header declares more than %2 MiB of data (the most an IDX file may hold here); refusing")
                            .arg(path)
                            .arg(IdxReader::kMaxPayloadBytes >> 20));
        header.dims.push_back(int(extent));
    }
    return header;
}

void checkPayloadSize(const IdxHeader &header, std::uint64_t available, const QString &path)
{
    if (available < header.payloadBytes)
        throw Error(QStringLiteral("%1: truncated: the header promises %2 bytes of data, the file holds %3").arg(path).arg(header.payloadBytes).arg(available));
    if (available > header.payloadBytes)
        throw Error(QStringLiteral("%1: %2 unexpected bytes after the data the header declares").arg(path).arg(available - header.payloadBytes));
}

/// Decompresses a gzip IDX file, reading its header as soon as it is out, and never holding
/// more than the header declares: a small file that expands to gigabytes is refused after a
/// few kilobytes, not after filling memory.
std::vector<std::uint8_t> gunzipIdx(const QByteArray &compressed, const QString &path, int expectedDims, IdxHeader &header)
{
    z_stream stream{};
    // 16 + MAX_WBITS: expect a gzip header and trailer (not a raw zlib stream).
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK)
        throw Error(QStringLiteral("%1: cannot initialise gzip decompression").arg(path));
    struct End {
        z_stream &s;
        ~End() { inflateEnd(&s); }
    } end{stream};
    stream.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(compressed.constData()));
    stream.avail_in = static_cast<uInt>(compressed.size());
    // Room for the longest header first (255 dimensions), then exactly what the header declares.
    std::vector<std::uint8_t> out(4 + 4 * 255);
    std::size_t filled = 0;
    std::optional<IdxHeader> parsed;
    int status = Z_OK;
    std::size_t limit = out.size(); // what the content may hold: grows to the declared size once the header is read
    while (status != Z_STREAM_END) {
        if (filled == out.size() && out.size() < limit)
            out.resize(std::min(limit, std::max<std::size_t>(out.size() * 2, 1 << 20))); // grown as the data comes, not as the header says
        if (filled == out.size()) {
            // Full, but the stream goes on: one byte more than the header allows.
            std::uint8_t extra = 0;
            stream.next_out = &extra;
            stream.avail_out = 1;
            status = inflate(&stream, Z_NO_FLUSH);
            if (stream.avail_out == 0)
                throw Error(QStringLiteral("%1: unexpected bytes after the data the header declares").arg(path));
        } else {
            stream.next_out = out.data() + filled;
            stream.avail_out = static_cast<uInt>(out.size() - filled);
            status = inflate(&stream, Z_NO_FLUSH);
            filled = out.size() - stream.avail_out;
        }
        if (status != Z_OK && status != Z_STREAM_END) {
            throw Error(QStringLiteral("%1: %2").arg(path, status == Z_BUF_ERROR ? QStringLiteral("the gzip stream is truncated")
                                                                                 : QStringLiteral("corrupt gzip data (%1)").arg(QString::fromLatin1(stream.msg ? stream.msg : "unknown zlib error"))));
        }
        if (!parsed) {
            parsed = parseHeader(out.data(), filled, path, expectedDims, status == Z_STREAM_END);
            if (parsed) {
                if (filled > parsed->headerBytes + parsed->payloadBytes)
                    throw Error(QStringLiteral("%1: %2 unexpected bytes after the data the header declares").arg(path).arg(filled - parsed->headerBytes - parsed->payloadBytes));
                limit = parsed->headerBytes + std::size_t(parsed->payloadBytes);
                out.resize(std::min(out.size(), limit));
            }
        }
        if (status != Z_STREAM_END && stream.avail_in == 0 && stream.avail_out != 0)
            throw Error(QStringLiteral("%1: the gzip stream is truncated").arg(path));
    }
    if (!parsed)
        parsed = parseHeader(out.data(), filled, path, expectedDims, true);
    checkPayloadSize(*parsed, filled - parsed->headerBytes, path);
    out.resize(filled);
    header = *parsed;
    return out;
}

} // namespace

IdxArray IdxReader::read(const QString &path, int expectedDims)
{
    if (!QFileInfo::exists(path))
        throw Error(QStringLiteral("%1: file not found").arg(path));
    // A regular file of bounded size only: a FIFO would block, /dev/zero would never end.
    const QByteArray content = readWholeFile(path, qint64(kMaxPayloadBytes) + 4 + 4 * 255);
    const bool isGzip = content.size() >= 2 && quint8(content[0]) == 0x1f && quint8(content[1]) == 0x8b;
    IdxArray array;
    if (isGzip) {
        IdxHeader header;
        std::vector<std::uint8_t> bytes = gunzipIdx(content, path, expectedDims, header);
        array.dims = header.dims;
        array.values.assign(bytes.begin() + std::ptrdiff_t(header.headerBytes), bytes.end());
        return array;
    }
    if (path.endsWith(QStringLiteral(".gz")))
        throw Error(QStringLiteral("%1: named .gz but its content is not gzip-compressed").arg(path));
    const auto *bytes = reinterpret_cast<const std::uint8_t *>(content.constData());
    const IdxHeader header = *parseHeader(bytes, std::size_t(content.size()), path, expectedDims, true);
    checkPayloadSize(header, std::uint64_t(content.size()) - header.headerBytes, path);
    array.dims = header.dims;
    array.values.assign(bytes + header.headerBytes, bytes + content.size());
    return array;
}

} // namespace gw
