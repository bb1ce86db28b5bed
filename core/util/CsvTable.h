#pragma once
#include <QByteArray>
#include <QString>
#include <QStringList>
#include <vector>


namespace gw {

/// A small CSV reader for the bundled reference tables: '#' lines are comments (the first one that
/// starts with "# source:" is kept as the table's source), the first other line is the header,
/// fields may be double-quoted (with "" as an escaped quote).
struct CsvTable {
    QStringList header;
    std::vector<QStringList> rows;
    std::vector<int> lineNumbers; ///< 1-based line of each row, for error messages
    QString source;

    /// Throws gw::Error naming @p origin when a column in @p requiredColumns is missing.
    static CsvTable parse(const QByteArray &text, const QString &origin, const QStringList &requiredColumns);
    int column(const QString &name) const { return header.indexOf(name); }
    /// Row @p row's field in @p column, trimmed ("" when the row is short or the column absent).
    QString text(std::size_t row, const QString &column) const;
    /// Row @p row's field in @p column as a number within [@p min, @p max]; throws gw::Error naming
    /// "<origin>:<line>", the column and the value otherwise.
    double number(std::size_t row, const QString &column, const QString &origin, double min, double max) const;
};

/// @p value as one CSV field: quoted (with "" for a quote) only when it holds a comma, a quote or a
/// line break.
QString csvField(const QString &value);


} // namespace gw
