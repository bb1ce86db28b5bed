#include "models/EmbeddingCache.h"

#include "Error.h"
#include "util/Files.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QtEndian>
#include <torch/torch.h>

namespace gw {

namespace {
constexpr char kMagic[8] = {'G', 'W', 'E', 'M', 'B', '\0', '\1', '\0'};
constexpr int kHeaderFixed = 8 + 4; // magic, little-endian JSON length
constexpr int kAlignment = 64;      // the matrix starts aligned, so the mapping can be used as floats
} // namespace

QString EmbeddingKey::id() const
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    for (const QString &part : {modelHash, datasetHash, preprocessing}) {
        hash.addData(part.toUtf8());
        hash.addData(QByteArrayView("\n", 1));
    }
    return QString::fromLatin1(hash.result().toHex());
}

EmbeddingCache::EmbeddingCache(QString directory) : directory_(std::move(directory)) {}

QString EmbeddingCache::pathFor(const EmbeddingKey &key) const
{
    return QDir(directory_).filePath(key.id() + QStringLiteral(".emb"));
}

std::optional<CachedEmbeddings> EmbeddingCache::find(const EmbeddingKey &key) const
{
    const QString path = pathFor(key);
    auto file = std::make_shared<QFile>(path);
    if (!file->exists())
        return std::nullopt;
    if (!file->open(QIODevice::ReadOnly))
        throw Error(QStringLiteral("%1: cannot read the embedding cache: %2").arg(path, file->errorString()));
    const QByteArray fixed = file->read(kHeaderFixed);
    if (fixed.size() < kHeaderFixed || !fixed.startsWith(QByteArray(kMagic, sizeof kMagic)))
        throw Error(QStringLiteral("%1: not an embedding cache file of this version").arg(path));
    const quint32 jsonLength = qFromLittleEndian<quint32>(fixed.constData() + 8);
    if (jsonLength > 1 << 20 || kHeaderFixed + qint64(jsonLength) > file->size())
        throw Error(QStringLiteral("%1: damaged embedding cache (header length %2)").arg(path).arg(jsonLength));
    QJsonParseError parseError{};
    const QJsonDocument doc = QJsonDocument::fromJson(file->read(jsonLength), &parseError);
    if (!doc.isObject())
        throw Error(QStringLiteral("%1: damaged embedding cache header: %2").arg(path, parseError.errorString()));
    const QJsonObject h = doc.object();
    if (h.value(QStringLiteral("model_hash")).toString() != key.modelHash || h.value(QStringLiteral("dataset_hash")).toString() != key.datasetHash ||
        h.value(QStringLiteral("preprocessing")).toString() != key.preprocessing)
        throw Error(QStringLiteral("%1: the cache file does not hold the embeddings its name says").arg(path));
    const qint64 rows = qint64(h.value(QStringLiteral("rows")).toDouble(-1));
    const qint64 cols = qint64(h.value(QStringLiteral("cols")).toDouble(-1));
    const bool half = h.value(QStringLiteral("dtype")).toString() == QStringLiteral("float16");
    const qint64 offset = qint64(h.value(QStringLiteral("data_offset")).toDouble(-1));
    const qint64 bytes = rows * cols * (half ? 2 : 4);
    if (rows < 0 || cols < 1 || offset < kHeaderFixed + qint64(jsonLength) || offset % kAlignment != 0 || offset + bytes != file->size())
        throw Error(QStringLiteral("%1: damaged embedding cache (%2 x %3 at %4 in a file of %5 bytes)")
                        .arg(path).arg(rows).arg(cols).arg(offset).arg(file->size()));
    uchar *mapped = file->map(offset, std::max<qint64>(bytes, 1));
    if (!mapped)
        throw Error(QStringLiteral("%1: cannot map the embedding cache: %2").arg(path, file->errorString()));
    // The tensor keeps the mapping (and the file) alive for as long as it lives.
    const torch::Tensor view = torch::from_blob(mapped, {rows, cols}, [file](void *) { file->close(); },
                                                torch::TensorOptions().dtype(half ? torch::kFloat16 : torch::kFloat32));
    CachedEmbeddings out;
    out.features = half ? view.to(torch::kFloat32) : view;
    out.path = path;
    out.createdUtc = QDateTime::fromString(h.value(QStringLiteral("created")).toString(), Qt::ISODate);
    const QJsonObject cost = h.value(QStringLiteral("cost")).toObject();
    out.cost.energyJ = cost.value(QStringLiteral("energy_j")).toDouble();
    out.cost.emissionsG = cost.value(QStringLiteral("emissions_g")).toDouble();
    out.cost.durationS = cost.value(QStringLiteral("duration_s")).toDouble();
    out.cost.runId = qint64(cost.value(QStringLiteral("run_id")).toDouble());
    out.cost.energySource = cost.value(QStringLiteral("energy_source")).toString();
    return out;
}

void EmbeddingCache::store(const EmbeddingKey &key, const torch::Tensor &features, const EmbeddingCost &cost, bool half) const
{
    if (features.dim() != 2)
        throw Error(QStringLiteral("embedding cache: features must be [N, D], got %1 dimensions").arg(features.dim()));
    const QString path = pathFor(key);
    if (!QDir().mkpath(directory_))
        throw Error(QStringLiteral("%1: cannot create the embedding cache folder").arg(directory_));
    const torch::Tensor data = features.detach().to(half ? torch::kFloat16 : torch::kFloat32).contiguous();
    QJsonObject h{{QStringLiteral("model_hash"), key.modelHash},
                  {QStringLiteral("dataset_hash"), key.datasetHash},
                  {QStringLiteral("preprocessing"), key.preprocessing},
                  {QStringLiteral("rows"), double(data.size(0))},
                  {QStringLiteral("cols"), double(data.size(1))},
                  {QStringLiteral("dtype"), half ? QStringLiteral("float16") : QStringLiteral("float32")},
                  {QStringLiteral("created"), QDateTime::currentDateTimeUtc().toString(Qt::ISODate)},
                  {QStringLiteral("cost"), QJsonObject{{QStringLiteral("energy_j"), cost.energyJ},
                                                       {QStringLiteral("emissions_g"), cost.emissionsG},
                                                       {QStringLiteral("duration_s"), cost.durationS},
                                                       {QStringLiteral("run_id"), double(cost.runId)},
                                                       {QStringLiteral("energy_source"), cost.energySource}}}};
    // The offset is written inside the JSON it follows: settle it with the longest it can be.
    h.insert(QStringLiteral("data_offset"), 1e15);
    const qint64 jsonRoom = QJsonDocument(h).toJson(QJsonDocument::Compact).size();
    const qint64 offset = (kHeaderFixed + jsonRoom + kAlignment - 1) / kAlignment * kAlignment;
    h.insert(QStringLiteral("data_offset"), double(offset));
    QByteArray json = QJsonDocument(h).toJson(QJsonDocument::Compact);
    json.append(QByteArray(int(offset - kHeaderFixed - json.size()), ' '));

    QByteArray fixed(kMagic, sizeof kMagic);
    char length[4];
    qToLittleEndian<quint32>(quint32(json.size()), length);
    fixed.append(length, 4);
    AtomicFile file(path, QStringLiteral("the embedding cache"));
    file.write(fixed);
    file.write(json);
    file.write(static_cast<const char *>(data.data_ptr()), data.numel() * qint64(data.element_size()));
    file.commit();
}

} // namespace gw
