#pragma once
#include <QDateTime>
#include <QVariant>
#include <optional>

namespace gw {

/// How the repositories write times and optional numbers: UTC ISO 8601 with milliseconds, and
/// NULL for a number that is absent (never 0, which would be a value).
inline QString isoNow()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

inline std::optional<double> optionalDouble(const QVariant &value)
{
    if (value.isNull())
        return std::nullopt;
    return value.toDouble();
}

inline QVariant nullable(const std::optional<double> &value)
{
    return value ? QVariant(*value) : QVariant(QMetaType::fromType<double>());
}

/// Text for a NOT NULL column: a null QString (a scope not given) is stored as ''.
inline QString notNull(const QString &text)
{
    return text.isNull() ? QStringLiteral("") : text;
}

} // namespace gw
