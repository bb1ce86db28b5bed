#pragma once
#include <QString>
#include <stdexcept>

namespace gw {

/// The one exception type of the engine. Its message is meant for a person: it names the file or
/// key at fault and what is wrong with it, so callers can show it as it is.
class Error : public std::runtime_error {
public:
    explicit Error(const QString &message) : std::runtime_error(message.toStdString()) {}
    /// "<origin>: <what>", origin being the file, option or form at fault.
    static Error in(const QString &origin, const QString &what) { return Error(origin + QStringLiteral(": ") + what); }
    QString message() const { return QString::fromStdString(what()); }
};

} // namespace gw
