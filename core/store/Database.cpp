#include "store/Database.h"

#include "Error.h"
#include "store/OrphanedRuns.h"

#include <QAtomicInteger>
#include <QFile>
#include <QDir>
#include <QFileInfo>
#include <QThread>
#include <QUrl>
#include <QSqlError>
#include <QSqlQuery>
#include <QStringList>

#include <unistd.h>

namespace gw {

namespace {

// Migration N takes a store from version N-1 to N. Never edit a released migration: add one.
const QStringList &migrationScript(int version)
{
    static const QStringList v1 = {
        QStringLiteral("CREATE TABLE projects (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL)"),
        QStringLiteral("CREATE TABLE runs (id INTEGER PRIMARY KEY, project_id INTEGER NOT NULL REFERENCES projects(id),"
                       " name TEXT NOT NULL, status TEXT NOT NULL, params_json TEXT NOT NULL,"
                       " started_at TEXT NOT NULL, ended_at TEXT, accuracy REAL)"),
        QStringLiteral("CREATE TABLE metrics (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " step INTEGER NOT NULL, name TEXT NOT NULL, value REAL NOT NULL)"),
        QStringLiteral("CREATE INDEX metrics_by_run ON metrics(run_id, name, step)"),
    };
    // Version 2: energy accounting and the hardware a run ran on.
    static const QStringList v2 = {
        QStringLiteral("ALTER TABLE runs ADD COLUMN hardware_json TEXT NOT NULL DEFAULT '{}'"),
        QStringLiteral("ALTER TABLE runs ADD COLUMN labels_used INTEGER NOT NULL DEFAULT 0"),
        QStringLiteral("ALTER TABLE runs ADD COLUMN duration_s REAL"),
        QStringLiteral("ALTER TABLE runs ADD COLUMN error TEXT"),
        QStringLiteral("CREATE TABLE power_samples (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " elapsed_s REAL NOT NULL, interval_s REAL NOT NULL, cpu_power_w REAL NOT NULL, ram_power_w REAL NOT NULL,"
                       " total_power_w REAL NOT NULL, energy_j REAL NOT NULL, source TEXT NOT NULL CHECK (source IN ('measured','estimated')))"),
        QStringLiteral("CREATE INDEX power_samples_by_run ON power_samples(run_id, elapsed_s)"),
        QStringLiteral("CREATE TABLE energy_totals (run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
                       " energy_kwh REAL NOT NULL, emissions_g REAL NOT NULL,"
                       " energy_source TEXT NOT NULL CHECK (energy_source IN ('measured','estimated')),"
                       " intensity_g_per_kwh REAL NOT NULL, intensity_origin TEXT NOT NULL, pue REAL NOT NULL,"
                       " sample_hz REAL NOT NULL, power_model TEXT NOT NULL)"),
    };
    // Version 3: per-component energy and its provenance, energy windows and the per-phase split,
    // intensity per sample, predictions and budgets.
    static const QStringList v3 = {
        QStringLiteral("ALTER TABLE power_samples ADD COLUMN gpu_power_w REAL NOT NULL DEFAULT 0"),
        QStringLiteral("ALTER TABLE power_samples ADD COLUMN intensity_g_per_kwh REAL"),
        QStringLiteral("ALTER TABLE power_samples ADD COLUMN emissions_g REAL"),
        QStringLiteral("ALTER TABLE power_samples ADD COLUMN phase TEXT NOT NULL DEFAULT 'idle'"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN cpu_energy_kwh REAL"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN gpu_energy_kwh REAL"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN ram_energy_kwh REAL"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN cpu_source TEXT NOT NULL DEFAULT ''"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN gpu_source TEXT NOT NULL DEFAULT ''"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN ram_source TEXT NOT NULL DEFAULT ''"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN predicted_energy_kwh REAL"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN predicted_duration_s REAL"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN predicted_emissions_g REAL"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN budget_wh REAL"),
        QStringLiteral("ALTER TABLE energy_totals ADD COLUMN budget_g REAL"),
        QStringLiteral("CREATE TABLE energy_windows (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " phase TEXT NOT NULL, depth INTEGER NOT NULL, start_s REAL NOT NULL, end_s REAL NOT NULL,"
                       " energy_j REAL NOT NULL, own_energy_j REAL NOT NULL)"),
        QStringLiteral("CREATE INDEX energy_windows_by_run ON energy_windows(run_id, start_s)"),
        QStringLiteral("CREATE TABLE energy_phases (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " phase TEXT NOT NULL, energy_j REAL NOT NULL, duration_s REAL NOT NULL, PRIMARY KEY (run_id, phase))"),
    };
    // Version 4: active learning: every label given (append-only; an undo marks, never deletes),
    // each round's queried batch and its metrics and energy per phase, class names a person edited.
    static const QStringList v4 = {
        QStringLiteral("CREATE TABLE labels (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " sample_index INTEGER NOT NULL, sample_key TEXT NOT NULL, label INTEGER NOT NULL, annotator TEXT NOT NULL,"
                       " round INTEGER NOT NULL, created_at TEXT NOT NULL,"
                       " origin TEXT NOT NULL CHECK (origin IN ('oracle','imported','resumed')),"
                       " undone INTEGER NOT NULL DEFAULT 0, undone_at TEXT)"),
        QStringLiteral("CREATE INDEX labels_by_run ON labels(run_id, sample_index)"),
        QStringLiteral("CREATE TABLE al_queries (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " round INTEGER NOT NULL, position INTEGER NOT NULL, sample_index INTEGER NOT NULL, sample_key TEXT NOT NULL,"
                       " predicted INTEGER, confidence REAL, skipped INTEGER NOT NULL DEFAULT 0,"
                       " PRIMARY KEY (run_id, round, sample_index))"),
        QStringLiteral("CREATE TABLE al_rounds (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " round INTEGER NOT NULL, labels INTEGER NOT NULL, test_accuracy REAL, val_accuracy REAL, kappa REAL,"
                       " train_energy_j REAL NOT NULL DEFAULT 0, eval_energy_j REAL NOT NULL DEFAULT 0,"
                       " query_energy_j REAL NOT NULL DEFAULT 0, label_wait_energy_j REAL NOT NULL DEFAULT 0,"
                       " emissions_g REAL NOT NULL DEFAULT 0, query_s REAL NOT NULL DEFAULT 0, label_wait_s REAL NOT NULL DEFAULT 0,"
                       " PRIMARY KEY (run_id, round))"),
        QStringLiteral("CREATE TABLE class_names (run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " class_index INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY (run_id, class_index))"),
    };
    // Version 5: the process that runs a run (pid, its start time and boot, host), so a run whose
    // process died is found and marked interrupted instead of staying "running" for ever.
    static const QStringList v5 = {
        QStringLiteral("ALTER TABLE runs ADD COLUMN process_host TEXT"),
        QStringLiteral("ALTER TABLE runs ADD COLUMN process_id INTEGER"),
        QStringLiteral("ALTER TABLE runs ADD COLUMN process_start TEXT"),
    };
    // Version 6: figures per scope (a compressed variant, a federated client; '' for the run as a
    // whole) and the models runs leave, kept as files in the store's cache with their hash.
    static const QStringList v6 = {
        QStringLiteral("ALTER TABLE metrics ADD COLUMN scope TEXT NOT NULL DEFAULT ''"),
        QStringLiteral("ALTER TABLE energy_windows ADD COLUMN scope TEXT NOT NULL DEFAULT ''"),
        QStringLiteral("CREATE TABLE artifacts (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
                       " role TEXT NOT NULL, format TEXT NOT NULL, path TEXT NOT NULL, bytes INTEGER NOT NULL, sha256 TEXT NOT NULL,"
                       " parameters INTEGER NOT NULL, created_at TEXT NOT NULL, UNIQUE (run_id, role, format))"),
    };
    // Version 7: what a person writes on a run: tags (comma-separated) and notes.
    static const QStringList v7 = {
        QStringLiteral("ALTER TABLE runs ADD COLUMN tags TEXT NOT NULL DEFAULT ''"),
        QStringLiteral("ALTER TABLE runs ADD COLUMN notes TEXT NOT NULL DEFAULT ''"),
    };
    static const QStringList none;
    switch (version) {
    case 1: return v1;
    case 2: return v2;
    case 3: return v3;
    case 4: return v4;
    case 5: return v5;
    case 6: return v6;
    case 7: return v7;
    default: return none;
    }
}

/// Whether this process can change the store at @p path: the file (when it exists) and its folder
/// (where SQLite keeps the -wal and -shm files) are writable.
bool canWrite(const QString &path)
{
    const QFileInfo file(path);
    const QByteArray folder = QFile::encodeName(file.absolutePath());
    if (::access(folder.constData(), W_OK) != 0)
        return false;
    return !file.exists() || ::access(QFile::encodeName(file.absoluteFilePath()).constData(), W_OK) == 0;
}

QString uniqueConnectionName()
{
    static QAtomicInteger<quint64> counter;
    return QStringLiteral("gw-store-%1").arg(counter.fetchAndAddRelaxed(1));
}

} // namespace

Database::Database(const QString &path, int targetVersion, Access access)
    : connectionName_(uniqueConnectionName()), path_(path), readOnly_(access == Access::ReadOnly || !canWrite(path))
{
    if (targetVersion < 1 || targetVersion > kLatestVersion)
        throw Error(QStringLiteral("%1: cannot migrate to unknown schema version %2").arg(path).arg(targetVersion));
    if (readOnly_ && !QFileInfo(path).isFile())
        throw Error(QStringLiteral("%1: cannot create the store: its folder cannot be written").arg(path));
    {
        QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connectionName_);
        // Readers (the GUI), the writer (a run's thread) and other processes work side by side:
        // wait out another writer rather than fail.
        QString options = QStringLiteral("QSQLITE_BUSY_TIMEOUT=%1").arg(kBusyTimeoutMs);
        if (readOnly_) {
            // A WAL store in a folder we cannot write has no -shm file to coordinate through:
            // SQLite reads it only as immutable (nobody here can change it anyway).
            QUrl uri = QUrl::fromLocalFile(QFileInfo(path).absoluteFilePath());
            uri.setScheme(QStringLiteral("file"));
            db.setDatabaseName(uri.toString(QUrl::FullyEncoded) + QStringLiteral("?mode=ro&immutable=1"));
            options += QStringLiteral(";QSQLITE_OPEN_READONLY;QSQLITE_OPEN_URI");
        } else {
            db.setDatabaseName(path);
        }
        db.setConnectOptions(options);
        if (!db.open()) {
            const QString reason = db.lastError().text();
            db = QSqlDatabase();
            QSqlDatabase::removeDatabase(connectionName_);
            throw Error(QStringLiteral("%1: cannot open the store: %2").arg(path, reason));
        }
    }
    try {
        // Identify the file before anything writes to it: switching a foreign database to WAL
        // would already change its header.
        checkIsWorkbenchStore();
        if (!readOnly_) {
            // Switching to WAL needs the file to itself, and SQLite answers "busy" at once (no busy
            // handler) while another process opening a new store holds it: try again for a while.
            for (int waitedMs = 0;; waitedMs += 20) {
                try {
                    exec(QStringLiteral("PRAGMA journal_mode=WAL"), "enable write-ahead logging");
                    break;
                } catch (const StoreBusy &) {
                    if (waitedMs >= kBusyTimeoutMs)
                        throw;
                    QThread::msleep(20);
                }
            }
            exec(QStringLiteral("PRAGMA foreign_keys=ON"), "enable foreign keys");
            exec(QStringLiteral("PRAGMA synchronous=NORMAL"), "set synchronous mode");
            migrate(targetVersion);
            if (targetVersion == kLatestVersion)
                OrphanedRuns::markInterrupted(*this);
        }
    } catch (...) {
        connection().close();
        QSqlDatabase::removeDatabase(connectionName_);
        throw;
    }
}

