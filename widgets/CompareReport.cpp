#include "CompareReport.h"

#include "CompareTableModel.h"
#include "CompareView.h"
#include "PlotExport.h"
#include "QCustomPlotInclude.h"
#include "Error.h"
#include "util/Files.h"

#include <QBuffer>
#include <QDateTime>
#include <QFileInfo>
#include <QJsonDocument>
#include <QPageSize>
#include <QPdfWriter>
#include <QTextDocument>

namespace gw {

namespace {

constexpr int kPlotWidth = 760;
constexpr int kPlotHeight = 420;

bool writeReport(const QString &path, const QByteArray &bytes, QString *error)
{
    try {
        AtomicFile::writeWhole(path, bytes, QStringLiteral("the report"));
        return true;
    } catch (const Error &e) {
        if (error)
            *error = e.message();
        return false;
    }
}

QString escaped(const QString &text)
{
    return text.toHtmlEscaped();
}

} // namespace

QString CompareReport::html(const CompareView &view, const QMap<qint64, QString> &modelCards, const QString &imagePrefix)
{
    const CompareTableModel &model = *view.model();
    QString out;
    out += QStringLiteral("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Green AI Workbench: run comparison</title>"
                          "<style>body{font-family:sans-serif;color:#111;background:#fff;max-width:60em;margin:auto}"
                          "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #bbb;padding:2px 6px}"
                          "th{background:#eee}td.num{text-align:right}pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}"
                          ".dominated{color:#888}</style></head><body>");
    out += QStringLiteral("<h1>Run comparison</h1><p>%1 runs, written %2 by the Green AI Workbench. Energy and CO₂e figures say whether "
                          "they were measured (hardware counters) or estimated (CPU-time model).</p>")
               .arg(model.rowCount())
               .arg(QDateTime::currentDateTime().toString(Qt::ISODate));
    out += QStringLiteral("<h2>Runs</h2><table><tr>");
    for (int c = 0; c < model.columnCount(); ++c)
        out += QStringLiteral("<th>%1</th>").arg(escaped(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString()));
    out += QStringLiteral("</tr>");
    const std::vector<bool> frontier = model.comparison().paretoFrontier();
    for (int r = 0; r < model.rowCount(); ++r) {
        out += frontier[std::size_t(r)] ? QStringLiteral("<tr>") : QStringLiteral("<tr class=\"dominated\">");
        for (int c = 0; c < model.columnCount(); ++c) {
            const bool number = c >= CompareTableModel::kFirstMetricColumn && c < CompareTableModel::firstParameterColumn();
            out += QStringLiteral("<td%1>%2</td>").arg(number ? QStringLiteral(" class=\"num\"") : QString(),
                                                      escaped(model.data(model.index(r, c), Qt::DisplayRole).toString()));
        }
        out += QStringLiteral("</tr>");
    }
    out += QStringLiteral("</table><p>Grey rows are dominated: another run is at least as accurate for at most the same CO₂e. "
                          "Score: %1.</p>")
               .arg(escaped(model.headerData(CompareTableModel::scoreColumn(), Qt::Horizontal, Qt::DisplayRole).toString()));
    const QStringList titles = view.plotTitles();
    for (int i = 0; i < titles.size(); ++i)
        out += QStringLiteral("<h2>%1</h2><p><img src=\"%2%3.png\" width=\"%4\"></p>").arg(escaped(titles[i]), imagePrefix).arg(i).arg(kPlotWidth);
    out += QStringLiteral("<h2>Each run</h2>");
    for (const RunRecord &run : model.comparison().runs()) {
        out += QStringLiteral("<h3>Run %1: %2 (%3)</h3>").arg(run.id).arg(escaped(run.name), escaped(run.status));
        const QJsonDocument config = QJsonDocument::fromJson(run.paramsJson.toUtf8());
        out += QStringLiteral("<h4>Settings</h4><pre>%1</pre>")
                   .arg(escaped(config.isNull() ? run.paramsJson : QString::fromUtf8(config.toJson(QJsonDocument::Indented))));
        if (modelCards.contains(run.id))
            out += QStringLiteral("<h4>Model card</h4><pre>%1</pre>").arg(escaped(modelCards.value(run.id)));
    }
    out += QStringLiteral("</body></html>\n");
    return out;
}

bool CompareReport::write(const CompareView &view, const QMap<qint64, QString> &modelCards, const QString &path, QString *error)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    QList<QImage> images;
    for (QCustomPlot *plot : view.plots())
        images << renderPlot(plot, kPlotWidth, kPlotHeight);
    if (suffix == QStringLiteral("pdf")) {
        QTextDocument document;
        for (int i = 0; i < images.size(); ++i)
            document.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("plot%1.png").arg(i)), images[i]);
        document.setHtml(html(view, modelCards, QStringLiteral("plot")));
        QByteArray pdf;
        QBuffer buffer(&pdf);
        buffer.open(QIODevice::WriteOnly);
        {
            QPdfWriter writer(&buffer);
            writer.setPageSize(QPageSize(QPageSize::A4));
            writer.setResolution(1200);
            writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
            document.print(&writer);
        }
        if (pdf.isEmpty()) {
            if (error)
                *error = QStringLiteral("%1: the PDF could not be drawn").arg(path);
            return false;
        }
        return writeReport(path, pdf, error);
    }
    if (suffix != QStringLiteral("html") && suffix != QStringLiteral("htm")) {
        if (error)
            *error = QStringLiteral("%1: a report is .html or .pdf").arg(path);
        return false;
    }
    QString text = html(view, modelCards, QStringLiteral("plot"));
    for (int i = 0; i < images.size(); ++i) {
        QByteArray png;
        QBuffer buffer(&png);
        buffer.open(QIODevice::WriteOnly);
        images[i].save(&buffer, "PNG");
        text.replace(QStringLiteral("src=\"plot%1.png\"").arg(i), QStringLiteral("src=\"data:image/png;base64,%1\"").arg(QString::fromLatin1(png.toBase64())));
    }
    return writeReport(path, text.toUtf8(), error);
}

} // namespace gw
