#pragma once
#include <QByteArray>
#include <QString>
#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

namespace gw {

/// Tensors by name, in a meaningful order (file order when read, state-dict order from a module).
using NamedTensors = std::vector<std::pair<std::string, torch::Tensor>>;

/// What a safetensors file holds: its tensors in file order (by data offset) and its free-form
/// string metadata (the "__metadata__" entry of the header).
struct SafetensorsContent {
    NamedTensors tensors;
    std::map<std::string, std::string> metadata;
};

/// Reads and writes Hugging Face's safetensors format: an 8-byte little-endian header length, a
/// JSON header (name -> dtype, shape, data_offsets), then the tensors' bytes, little-endian and
/// row-major. Reading checks the whole header against the data before any tensor is made, so a
/// damaged or hostile file gives a gw::Error naming the file (and the tensor) instead of a crash
/// or a silently wrong model. Supported dtypes: F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL.
class Safetensors {
public:
    /// Reads a whole file into memory; the tensors are CPU copies that own their memory.
    static SafetensorsContent read(const QString &path);
    /// Parses the bytes of a safetensors file; `origin` names it in error messages.
    static SafetensorsContent parse(const QByteArray &bytes, const QString &origin);

    /// Writes atomically (a crash leaves the old file or none, never half a file). The tensors
    /// are stored in the given order; metadata is written only when non-empty.
    static void write(const QString &path, const NamedTensors &tensors,
                      const std::map<std::string, std::string> &metadata = {});
    /// The bytes `write` would store; `origin` names the destination in error messages.
    static QByteArray serialize(const NamedTensors &tensors, const std::map<std::string, std::string> &metadata,
                                const QString &origin);

    /// The safetensors name of a dtype ("F32", "BF16", ...), or LibTorch's name for one the
    /// format cannot hold.
    static QString dtypeName(c10::ScalarType type);
};

} // namespace gw
