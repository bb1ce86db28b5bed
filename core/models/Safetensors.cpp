#include "models/Safetensors.h"

#include "Error.h"
#include "util/Files.h"

#include <QFile>
#include <QStringList>
#include <QtEndian>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <limits>
#include <optional>
#include <set>
#include <tuple>

// The format is little-endian and tensors are copied byte for byte; a big-endian host would need
// a byte swap per element, which nothing here does.
#if Q_BYTE_ORDER != Q_LITTLE_ENDIAN
#error "Safetensors.cpp assumes a little-endian host"
#endif

namespace gw {

namespace {

using Json = nlohmann::json;

struct DtypeInfo {
    const char *name;
    c10::ScalarType type;
    std::uint64_t size;
};

constexpr DtypeInfo kDtypes[] = {
    {"F64", c10::ScalarType::Double, 8}, {"F32", c10::ScalarType::Float, 4},
    {"F16", c10::ScalarType::Half, 2},   {"BF16", c10::ScalarType::BFloat16, 2},
    {"I64", c10::ScalarType::Long, 8},   {"I32", c10::ScalarType::Int, 4},
    {"I16", c10::ScalarType::Short, 2},  {"I8", c10::ScalarType::Char, 1},
    {"U8", c10::ScalarType::Byte, 1},    {"BOOL", c10::ScalarType::Bool, 1},
};

// The reference implementation refuses larger headers too; it keeps a corrupt length field from
// making us parse (or allocate for) gigabytes of "JSON".
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::uint64_t kLengthFieldBytes = 8;
const std::string kMetadataKey = "__metadata__";

const DtypeInfo *dtypeByName(const std::string &name)
{
    for (const DtypeInfo &info : kDtypes)
        if (name == info.name)
            return &info;
    return nullptr;
}

const DtypeInfo *dtypeByType(c10::ScalarType type)
{
    for (const DtypeInfo &info : kDtypes)
        if (type == info.type)
            return &info;
    return nullptr;
}

QString knownDtypes()
{
    QStringList names;
    for (const DtypeInfo &info : kDtypes)
        names << QString::fromLatin1(info.name);
    return names.join(QStringLiteral(", "));
}

[[noreturn]] void fail(const QString &origin, const QString &problem)
{
    throw Error(QStringLiteral("%1: %2").arg(origin, problem));
}

[[noreturn]] void failTensor(const QString &origin, const std::string &name, const QString &problem)
{
    throw Error(QStringLiteral("%1: tensor '%2': %3").arg(origin, QString::fromStdString(name), problem));
}

QString jsonText(const Json &value)
{
    return QString::fromStdString(value.dump(-1, ' ', false, Json::error_handler_t::replace));
}

// LibTorch's own notation, "[5, 144]", as in its error messages.
QString shapeText(c10::IntArrayRef sizes)
{
    return QString::fromStdString(c10::str(sizes));
}

/// One tensor's header entry, checked for types but not yet against the data buffer.
struct Entry {
    std::string name;
    const DtypeInfo *dtype = nullptr;
    std::vector<std::int64_t> shape;
    std::uint64_t begin = 0, end = 0;
};

Json parseHeaderJson(const char *begin, const char *end, const QString &origin)
{
    // nlohmann keeps the last of two equal keys without a word, and a tensor named twice must be
    // an error, so the parser's callback tracks the keys of every open object.
    std::vector<std::set<std::string>> keysOfOpenObjects;
    std::string duplicate;
    std::size_t duplicateDepth = 0;
    const Json::parser_callback_t onEvent = [&](int, Json::parse_event_t event, Json &parsed) {
        if (event == Json::parse_event_t::object_start) {
            keysOfOpenObjects.emplace_back();
        } else if (event == Json::parse_event_t::object_end) {
            keysOfOpenObjects.pop_back();
        } else if (event == Json::parse_event_t::key && !keysOfOpenObjects.empty()) {
            const std::string key = parsed.get<std::string>();
            if (!keysOfOpenObjects.back().insert(key).second && duplicate.empty()) {
                duplicate = key;
                duplicateDepth = keysOfOpenObjects.size();
            }
        }
        return true;
    };
    Json header;
    try {
        header = Json::parse(begin, end, onEvent);
    } catch (const Json::exception &e) {
        fail(origin, QStringLiteral("the header is not valid JSON: %1").arg(QString::fromUtf8(e.what())));
    }
    if (!header.is_object())
        fail(origin, QStringLiteral("the header is JSON but not an object: %1").arg(jsonText(header).left(80)));
    if (!duplicate.empty()) {
        if (duplicateDepth == 1 && duplicate != kMetadataKey)
            failTensor(origin, duplicate, QStringLiteral("the header names it twice"));
        fail(origin, QStringLiteral("the header repeats the key '%1' within one object")
                         .arg(QString::fromStdString(duplicate)));
    }
    return header;
}

std::map<std::string, std::string> readMetadata(const Json &value, const QString &origin)
{
    if (!value.is_object())
        fail(origin, QStringLiteral("\"__metadata__\" is not a JSON object but %1").arg(jsonText(value)));
    std::map<std::string, std::string> metadata;
    for (auto it = value.begin(); it != value.end(); ++it) {
        if (!it.value().is_string())
            fail(origin, QStringLiteral("\"__metadata__\" value of '%1' is not a string but %2")
                             .arg(QString::fromStdString(it.key()), jsonText(it.value())));
        metadata.emplace(it.key(), it.value().get<std::string>());
    }
    return metadata;
}

const Json &field(const Json &entry, const char *key, const QString &origin, const std::string &name)
{
    const auto it = entry.find(key);
    if (it == entry.end())
        failTensor(origin, name, QStringLiteral("its entry has no \"%1\"").arg(QLatin1String(key)));
    return *it;
}

// JSON integers at or above zero; nlohmann stores those as unsigned.
std::vector<std::uint64_t> readCounts(const Json &value, const char *key, const QString &origin,
                                      const std::string &name)
{
    if (!value.is_array())
        failTensor(origin, name, QStringLiteral("\"%1\" is not an array but %2").arg(QLatin1String(key), jsonText(value)));
    std::vector<std::uint64_t> counts;
    for (const Json &item : value) {
        if (!item.is_number_integer())
            failTensor(origin, name, QStringLiteral("\"%1\" holds %2, which is not an integer")
                                         .arg(QLatin1String(key), jsonText(item)));
        if (!item.is_number_unsigned())
            failTensor(origin, name, QStringLiteral("\"%1\" holds the negative number %2")
                                         .arg(QLatin1String(key), jsonText(item)));
        counts.push_back(item.get<std::uint64_t>());
    }
    return counts;
}

Entry readEntry(const std::string &name, const Json &value, const QString &origin)
{
    if (!value.is_object())
        failTensor(origin, name, QStringLiteral("its entry is not a JSON object but %1").arg(jsonText(value)));
    Entry entry;
    entry.name = name;

    const Json &dtype = field(value, "dtype", origin, name);
    if (!dtype.is_string())
        failTensor(origin, name, QStringLiteral("\"dtype\" is not a string but %1").arg(jsonText(dtype)));
    entry.dtype = dtypeByName(dtype.get<std::string>());
    if (!entry.dtype)
        failTensor(origin, name, QStringLiteral("unknown or unsupported dtype %1 (supported: %2)")
                                     .arg(jsonText(dtype), knownDtypes()));

    for (std::uint64_t dim : readCounts(field(value, "shape", origin, name), "shape", origin, name)) {
        if (dim > std::uint64_t(std::numeric_limits<std::int64_t>::max()))
            failTensor(origin, name, QStringLiteral("\"shape\" has the impossible dimension %1").arg(dim));
        entry.shape.push_back(std::int64_t(dim));
    }

    const std::vector<std::uint64_t> offsets =
        readCounts(field(value, "data_offsets", origin, name), "data_offsets", origin, name);
    if (offsets.size() != 2)
        failTensor(origin, name, QStringLiteral("\"data_offsets\" must hold [begin, end], not %1 numbers")
                                     .arg(offsets.size()));
    entry.begin = offsets[0];
    entry.end = offsets[1];
    return entry;
}

// Bytes the shape and dtype need, or nothing when even the product of the non-zero dimensions
// overflows: such a shape could not be made into a tensor even when it has no elements.
std::optional<std::uint64_t> byteSize(const Entry &entry)
{
    std::uint64_t elements = 1, bound = entry.dtype->size;
    for (std::int64_t dim : entry.shape) {
        if (__builtin_mul_overflow(bound, std::uint64_t(std::max<std::int64_t>(dim, 1)), &bound))
            return std::nullopt;
        elements *= std::uint64_t(dim); // cannot overflow: bounded by `bound`
    }
    return elements * entry.dtype->size;
}

void checkAgainstBuffer(const Entry &entry, const char *data, std::uint64_t dataSize, const QString &origin)
{
    const QString offsets = QStringLiteral("data_offsets [%1, %2]").arg(entry.begin).arg(entry.end);
    if (entry.end < entry.begin)
        failTensor(origin, entry.name, QStringLiteral("%1 end before they begin").arg(offsets));
    if (entry.end > dataSize)
        failTensor(origin, entry.name, QStringLiteral("%1 run past the end of the data buffer (%2 bytes); "
                                                      "is the file truncated?")
                                           .arg(offsets)
                                           .arg(dataSize));
    const std::optional<std::uint64_t> needed = byteSize(entry);
    if (!needed)
        failTensor(origin, entry.name,
                   QStringLiteral("shape %1 is too large for any tensor").arg(shapeText(entry.shape)));
    if (entry.end - entry.begin != *needed)
        failTensor(origin, entry.name, QStringLiteral("%1 hold %2 bytes, but dtype %3 and shape %4 need %5")
                                           .arg(offsets)
                                           .arg(entry.end - entry.begin)
                                           .arg(QLatin1String(entry.dtype->name), shapeText(entry.shape))
                                           .arg(*needed));
    // LibTorch assumes a bool byte is 0 or 1; anything else makes later arithmetic undefined.
    if (entry.dtype->type == c10::ScalarType::Bool) {
        const auto *bytes = reinterpret_cast<const unsigned char *>(data + entry.begin);
        if (std::any_of(bytes, bytes + (entry.end - entry.begin), [](unsigned char b) { return b > 1; }))
            failTensor(origin, entry.name, QStringLiteral("BOOL data holds a byte other than 0 or 1"));
    }
}

// Safetensors forbids holes and overlaps: the tensors, in offset order, tile the data buffer.
void checkTiling(std::vector<Entry> &entries, std::uint64_t dataSize, const QString &origin)
{
    std::sort(entries.begin(), entries.end(), [](const Entry &a, const Entry &b) {
        return std::tie(a.begin, a.end, a.name) < std::tie(b.begin, b.end, b.name);
    });
    std::uint64_t covered = 0;
    const Entry *previous = nullptr;
    for (const Entry &entry : entries) {
        if (entry.begin < covered)
            failTensor(origin, entry.name, QStringLiteral("its data [%1, %2] overlaps tensor '%3' [%4, %5]")
                                               .arg(entry.begin)
                                               .arg(entry.end)
                                               .arg(QString::fromStdString(previous->name))
                                               .arg(previous->begin)
                                               .arg(previous->end));
        if (entry.begin > covered)
            failTensor(origin, entry.name, QStringLiteral("the data buffer has a hole of %1 bytes at [%2, %3] "
                                                          "before this tensor")
                                               .arg(entry.begin - covered)
                                               .arg(covered)
                                               .arg(entry.begin));
        covered = entry.end;
        previous = &entry;
    }
    if (covered != dataSize)
        fail(origin, QStringLiteral("the data buffer has %1 bytes after the last tensor that no tensor uses")
                         .arg(dataSize - covered));
}

} // namespace

SafetensorsContent Safetensors::read(const QString &path)
{
    QFile file(path);
    if (!file.exists())
        fail(path, QStringLiteral("file not found"));
    if (!file.open(QIODevice::ReadOnly))
        fail(path, QStringLiteral("cannot open: %1").arg(file.errorString()));
    // Read whole rather than mapped: the tensors are copied out anyway, and a file changed by
    // someone else while mapped would change the tensors under us.
    const QByteArray bytes = file.readAll();
    if (file.error() != QFileDevice::NoError)
        fail(path, QStringLiteral("cannot read: %1").arg(file.errorString()));
    return parse(bytes, path);
}

SafetensorsContent Safetensors::parse(const QByteArray &bytes, const QString &origin)
{
    const auto fileSize = std::uint64_t(bytes.size());
    if (fileSize < kLengthFieldBytes)
        fail(origin, QStringLiteral("too short to be a safetensors file (%1 bytes; the header length alone takes 8)")
                         .arg(fileSize));
    const std::uint64_t headerSize = qFromLittleEndian<quint64>(bytes.constData());
    if (headerSize > kMaxHeaderBytes)
        fail(origin, QStringLiteral("the header length field says %1 bytes, more than the %2 a header may have; "
                                    "not a safetensors file?")
                         .arg(headerSize)
                         .arg(kMaxHeaderBytes));
    if (headerSize > fileSize - kLengthFieldBytes)
        fail(origin, QStringLiteral("the header length field says %1 bytes, but only %2 follow it")
                         .arg(headerSize)
                         .arg(fileSize - kLengthFieldBytes));

    const char *headerBegin = bytes.constData() + kLengthFieldBytes;
    const Json header = parseHeaderJson(headerBegin, headerBegin + headerSize, origin);
    const char *data = headerBegin + headerSize;
    const std::uint64_t dataSize = fileSize - kLengthFieldBytes - headerSize;

    SafetensorsContent content;
    std::vector<Entry> entries;
    for (auto it = header.begin(); it != header.end(); ++it) {
        if (it.key() == kMetadataKey)
            content.metadata = readMetadata(it.value(), origin);
        else
            entries.push_back(readEntry(it.key(), it.value(), origin));
    }
    for (const Entry &entry : entries)
        checkAgainstBuffer(entry, data, dataSize, origin);
    checkTiling(entries, dataSize, origin);

    // Only now, with every entry checked, is anything allocated; each tensor owns a copy so the
    // file's buffer can go.
    content.tensors.reserve(entries.size());
    for (const Entry &entry : entries) {
        torch::Tensor tensor = torch::empty(entry.shape, torch::TensorOptions().dtype(entry.dtype->type));
        if (entry.end > entry.begin)
            std::memcpy(tensor.data_ptr(), data + entry.begin, entry.end - entry.begin);
        content.tensors.emplace_back(entry.name, std::move(tensor));
    }
    return content;
}

QByteArray Safetensors::serialize(const NamedTensors &tensors, const std::map<std::string, std::string> &metadata,
                                  const QString &origin)
{
    // ordered_json keeps the given tensor order and the format's key order within an entry.
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json &entries = header[kMetadataKey] = nlohmann::ordered_json::object();
        for (const auto &[key, value] : metadata)
            entries[key] = value;
    }
    std::vector<torch::Tensor> contiguous;
    contiguous.reserve(tensors.size());
    std::set<std::string> names;
    std::uint64_t offset = 0;
    for (const auto &[name, tensor] : tensors) {
        if (name == kMetadataKey)
            failTensor(origin, name, QStringLiteral("the name is reserved for the header's metadata"));
        if (!names.insert(name).second)
            failTensor(origin, name, QStringLiteral("the name is given twice"));
        if (!tensor.defined())
            failTensor(origin, name, QStringLiteral("the tensor is undefined (it has no data)"));
        const DtypeInfo *dtype = dtypeByType(tensor.scalar_type());
        if (!dtype)
            failTensor(origin, name, QStringLiteral("dtype %1 cannot be stored in safetensors (supported: %2)")
                                         .arg(dtypeName(tensor.scalar_type()), knownDtypes()));
        torch::Tensor cpu = tensor.detach().to(torch::kCPU).contiguous();
        const std::uint64_t bytes = std::uint64_t(cpu.numel()) * dtype->size;
        header[name] = {{"dtype", dtype->name}, {"shape", cpu.sizes().vec()}, {"data_offsets", {offset, offset + bytes}}};
        offset += bytes;
        contiguous.push_back(std::move(cpu));
    }

