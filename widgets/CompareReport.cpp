#include "CompareReport.h"

#include "report/ModelCard.h"

#include "CompareTableModel.h"
#include "CompareView.h"
#include "PlotExport.h"
#include "QCustomPlotInclude.h"
#include "Error.h"
#include "report/RunComparison.h"
#include "util/Files.h"

#include <QBuffer>
#include <QDateTime>
#include <QFileInfo>
#include <QPageSize>
#include <QPdfWriter>
#include <QTextDocument>

namespace gw {

namespace {

// A plot as wide as an A4 or Letter page's text (about 17 cm at 96 px per inch).
constexpr int kPlotWidth = 640;
constexpr int kPlotHeight = 380;
/// More differing parameters than this go into a key-value list per run instead of table columns,
/// so the table never runs off the page.
constexpr int kMaxParameterColumns = 4;

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

/// A model card's Markdown as HTML (its YAML front matter, which is for the Hugging Face Hub, left out).
QString renderedCard(const QString &markdown)
{
    QTextDocument document;
    document.setMarkdown(ModelCard::withoutFrontMatter(markdown));
    const QString html = document.toHtml();
    const int body = html.indexOf(QStringLiteral("<body"));
    const int start = body < 0 ? 0 : html.indexOf(QLatin1Char('>'), body) + 1;
    const int end = html.lastIndexOf(QStringLiteral("</body>"));
    return html.mid(start, end > start ? end - start : -1);
}

} // namespace

QString CompareReport::html(const CompareView &view, const QMap<qint64, QString> &modelCards, const QString &imagePrefix, int plotWidth)
{
    const CompareTableModel &model = *view.model();
    QString out;
    out += QStringLiteral("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>Green AI Workbench: run comparison</title>"
                          "<style>body{font-family:sans-serif;color:#111;background:#fff;max-width:60em;margin:auto}"
                          "table{border-collapse:collapse;font-size:90%}td,th{border:1px solid #bbb;padding:2px 6px}"
                          "th{background:#eee}td.num{text-align:right}pre{background:#f6f6f6;padding:6px;white-space:pre-wrap}"
                          "table.settings{font-size:80%}img{max-width:100%}"
                          ".dominated{color:#888}</style></head><body>");
    out += QStringLiteral("<h1>Run comparison</h1><p>%1 runs, written %2 by the Green AI Workbench. Energy and CO₂e figures say whether "
                          "they were measured (hardware counters) or estimated (CPU-time model).</p>")
               .arg(model.rowCount())
               .arg(QDateTime::currentDateTime().toString(Qt::ISODate));
    // The summary: the figures only, so it fits the page; parameters follow apart.
    QList<int> columns{0};
    for (int c = CompareTableModel::kFirstMetricColumn; c < CompareTableModel::firstParameterColumn(); ++c)
        if (c != CompareTableModel::kFirstMetricColumn + CompareTableModel::Pareto && c != CompareTableModel::kFirstMetricColumn + CompareTableModel::Reused)
            columns << c; // reused embeddings follow the table in words, for the runs that reused any
    out += QStringLiteral("<h2>Runs</h2><table class=\"summary\" width=\"100%\"><tr>");
    for (int c : columns)
        out += QStringLiteral("<th>%1</th>").arg(escaped(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString()));
    out += QStringLiteral("</tr>");
    const std::vector<bool> frontier = model.comparison().paretoFrontier();
    for (int r = 0; r < model.rowCount(); ++r) {
        out += frontier[std::size_t(r)] ? QStringLiteral("<tr>") : QStringLiteral("<tr class=\"dominated\">");
        for (int c : columns) {
            const bool number = c >= CompareTableModel::kFirstMetricColumn;
            out += QStringLiteral("<td%1>%2</td>").arg(number ? QStringLiteral(" class=\"num\"") : QString(),
                                                      escaped(model.data(model.index(r, c), Qt::DisplayRole).toString()));
        }
        out += QStringLiteral("</tr>");
    }
    out += QStringLiteral("</table><p>Grey rows are dominated: another run is at least as accurate for at most the same CO₂e. "
                          "Score: %1.</p>")
               .arg(escaped(model.headerData(CompareTableModel::scoreColumn(), Qt::Horizontal, Qt::DisplayRole).toString()));
    for (int r = 0; r < model.rowCount(); ++r)
        if (const std::optional<RunComparison::ReusedCost> reused = model.comparison().reused(r))
            out += QStringLiteral("<p>Run %1 reused embeddings%2: %3 Wh and %4 g CO₂e paid by that run, not in run %1's own figures.</p>")
                       .arg(model.comparison().runs().at(r).id)
                       .arg(reused->computedByRun > 0 ? QStringLiteral(" computed by run %1").arg(reused->computedByRun) : QString())
                       .arg(reused->energyKwh * 1000, 0, 'g', 3)
                       .arg(reused->emissionsG, 0, 'g', 3);
    const int parameters = model.columnCount() - CompareTableModel::firstParameterColumn();
    if (parameters > 0) {
        out += QStringLiteral("<h2>Parameters that differ</h2>");
        if (parameters <= kMaxParameterColumns) {
            out += QStringLiteral("<table><tr><th>Run</th>");
            for (int c = CompareTableModel::firstParameterColumn(); c < model.columnCount(); ++c)
                out += QStringLiteral("<th>%1</th>").arg(escaped(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString()));
            out += QStringLiteral("</tr>");
            for (int r = 0; r < model.rowCount(); ++r) {
                out += QStringLiteral("<tr><td>%1</td>").arg(escaped(model.data(model.index(r, 0), Qt::DisplayRole).toString()));
                for (int c = CompareTableModel::firstParameterColumn(); c < model.columnCount(); ++c)
                    out += QStringLiteral("<td>%1</td>").arg(escaped(model.data(model.index(r, c), Qt::DisplayRole).toString()));
                out += QStringLiteral("</tr>");
            }
            out += QStringLiteral("</table>");
        } else {
            for (int r = 0; r < model.rowCount(); ++r) {
                QStringList pairs;
                for (int c = CompareTableModel::firstParameterColumn(); c < model.columnCount(); ++c) {
                    // A key the run does not have (another kind's) says nothing about it.
                    const QString value = model.data(model.index(r, c), Qt::DisplayRole).toString();
                    if (value != CompareTableModel::displayValue(QString()))
                        pairs << QStringLiteral("%1 = %2").arg(escaped(model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString()), escaped(value));
                }
                out += QStringLiteral("<p><b>%1</b>: %2</p>").arg(escaped(model.data(model.index(r, 0), Qt::DisplayRole).toString()),
                                                                 pairs.join(QStringLiteral(" · ")));
            }
        }
    }
    const QStringList titles = view.plotTitles();
    for (int i = 0; i < titles.size(); ++i)
        out += QStringLiteral("<h2>%1</h2><p><img src=\"%2%3.png\" width=\"%4\"></p>").arg(escaped(titles[i]), imagePrefix).arg(i).arg(plotWidth);
    out += QStringLiteral("<h2>Each run</h2>");
    for (const RunRecord &run : model.comparison().runs()) {
        out += QStringLiteral("<h3>Run %1: %2 (%3)</h3>").arg(run.id).arg(escaped(run.name), escaped(run.status));
        QList<QPair<QString, QString>> settings;
        const QMap<QString, QString> flat = RunComparison::flattenParameters(run.paramsJson);
        for (auto it = flat.constBegin(); it != flat.constEnd(); ++it)
            settings.append({it.key(), CompareTableModel::displayValue(it.value())});
        out += QStringLiteral("<h4>Settings</h4><table class=\"settings\" width=\"100%\">");
        // Two key-value pairs a row: half the height of one long list.
        for (int i = 0; i < settings.size(); i += 2) {
            out += QStringLiteral("<tr><td>%1</td><td>%2</td>").arg(escaped(settings[i].first), escaped(settings[i].second));
            if (i + 1 < settings.size())
                out += QStringLiteral("<td>%1</td><td>%2</td>").arg(escaped(settings[i + 1].first), escaped(settings[i + 1].second));
            out += QStringLiteral("</tr>");
        }
        out += QStringLiteral("</table>");
        if (modelCards.contains(run.id))
            out += QStringLiteral("<h4>Model card</h4><div class=\"card\">%1</div>").arg(renderedCard(modelCards.value(run.id)));
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
        QByteArray pdf;
        QBuffer buffer(&pdf);
        buffer.open(QIODevice::WriteOnly);
        {
            QPdfWriter writer(&buffer);
            writer.setPageSize(QPageSize(QPageSize::A4));
            writer.setResolution(1200);
            writer.setPageMargins(QMarginsF(15, 15, 15, 15), QPageLayout::Millimeter);
            // Laid out on the page's text area (in 96 dpi pixels), plots as wide as it: nothing runs
            // off the right edge.
            QTextDocument document;
            const QSizeF page = writer.pageLayout().paintRectPixels(96).size();
            document.setPageSize(page);
            for (int i = 0; i < images.size(); ++i)
                document.addResource(QTextDocument::ImageResource, QUrl(QStringLiteral("plot%1.png").arg(i)), images[i]);
            document.setHtml(html(view, modelCards, QStringLiteral("plot"), int(page.width() - 2 * document.documentMargin()) - 4));
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
    QString text = html(view, modelCards, QStringLiteral("plot"), kPlotWidth);
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
