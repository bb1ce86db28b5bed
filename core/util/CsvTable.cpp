#include "util/CsvTable.h"

#include "Error.h"

#include <QFile>
#include <cmath>
#include <limits>

namespace gw {

namespace {
QStringList splitCsvLine(const QString &line)
{
    QStringList fields;
    QString field;
    bool quoted = false;
    for (int i = 0; i < line.size(); ++i) {
        const QChar c = line.at(i);
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < line.size() && line.at(i + 1) == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            fields << field;
            field.clear();
        } else {
            field += c;
        }
    }
    fields << field;
    return fields;
}
} // namespace

CsvTable CsvTable::parse(const QByteArray &text, const QString &origin, const QStringList &requiredColumns)
{
    CsvTable table;
    const QStringList lines = QString::fromUtf8(text).split(QLatin1Char('\n'));
    for (int i = 0; i < lines.size(); ++i) {
        const QString line = lines[i].trimmed();
        if (line.isEmpty())
            continue;
        if (line.startsWith(QLatin1Char('#'))) {
            if (table.source.isEmpty() && line.startsWith(QStringLiteral("# source:")))
                table.source = line.mid(9).trimmed();
            continue;
        }
        if (table.header.isEmpty()) {
            table.header = splitCsvLine(line);
            continue;
        }
        QStringList fields = splitCsvLine(line);
        if (fields.size() != table.header.size())
            throw Error(QStringLiteral("%1:%2: %3 fields, the header has %4").arg(origin).arg(i + 1).arg(fields.size()).arg(table.header.size()));
        table.rows.push_back(fields);
        table.lineNumbers.push_back(i + 1);
    }
    for (const QString &name : requiredColumns) {
        if (table.column(name) < 0)
            throw Error(QStringLiteral("%1: no column '%2' in the header").arg(origin, name));
    }
    return table;
}

QString csvField(const QString &value)
{
    if (!value.contains(QLatin1Char(',')) && !value.contains(QLatin1Char('"')) && !value.contains(QLatin1Char('\n'))
        && !value.contains(QLatin1Char('\r')))
        return value;
    QString escaped = value;
    escaped.replace(QLatin1String("\""), QLatin1String("\"\""));
    return QLatin1Char('"') + escaped + QLatin1Char('"');
}


QString CsvTable::text(std::size_t row, const QString &name) const
{
    return rows[row].value(column(name)).trimmed();
}

double CsvTable::number(std::size_t row, const QString &name, const QString &origin, double min, double max) const
{
    const QString where = QStringLiteral("%1:%2").arg(origin).arg(lineNumbers[row]);
    bool ok = false;
    const QString field = text(row, name);
    const double v = field.toDouble(&ok);
    if (!ok || !std::isfinite(v))
        throw Error::in(where, QStringLiteral("%1 '%2' is not a number").arg(name, field));
    if (v < min || v > max) {
        if (max < std::numeric_limits<double>::max())
            throw Error::in(where, QStringLiteral("%1 must be between %2 and %3 (got %4)").arg(name).arg(min).arg(max).arg(v));
        throw Error::in(where, min == 0 ? QStringLiteral("%1 must not be negative (got %2)").arg(name).arg(v)
                                        : QStringLiteral("%1 must be at least %2 (got %3)").arg(name).arg(min).arg(v));
    }
    return v;
}

} // namespace gw
