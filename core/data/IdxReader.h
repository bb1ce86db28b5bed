#pragma once
#include <QString>
#include <cstdint>
#include <vector>

namespace gw {

/// An IDX array of unsigned bytes (the format of MNIST and Fashion-MNIST): its dimensions and its
/// values in row-major order.
struct IdxArray {
    std::vector<int> dims;
    std::vector<std::uint8_t> values;

    std::int64_t itemCount() const { return dims.empty() ? 0 : dims.front(); }
    std::int64_t itemSize() const;
};

/// Reads IDX files of unsigned bytes, gzip-compressed or raw (told apart by their content, not their
/// name). Every defect throws gw::Error naming the file: missing or unreadable file, a .gz name over
/// content that is not gzip, a corrupt or truncated gzip stream, a wrong magic number, a wrong
/// number of dimensions, or fewer (or more) bytes than the header promises, a header declaring
/// more than kMaxPayloadBytes, and a path that is not a regular file (a FIFO, a device).
class IdxReader {
public:
    /// @param expectedDims the number of dimensions the caller needs (1 for labels, 3 for images); 0 accepts any.
    static IdxArray read(const QString &path, int expectedDims = 0);

    /// The most data one IDX file may declare (Fashion-MNIST's training images are 47 MB): a
    /// header declaring more is refused before anything is allocated for it.
    static constexpr std::uint64_t kMaxPayloadBytes = std::uint64_t(1) << 30;
};

} // namespace gw
