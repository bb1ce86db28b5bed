#include "CommandArguments.h"

#include "Error.h"
#include "config/RunParameters.h"

#include <cmath>

namespace gw {

CommandArguments::CommandArguments(QString command, std::vector<Option> options, int maxPositional)
    : command_(std::move(command)), options_(std::move(options)), maxPositional_(maxPositional)
{
    options_.push_back({QStringLiteral("--help"), QString()});
}

CommandArguments &CommandArguments::acceptingRunParameters()
{
    runParameters_ = true;
    options_.push_back({QStringLiteral("--set"), QStringLiteral("KEY=VALUE")});
    return *this;
}

const CommandArguments::Option *CommandArguments::find(const QString &name) const
{
    for (const Option &o : options_)
        if (o.name == name)
            return &o;
    return nullptr;
}

QString CommandArguments::context() const
{
    return QStringLiteral(" (see green-workbench %1 --help)").arg(command_);
}

CommandArguments &CommandArguments::parse(const QStringList &arguments)
{
    for (int i = 0; i < arguments.size(); ++i) {
        QString name = arguments[i] == QStringLiteral("-h") ? QStringLiteral("--help") : arguments[i];
        if (!name.startsWith(QStringLiteral("--"))) {
            if (positional_.size() >= maxPositional_)
                throw Error(maxPositional_ == 0 ? QStringLiteral("%1 takes no positional arguments, got '%2'").arg(command_, name)
                                                : QStringLiteral("%1 takes %2 positional argument(s), got '%3' as well").arg(command_).arg(maxPositional_).arg(name));
            positional_ << name;
            continue;
        }
        std::optional<QString> inlineValue;
        if (const int equals = name.indexOf(QLatin1Char('=')); equals > 0) {
            inlineValue = name.mid(equals + 1);
            name = name.left(equals);
        }
        const Option *option = find(name);
        const bool runParameter = !option && runParameters_ && RunParameters::acceptsOption(name.mid(2));
        if (!option && !runParameter)
            throw Error(QStringLiteral("unknown option %1%2").arg(name, context()));
        const bool takesValue = runParameter || !option->valueName.isEmpty();
        if (!takesValue && inlineValue)
            throw Error(QStringLiteral("%1 takes no value%2").arg(name, context()));
        QString value;
        if (takesValue) {
            if (inlineValue)
                value = *inlineValue;
            else if (i + 1 < arguments.size())
                value = arguments[++i];
            else
                throw Error(QStringLiteral("%1 needs a value (%2)%3").arg(name, runParameter ? QStringLiteral("VALUE") : option->valueName, context()));
        }
        if (runParameter) {
            assignments_ << qMakePair(name.mid(2), value);
        } else if (name == QStringLiteral("--set")) {
            if (!value.contains(QLatin1Char('=')))
                throw Error(QStringLiteral("--set needs KEY=VALUE, got '%1'%2").arg(value, context()));
            assignments_ << qMakePair(value.section(QLatin1Char('='), 0, 0), value.section(QLatin1Char('='), 1));
        } else {
            if (values_.contains(name) && takesValue)
                throw Error(QStringLiteral("%1 given twice ('%2' and '%3')%4").arg(name, values_.value(name), value, context()));
            values_.insert(name, value);
        }
    }
    return *this;
}

double CommandArguments::number(const QString &name, double fallback, double minimum, double maximum) const
{
    if (!has(name))
        return fallback;
    bool ok = false;
    const double v = value(name).toDouble(&ok);
    if (!ok || !std::isfinite(v) || v < minimum || v > maximum)
        throw Error(QStringLiteral("%1: '%2' is not a number from %3 to %4").arg(name, value(name)).arg(minimum).arg(maximum));
    return v;
}

qint64 CommandArguments::integer(const QString &name, qint64 fallback, qint64 minimum) const
{
    if (!has(name))
        return fallback;
    bool ok = false;
    const qint64 v = value(name).toLongLong(&ok);
    if (!ok || v < minimum)
        throw Error(QStringLiteral("%1: '%2' is not a whole number >= %3").arg(name, value(name)).arg(minimum));
    return v;
}

QStringList CommandArguments::reassemble(const QStringList &names) const
{
    QStringList out;
    for (const QString &name : names) {
        if (!has(name))
            continue;
        out << name;
        if (const Option *option = find(name); option && !option->valueName.isEmpty())
            out << value(name);
    }
    return out;
}

} // namespace gw
