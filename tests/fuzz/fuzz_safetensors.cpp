// Safetensors::parse over arbitrary bytes. Safetensors::read is QFile::readAll plus parse, so the
// harness calls parse directly and spares a file write per execution. What parse accepts is written
// back with serialize and parsed again: the reader and the writer must agree on every name, dtype,
// shape, byte and metadata entry (the workbench stores its own models this way).
#include "FuzzSupport.h"

#include "Error.h"
#include "models/Safetensors.h"

#include <torch/torch.h>

#include <cstdint>
#include <cstring>

namespace {

bool sameBytes(const torch::Tensor &a, const torch::Tensor &b)
{
    if (a.scalar_type() != b.scalar_type() || a.sizes() != b.sizes())
        return false;
    const torch::Tensor ca = a.contiguous(), cb = b.contiguous();
    return ca.nbytes() == cb.nbytes() && (ca.nbytes() == 0 || std::memcmp(ca.data_ptr(), cb.data_ptr(), ca.nbytes()) == 0);
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    // One thread: the tensors are tiny and LibTorch's pool would only add noise to the runs.
    torch::set_num_threads(1);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    const QByteArray bytes = QByteArray::fromRawData(reinterpret_cast<const char *>(data), qsizetype(size));
    gw::SafetensorsContent content;
    try {
        content = gw::Safetensors::parse(bytes, QStringLiteral("fuzz.safetensors"));
    } catch (const gw::Error &) {
        return 0;
    }
    QByteArray written;
    try {
        written = gw::Safetensors::serialize(content.tensors, content.metadata, QStringLiteral("fuzz-out.safetensors"));
    } catch (const gw::Error &e) {
        gwfuzz::violated(QStringLiteral("serialize refused what parse accepted: %1").arg(e.message()));
    }
    gw::SafetensorsContent again;
    try {
        again = gw::Safetensors::parse(written, QStringLiteral("fuzz-out.safetensors"));
    } catch (const gw::Error &e) {
        gwfuzz::violated(QStringLiteral("parse refused what serialize wrote: %1").arg(e.message()));
    }
    if (again.metadata != content.metadata)
        gwfuzz::violated(QStringLiteral("metadata changed in a write and read"));
    if (again.tensors.size() != content.tensors.size())
        gwfuzz::violated(QStringLiteral("%1 tensors read, %2 after a write and read").arg(content.tensors.size()).arg(again.tensors.size()));
    for (std::size_t i = 0; i < content.tensors.size(); ++i) {
        if (again.tensors[i].first != content.tensors[i].first || !sameBytes(again.tensors[i].second, content.tensors[i].second))
            gwfuzz::violated(QStringLiteral("tensor '%1' changed in a write and read").arg(QString::fromStdString(content.tensors[i].first)));
    }
    return 0;
}
