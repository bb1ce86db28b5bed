#pragma once
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace gw {

/// The one parser of the headless commands. Each command declares its options once: flags, and
/// options with a value ("--db FILE" and "--db=FILE" alike); how many positional arguments it
/// takes; and, for `run`, whether run parameters are accepted (--KEY=VALUE, --KEY VALUE and
/// --set KEY=VALUE, kept in the order given). --help and -h are always flags. An unknown option,
/// a missing value, a repeated option or a stray argument is a gw::Error that names the option and
/// points at the command's --help.
class CommandArguments {
public:
    struct Option {
        QString name;      ///< "--db"
        QString valueName; ///< "FILE" for an option with a value; empty for a flag
    };

    CommandArguments(QString command, std::vector<Option> options, int maxPositional = 0);
    /// Accepts run-parameter assignments (RunParameters::acceptsOption decides which keys).
    CommandArguments &acceptingRunParameters();
    /// Parses @p arguments (those after the command's word); throws gw::Error.
    CommandArguments &parse(const QStringList &arguments);

    bool has(const QString &name) const { return values_.contains(name); }
    bool wantsHelp() const { return has(QStringLiteral("--help")); }
    QString value(const QString &name, const QString &fallback = QString()) const { return values_.value(name, fallback); }
    /// The value of @p name as a number in [@p minimum, @p maximum] (@p fallback when absent).
    double number(const QString &name, double fallback, double minimum, double maximum) const;
    /// The value of @p name as a whole number >= @p minimum (@p fallback when absent).
    qint64 integer(const QString &name, qint64 fallback, qint64 minimum) const;
    const QStringList &positional() const { return positional_; }
    /// Run-parameter assignments (key, value), in the order given.
    const QList<QPair<QString, QString>> &assignments() const { return assignments_; }
    /// The arguments given for @p names, as they would be written again ("--db", "FILE"), for a
    /// command that hands some of its options on to another.
    QStringList reassemble(const QStringList &names) const;

private:
    const Option *find(const QString &name) const;
    QString context() const;

    QString command_;
    std::vector<Option> options_;
    int maxPositional_;
    bool runParameters_ = false;
    QMap<QString, QString> values_;
    QStringList positional_;
    QList<QPair<QString, QString>> assignments_;
};

} // namespace gw
