#pragma once
#include <QByteArray>
#include <QString>

namespace gw {

/// The one way the program writes a file: into a temporary file beside the target, every write
/// and the sync checked, then renamed over the target, so the target is replaced whole or not at
/// all (a full disk leaves the old file as it was). A target that exists and is not a regular file
/// (a device such as /dev/null, a FIFO, a folder) is refused before anything is written; a
/// symbolic link is followed to the file it names. The temporary file is removed unless commit()
/// succeeded. Errors are gw::Error naming the target and what the system said.
class AtomicFile {
public:
    /// @p what names the content in messages ("the model card"); opens the temporary file.
    explicit AtomicFile(const QString &path, const QString &what = QString());
    ~AtomicFile();
    AtomicFile(const AtomicFile &) = delete;
    AtomicFile &operator=(const AtomicFile &) = delete;

    void write(const char *data, qint64 size);
    void write(const QByteArray &bytes) { write(bytes.constData(), bytes.size()); }
    /// Syncs the data, renames the temporary file over the target and syncs the folder.
    void commit();

    /// Writes @p bytes as the whole content of @p path.
    static void writeWhole(const QString &path, const QByteArray &bytes, const QString &what = QString());
    /// Throws unless @p path is absent or a regular file (or a link to one): the check every
    /// writer makes before it creates anything.
    static void requireWritableTarget(const QString &path, const QString &what = QString());

private:
    [[noreturn]] void fail(const QString &action, int error);

    QString target_; ///< the file renamed over (links resolved)
    QString shownPath_; ///< the path as the caller gave it, for messages
    QString what_;
    QByteArray temporary_;
    int fd_ = -1;
};

/// Files the program reads whole are capped: no config, table or label file is near this.
constexpr qint64 kDefaultReadLimitBytes = 64LL * 1024 * 1024;

/// Reads a file embedded in the engine's resources (":/gw/...") or a regular file on disk of at
/// most @p maxBytes; a device, FIFO or folder is refused without reading from it.
QByteArray readWholeFile(const QString &path, qint64 maxBytes = kDefaultReadLimitBytes);

/// Throws gw::Error naming @p path unless it is a regular file (links followed). Readers call it
/// before open(), so a FIFO or /dev/zero given as a data file never blocks or fills memory.
void requireRegularFile(const QString &path);

/// The system's message for errno value @p error ("No space left on device").
QString systemError(int error);

} // namespace gw