Database::~Database()
{
    {
        QSqlDatabase db = connection();
        if (db.isValid())
            db.close();
    }
    QSqlDatabase::removeDatabase(connectionName_);
}

int Database::schemaVersion() const
{
    QSqlQuery query(connection());
    query.prepare(QStringLiteral("PRAGMA user_version"));
    exec(query, "read the schema version");
    return query.next() ? query.value(0).toInt() : 0;
}

void Database::fail(const QSqlError &error, const char *what) const
{
    // SQLITE_BUSY (5) and SQLITE_LOCKED (6): another writer held the store past the busy timeout.
    const QString code = error.nativeErrorCode();
    if (code == QStringLiteral("5") || code == QStringLiteral("6"))
        throw StoreBusy(QStringLiteral("%1: cannot %2: another process kept the store locked for more than %3 s (%4)")
                            .arg(path_, QString::fromLatin1(what))
                            .arg(kBusyTimeoutMs / 1000)
                            .arg(error.text()));
    throw Error(QStringLiteral("%1: cannot %2: %3%4")
                    .arg(path_, QString::fromLatin1(what), error.text(),
                         readOnly_ ? QStringLiteral(" (the store was opened read-only: it or its folder cannot be written)") : QString()));
}

void Database::exec(QSqlQuery &query, const char *what) const
{
    if (!query.exec())
        fail(query.lastError(), what);
}