    std::string text;
    try {
        text = header.dump();
    } catch (const nlohmann::ordered_json::exception &e) {
        fail(origin, QStringLiteral("cannot write the header (a name or metadata value is not UTF-8): %1")
                         .arg(QString::fromUtf8(e.what())));
    }
    // Spaces up to a multiple of 8 keep the data buffer 8-byte aligned, as the reference writer does.
    text.append((8 - text.size() % 8) % 8, ' ');

    QByteArray out;
    out.reserve(qsizetype(kLengthFieldBytes + text.size() + offset));
    char length[kLengthFieldBytes];
    qToLittleEndian<quint64>(text.size(), length);
    out.append(length, qsizetype(kLengthFieldBytes));
    out.append(text.data(), qsizetype(text.size()));
    for (const torch::Tensor &tensor : contiguous)
        out.append(static_cast<const char *>(tensor.data_ptr()), qsizetype(tensor.nbytes()));
    return out;
}

void Safetensors::write(const QString &path, const NamedTensors &tensors,
                        const std::map<std::string, std::string> &metadata)
{
    const QByteArray bytes = serialize(tensors, metadata, path);
    AtomicFile::writeWhole(path, bytes, QStringLiteral("the safetensors file"));
}

QString Safetensors::dtypeName(c10::ScalarType type)
{
    if (const DtypeInfo *info = dtypeByType(type))
        return QString::fromLatin1(info->name);
    return QString::fromLatin1(c10::toString(type));
}

} // namespace gw
