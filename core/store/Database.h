#pragma once
#include <QSqlDatabase>
#include <QString>

class QSqlQuery;

namespace gw {

/// One SQLite connection to a workbench store, opened in WAL mode with foreign keys on, its schema
/// brought to the latest version by ordered migrations (PRAGMA user_version holds the version).
/// A connection belongs to the thread that opened it: a worker opens its own Database.
class Database {
public:
    static constexpr int kLatestVersion = 4;

    /// Opens (creating if needed) and migrates to @p targetVersion (default: latest). Throws
    /// gw::Error naming the file when it cannot be opened, is not a workbench store, or is newer
    /// than this program.
    explicit Database(const QString &path, int targetVersion = kLatestVersion);
    ~Database();
    Database(const Database &) = delete;
    Database &operator=(const Database &) = delete;

    QSqlDatabase connection() const { return QSqlDatabase::database(connectionName_, false); }
    QString path() const { return path_; }
    int schemaVersion() const;

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
    void checkIsWorkbenchStore() const;
    void migrate(int targetVersion);
    QString connectionName_;
    QString path_;
};

} // namespace gw