void Database::exec(const QString &sql, const char *what) const
{
    QSqlQuery query(connection());
    if (!query.exec(sql))
        fail(query.lastError(), what);
}

void Database::checkIsWorkbenchStore() const
{
    // The version and the tables are read in one transaction: another process creating the store
    // at this moment must not be seen half-way (tables already there, version not yet).
    exec(QStringLiteral("BEGIN"), "inspect the store");
    int current = 0;
    int tableCount = 0;
    try {
        current = schemaVersion();
        QSqlQuery tables(connection());
        tables.prepare(QStringLiteral("SELECT count(*) FROM sqlite_master WHERE type='table'"));
        exec(tables, "inspect the store");
        tableCount = tables.next() ? tables.value(0).toInt() : 0;
        tables.finish();
        exec(QStringLiteral("COMMIT"), "inspect the store");
    } catch (...) {
        QSqlQuery(connection()).exec(QStringLiteral("ROLLBACK"));
        throw;
    }
    if (current > kLatestVersion)
        throw Error(QStringLiteral("%1: store schema version %2 is newer than this program understands (%3); update the workbench")
                        .arg(path_).arg(current).arg(kLatestVersion));
    // A file with tables but no version is someone else's database: leave it alone.
    if (current == 0 && tableCount > 0)
        throw Error(QStringLiteral("%1: is an SQLite database but not a workbench store (no schema version)").arg(path_));
}

