#include "activelearning/LabelTransfer.h"

#include "Error.h"
#include "util/CsvTable.h"
#include "util/Files.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace gw {

namespace {

const QString kFormat = QStringLiteral("green-workbench-labels");
const QStringList kColumns = {QStringLiteral("sample_key"), QStringLiteral("sample_index"), QStringLiteral("label"), QStringLiteral("class_name"),
                              QStringLiteral("annotator"),  QStringLiteral("created_at"),   QStringLiteral("round")};

QString timeText(const LabelRecord &label)
{
    return label.createdAt.toUTC().toString(Qt::ISODateWithMs);
}

int parseLabel(const QString &text, const QString &where)
{
    bool ok = false;
    const int label = text.trimmed().toInt(&ok);
    if (!ok || label < 0 || label > 254)
        throw Error(QStringLiteral("%1: label '%2' is not a class index between 0 and 254").arg(where, text));
    return label;
}

std::vector<LabelRecord> readJson(const QByteArray &bytes, const QString &path)
{
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(bytes, &error);
    if (error.error != QJsonParseError::NoError)
        throw Error(QStringLiteral("%1: malformed JSON at byte %2: %3").arg(path).arg(error.offset).arg(error.errorString()));
    const QJsonObject root = document.object();
    if (root.value(QStringLiteral("format")).toString() != kFormat || !root.value(QStringLiteral("labels")).isArray())
        throw Error(QStringLiteral("%1: not a label file of the workbench (no \"format\": \"%2\" with a \"labels\" array)").arg(path, kFormat));
    std::vector<LabelRecord> out;
    const QJsonArray labels = root.value(QStringLiteral("labels")).toArray();
    for (int i = 0; i < labels.size(); ++i) {
        const QJsonObject entry = labels.at(i).toObject();
        const QString where = QStringLiteral("%1: labels[%2]").arg(path).arg(i);
        LabelRecord r;
        r.sampleKey = entry.value(QStringLiteral("sample_key")).toString();
        if (r.sampleKey.isEmpty())
            throw Error(QStringLiteral("%1: no sample_key").arg(where));
        const QJsonValue label = entry.value(QStringLiteral("label"));
        if (!label.isDouble())
            throw Error(QStringLiteral("%1: label must be a class index").arg(where));
        r.label = parseLabel(QString::number(label.toDouble()), where);
        r.sampleIndex = entry.value(QStringLiteral("sample_index")).toInteger(-1);
        r.annotator = entry.value(QStringLiteral("annotator")).toString();
        r.createdAt = QDateTime::fromString(entry.value(QStringLiteral("created_at")).toString(), Qt::ISODateWithMs);
        r.round = entry.value(QStringLiteral("round")).toInt();
        out.push_back(r);
    }
    return out;
}

std::vector<LabelRecord> readCsv(const QByteArray &bytes, const QString &path)
{
    const CsvTable table = CsvTable::parse(bytes, path, {QStringLiteral("sample_key"), QStringLiteral("label")});
    const auto field = [&table](const QStringList &row, const QString &column) {
        const int i = table.column(column);
        return i >= 0 && i < row.size() ? row.at(i) : QString();
    };
    std::vector<LabelRecord> out;
    for (std::size_t i = 0; i < table.rows.size(); ++i) {
        const QStringList &row = table.rows[i];
        const QString where = QStringLiteral("%1: line %2").arg(path).arg(table.lineNumbers[i]);
        LabelRecord r;
        r.sampleKey = field(row, QStringLiteral("sample_key"));
        if (r.sampleKey.isEmpty())
            throw Error(QStringLiteral("%1: empty sample_key").arg(where));
        r.label = parseLabel(field(row, QStringLiteral("label")), where);
        bool ok = false;
        r.sampleIndex = field(row, QStringLiteral("sample_index")).toLongLong(&ok);
        if (!ok)
            r.sampleIndex = -1;
        r.annotator = field(row, QStringLiteral("annotator"));
        r.createdAt = QDateTime::fromString(field(row, QStringLiteral("created_at")), Qt::ISODateWithMs);
        r.round = field(row, QStringLiteral("round")).toInt();
        out.push_back(r);
    }
    return out;
}

} // namespace

QByteArray LabelTransfer::write(const std::vector<LabelRecord> &labels, const QMap<int, QString> &classNames, const QString &format)
{
    if (format == QStringLiteral("json")) {
        QJsonArray entries;
        for (const LabelRecord &l : labels)
            entries.push_back(QJsonObject{{QStringLiteral("sample_key"), l.sampleKey},
                                          {QStringLiteral("sample_index"), l.sampleIndex},
                                          {QStringLiteral("label"), l.label},
                                          {QStringLiteral("class_name"), classNames.value(l.label)},
                                          {QStringLiteral("annotator"), l.annotator},
                                          {QStringLiteral("created_at"), timeText(l)},
                                          {QStringLiteral("round"), l.round}});
        return QJsonDocument(QJsonObject{{QStringLiteral("format"), kFormat}, {QStringLiteral("version"), 1}, {QStringLiteral("labels"), entries}})
            .toJson(QJsonDocument::Indented);
    }
    if (format != QStringLiteral("csv"))
        throw Error(QStringLiteral("unknown label file format '%1' (csv or json)").arg(format));
    QByteArray out = kColumns.join(QLatin1Char(',')).toUtf8() + '\n';
    for (const LabelRecord &l : labels) {
        const QStringList fields = {csvField(l.sampleKey), QString::number(l.sampleIndex), QString::number(l.label), csvField(classNames.value(l.label)),
                                    csvField(l.annotator), timeText(l),                    QString::number(l.round)};
        out += fields.join(QLatin1Char(',')).toUtf8() + '\n';
    }
    return out;
}

std::vector<LabelRecord> LabelTransfer::read(const QString &path)
{
    const QByteArray bytes = readWholeFile(path);
    std::vector<LabelRecord> labels = path.endsWith(QStringLiteral(".json"), Qt::CaseInsensitive) ? readJson(bytes, path) : readCsv(bytes, path);
    // Every stored label names who gave it; a file without annotators still says where they came from.
    for (LabelRecord &label : labels)
        if (label.annotator.trimmed().isEmpty())
            label.annotator = QStringLiteral("unknown (imported from %1)").arg(QFileInfo(path).fileName());
    return labels;
}

} // namespace gw
