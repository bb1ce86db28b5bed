#include "store/ArtifactRepository.h"

#include "Error.h"
#include "store/SqlValues.h"
#include "util/Files.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSqlQuery>

namespace gw {

namespace {

ArtifactRecord readArtifact(const QSqlQuery &q)
{
    ArtifactRecord a;
    a.id = q.value(0).toLongLong();
    a.runId = q.value(1).toLongLong();
    a.role = q.value(2).toString();
    a.format = q.value(3).toString();
    a.path = q.value(4).toString();
    a.bytes = q.value(5).toLongLong();
    a.sha256 = q.value(6).toString();
    a.parameters = q.value(7).toLongLong();
    a.createdAt = QDateTime::fromString(q.value(8).toString(), Qt::ISODateWithMs);
    return a;
}

const QString kColumns = QStringLiteral("id, run_id, role, format, path, bytes, sha256, parameters, created_at");

} // namespace

QString ArtifactRepository::sha256Of(const QString &file)
{
    requireRegularFile(file);
    QFile in(file);
    if (!in.open(QIODevice::ReadOnly))
        throw Error::in(file, QStringLiteral("cannot read the artifact: %1").arg(in.errorString()));
    QCryptographicHash hash(QCryptographicHash::Sha256);
    if (!hash.addData(&in))
        throw Error::in(file, QStringLiteral("cannot read the artifact: %1").arg(in.errorString()));
    return QString::fromLatin1(hash.result().toHex());
}

ArtifactRecord ArtifactRepository::add(qint64 runId, const QString &role, const QString &format, const QString &file, qint64 parameters,
                                       const QString &cacheDirectory) const
{
    ArtifactRecord a;
    a.runId = runId;
    a.role = role;
    a.format = format;
    a.path = QDir(cacheDirectory).relativeFilePath(QFileInfo(file).absoluteFilePath());
    a.bytes = QFileInfo(file).size();
    a.sha256 = sha256Of(file);
    a.parameters = parameters;
    a.createdAt = QDateTime::currentDateTimeUtc();
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("INSERT OR REPLACE INTO artifacts(run_id, role, format, path, bytes, sha256, parameters, created_at)"
                             " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(runId);
    q.addBindValue(role);
    q.addBindValue(format);
    q.addBindValue(a.path);
    q.addBindValue(a.bytes);
    q.addBindValue(a.sha256);
    q.addBindValue(parameters);
    q.addBindValue(a.createdAt.toString(Qt::ISODateWithMs));
    db_.exec(q, "record the artifact");
    a.id = q.lastInsertId().toLongLong();
    return a;
}

QList<ArtifactRecord> ArtifactRepository::list(qint64 runId) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT %1 FROM artifacts%2 ORDER BY run_id, id").arg(kColumns, runId > 0 ? QStringLiteral(" WHERE run_id = ?") : QString()));
    if (runId > 0)
        q.addBindValue(runId);
    db_.exec(q, "list the artifacts");
    QList<ArtifactRecord> out;
    while (q.next())
        out << readArtifact(q);
    return out;
}

std::optional<ArtifactRecord> ArtifactRepository::find(qint64 runId, const QString &role, const QString &format) const
{
    QSqlQuery q(db_.connection());
    q.prepare(QStringLiteral("SELECT %1 FROM artifacts WHERE run_id = ? AND role = ? AND format = ?").arg(kColumns));
    q.addBindValue(runId);
    q.addBindValue(role);
    q.addBindValue(format);
    db_.exec(q, "find the artifact");
    if (!q.next())
        return std::nullopt;
    return readArtifact(q);
}

QString ArtifactRepository::verifiedPath(const ArtifactRecord &artifact, const QString &cacheDirectory)
{
    const QString file = QDir(cacheDirectory).filePath(artifact.path);
    if (!QFileInfo::exists(file))
        throw Error::in(file, QStringLiteral("the %1 artifact of run %2 is missing (moved or deleted since the run)").arg(artifact.format).arg(artifact.runId));
    const QString actual = sha256Of(file);
    if (actual != artifact.sha256)
        throw Error::in(file, QStringLiteral("the %1 artifact of run %2 was altered: its SHA-256 is %3, the store recorded %4")
                                  .arg(artifact.format)
                                  .arg(artifact.runId)
                                  .arg(actual, artifact.sha256));
    return file;
}

} // namespace gw