void Database::migrate(int targetVersion)
{
    if (schemaVersion() >= targetVersion)
        return;
    // Several processes may open a new store at once: the write lock is taken before the version
    // is read again, so exactly one of them migrates and the others find the work done.
    exec(QStringLiteral("BEGIN IMMEDIATE"), "lock the store to migrate its schema");
    try {
        for (int version = schemaVersion() + 1; version <= targetVersion; ++version) {
            for (const QString &statement : migrationScript(version))
                exec(statement, "migrate the schema");
            exec(QStringLiteral("PRAGMA user_version=%1").arg(version), "record the schema version");
        }
        exec(QStringLiteral("COMMIT"), "commit the schema migration");
    } catch (...) {
        QSqlQuery(connection()).exec(QStringLiteral("ROLLBACK"));
        throw;
    }
}

Database::Transaction::Transaction(const Database &db) : db_(db)
{
    if (!db_.connection().transaction())
        db_.fail(db_.connection().lastError(), "begin a transaction");
}

Database::Transaction::~Transaction()
{
    if (!done_)
        db_.connection().rollback();
}

void Database::Transaction::commit()
{
    if (!db_.connection().commit())
        db_.fail(db_.connection().lastError(), "commit");
    done_ = true;
}

QString Database::cacheDirectoryOf(const QString &storePath)
{
    const QFileInfo store(storePath);
    return store.absoluteDir().filePath(store.completeBaseName() + QStringLiteral(".cache"));
}

} // namespace gw
