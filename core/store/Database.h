#pragma once
#include <QSqlDatabase>
#include <QString>

#include "Error.h"

class QSqlError;
class QSqlQuery;

namespace gw {

/// Another writer held the store longer than Database::kBusyTimeoutMs: the operation may be
/// retried later.
class StoreBusy : public Error {
public:
    using Error::Error;
};

/// One SQLite connection to a workbench store, opened in WAL mode with foreign keys on, its schema
/// brought to the latest version by ordered migrations (PRAGMA user_version holds the version).
/// Opening a store at the latest version also marks runs whose process is gone as interrupted
/// (OrphanedRuns).
/// A connection belongs to the thread that opened it: a worker opens its own Database.
class Database {
public:
    static constexpr int kLatestVersion = 7;
    /// How long a statement waits for another writer (another process, or a run's thread) before
    /// it fails with StoreBusy.
    static constexpr int kBusyTimeoutMs = 30000;

    /// Opens (creating if needed) and migrates to @p targetVersion (default: latest). Throws
    /// gw::Error naming the file when it cannot be opened, is not a workbench store, or is newer
    /// than this program.
    /// ReadOnly opens an existing store without writing anything to it (no migration, no marking
    /// of orphaned runs); Automatic does so only when the store or its folder cannot be written,
    /// so listing and exporting work on a store in a read-only place.
    enum class Access { Automatic, ReadOnly };
    explicit Database(const QString &path, int targetVersion = kLatestVersion, Access access = Access::Automatic);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    QSqlDatabase connection() const { return QSqlDatabase::database(connectionName_, false); }
    QString path() const { return path_; }
    /// The folder beside a store where its caches and artifacts live ("runs.sqlite" -> "runs.cache").
    static QString cacheDirectoryOf(const QString &storePath);
    int schemaVersion() const;
    bool isReadOnly() const { return readOnly_; }

    /// Runs a prepared query; throws gw::Error with the store's path and SQLite's message.
    void exec(QSqlQuery &query, const char *what) const;
    void exec(const QString &sql, const char *what) const;

    /// Commits on destruction only if commit() was called; otherwise rolls back.
    class Transaction {
    public:
        explicit Transaction(const Database &db);
        ~Transaction();
        void commit();

    private:
        const Database &db_;
        bool done_ = false;
    };

private:
    [[noreturn]] void fail(const QSqlError &error, const char *what) const;
    void checkIsWorkbenchStore() const;
    void migrate(int targetVersion);
    QString connectionName_;
    QString path_;
    bool readOnly_ = false;
};

} // namespace gw
