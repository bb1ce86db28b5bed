// IdxReader::read over arbitrary file content. The reader takes a path, so each input goes through a
// scratch file; the name ends in .gz for half the inputs, since a .gz name over raw content is its
// own error path.
#include "FuzzSupport.h"

#include "Error.h"
#include "data/IdxReader.h"

#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    // The choice of name comes from the length, not a byte of the content, so every byte of the
    // input is file content and the seed corpus holds plain IDX files.
    const QString name = size % 2 ? QStringLiteral("input.idx.gz") : QStringLiteral("input.idx");
    const QString path = gwfuzz::writeScratch(name, reinterpret_cast<const char *>(data), size);
    for (const int expectedDims : {0, 1, 3}) {
        try {
            const gw::IdxArray array = gw::IdxReader::read(path, expectedDims);
            // The promise: dimensions as the header says, and exactly as many values as they multiply to.
            if (array.dims.empty() || (expectedDims > 0 && int(array.dims.size()) != expectedDims))
                gwfuzz::violated(QStringLiteral("IdxReader::read(%1) returned %2 dimensions").arg(expectedDims).arg(array.dims.size()));
            std::uint64_t product = 1;
            for (const int d : array.dims) {
                if (d <= 0)
                    gwfuzz::violated(QStringLiteral("IdxReader::read returned a dimension of %1").arg(d));
                product *= std::uint64_t(d);
            }
            if (product != array.values.size() || std::uint64_t(array.itemCount() * array.itemSize()) != array.values.size())
                gwfuzz::violated(QStringLiteral("IdxReader::read returned %1 values for dimensions whose product is %2")
                                     .arg(array.values.size())
                                     .arg(product));
        } catch (const gw::Error &) {
            // A clear refusal is the expected outcome for bad input.
        }
    }
    return 0;
}
