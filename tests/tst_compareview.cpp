// The Compare view on crafted runs: the table shows only the parameters that differ, greys the
// dominated runs, ranks by the green score, and writes its CSV and the Pareto plot as PNG, SVG and PDF.
#include "CompareTableModel.h"
#include "CompareView.h"
#include "ParetoPlot.h"
#include "QCustomPlotInclude.h"

#include <QAbstractItemModelTester>
#include <QColor>
#include <QFileInfo>
#include <QTableView>
#include <QTemporaryDir>
#include <QHeaderView>
#include <QtTest>

using namespace gw;

namespace {

RunRecord run(qint64 id, double lr, double accuracy, double emissionsG)
{
    RunRecord r;
    r.id = id;
    r.name = QStringLiteral("run-%1").arg(id);
    r.status = QStringLiteral("completed");
    r.paramsJson = QStringLiteral(R"({"name": "run-%1", "seed": 1, "training": {"mode": "linear-probe", "lr": %2}})").arg(id).arg(lr);
    r.accuracy = accuracy;
    r.emissionsG = emissionsG;
    r.energyKwh = emissionsG / 56.0;
    r.durationS = 10.0 * double(id);
    r.labelsUsed = 1000;
    r.energySource = QStringLiteral("estimated");
    return r;
}

QList<RunRecord> crafted()
{
    // Run 3 is dominated by run 1 (less accurate, more CO2e).
    return {run(1, 0.01, 0.80, 1.0), run(2, 0.001, 0.90, 4.0), run(3, 0.1, 0.70, 2.0)};
}

std::vector<RunSeries> craftedSeries()
{
    std::vector<RunSeries> out;
    for (const RunRecord &r : crafted()) {
        RunSeries s;
        s.runId = r.id;
        s.name = r.name;
        s.curve = {{20, 0.5, 0.1}, {40, *r.accuracy, 0.2}};
        s.phases = {{QStringLiteral("train"), 3600.0 * double(r.id), 1}, {QStringLiteral("eval"), 1800, 1}, {QStringLiteral("idle"), 360, 1}};
        out.push_back(s);
    }
    return out;
}

} // namespace

class TestCompareView : public QObject {
    Q_OBJECT
private:
    QTemporaryDir dir_;

private Q_SLOTS:
    void tableShowsOnlyDifferingParameters()
    {
        CompareTableModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setRuns(crafted());
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), CompareTableModel::firstParameterColumn() + 1); // the run, its metrics, then training.lr alone
        const int lr = CompareTableModel::firstParameterColumn();
        QCOMPARE(model.headerData(lr, Qt::Horizontal, Qt::DisplayRole).toString(), QStringLiteral("training.lr"));
        QStringList headers;
        for (int c = 0; c < model.columnCount(); ++c)
            headers << model.headerData(c, Qt::Horizontal, Qt::DisplayRole).toString();
        QVERIFY(!headers.contains(QStringLiteral("seed")) && !headers.contains(QStringLiteral("training.mode")));
        for (const char *h : {"Best accuracy (%)", "Labels used", "Energy (Wh)", "CO₂e (g)", "Duration (s)", "Measured / estimated", "Pareto-optimal"})
            QVERIFY2(headers.contains(QString::fromUtf8(h)), h);
        const auto column = [](CompareTableModel::Metric m) { return CompareTableModel::kFirstMetricColumn + m; };
        QCOMPARE(model.data(model.index(1, lr), Qt::DisplayRole).toString(), QStringLiteral("0.001"));
        QCOMPARE(model.data(model.index(0, column(CompareTableModel::Accuracy)), Qt::DisplayRole).toString(), QStringLiteral("80.00"));
        QCOMPARE(model.data(model.index(0, column(CompareTableModel::Source)), Qt::DisplayRole).toString(), QStringLiteral("estimated"));
        // Pareto membership and the grey of the dominated run.
        QCOMPARE(model.data(model.index(0, column(CompareTableModel::Pareto)), Qt::DisplayRole).toString(), QStringLiteral("yes"));
        QCOMPARE(model.data(model.index(2, column(CompareTableModel::Pareto)), Qt::DisplayRole).toString(), QStringLiteral("no"));
        QCOMPARE(model.data(model.index(2, 0), Qt::ForegroundRole).value<QColor>(), QColor(Qt::gray));
        QVERIFY(!model.data(model.index(0, 0), Qt::ForegroundRole).isValid());
        // Text without its JSON quotes, one sign for absent.
        QCOMPARE(CompareTableModel::displayValue(QStringLiteral("\"bundled\"")), QStringLiteral("bundled"));
        QCOMPARE(CompareTableModel::displayValue(QStringLiteral("null")), QStringLiteral("–"));
        QCOMPARE(CompareTableModel::displayValue(QString()), QStringLiteral("–"));
        QCOMPARE(CompareTableModel::displayValue(QStringLiteral("[1,28,28]")), QStringLiteral("[1,28,28]"));
    }

    // The run stays in sight: it is each row's header, not a column that scrolls away.
    void theRunIsTheRowHeader()
    {
        CompareView view;
        view.setRuns(crafted(), craftedSeries());
        auto *table = view.findChild<QTableView *>();
        QVERIFY(table);
        QVERIFY(table->isColumnHidden(0));
        QVERIFY(!table->verticalHeader()->isHidden());
        QStringList rows;
        for (int r = 0; r < table->model()->rowCount(); ++r)
            rows << table->model()->headerData(r, Qt::Vertical, Qt::DisplayRole).toString();
        QVERIFY2(rows.contains(QStringLiteral("2 run-2")) && rows.size() == 3, qPrintable(rows.join(QLatin1Char('|'))));
    }

    void leaderboardRanksTheTable()
    {
        CompareView view;
        view.setRuns(crafted());
        // Accuracy per gram: run 1 (0.8), run 3 (0.35), run 2 (0.225); the table sorts best first.
        const QAbstractItemModel *shown = view.table()->model();
        QCOMPARE(shown->data(shown->index(0, 0)).toString(), QStringLiteral("1 run-1"));
        QCOMPARE(shown->data(shown->index(2, 0)).toString(), QStringLiteral("2 run-2"));
        const std::vector<int> order = view.model()->comparison().leaderboard({});
        QCOMPARE(order, (std::vector<int>{0, 2, 1}));
    }

    void plotsDrawEveryRun()
    {
        CompareView view;
        view.setRuns(crafted(), craftedSeries());
        const QList<QCustomPlot *> plots = view.plots();
        QCOMPARE(plots.size(), 4);
        QCOMPARE(plots[1]->graphCount(), 3); // accuracy against labels: a line a run
        QCOMPARE(plots[1]->graph(0)->data()->size(), 2);
        QCOMPARE(plots[2]->graph(2)->data()->at(1)->key, 0.2); // against energy (Wh)
        QCOMPARE(plots[3]->plottableCount(), 3); // train, eval, idle stacked
        QCOMPARE(plots[1]->xAxis->label(), QStringLiteral("labels used (log scale)"));
        QCOMPARE(plots[1]->xAxis->scaleType(), QCPAxis::stLogarithmic); // 20 labels and 60,000 on one axis
        QCOMPARE(plots[3]->xAxis->numberFormat(), QStringLiteral("g"));  // run names as written, no typeset powers
        QCOMPARE(plots[3]->yAxis->label(), QStringLiteral("energy (Wh)"));
    }

    void theParetoAxesFollowTheRunsKinds()
    {
        // A fine-tuning run, a measured one, and a pretraining run, whose kind reports a contrastive loss.
        QList<RunRecord> runs = crafted();
        runs[1].energySource = QStringLiteral("measured");
        RunRecord pretrain = run(4, 0.002, 0.0, 3.0);
        pretrain.accuracy.reset();
        pretrain.paramsJson = QStringLiteral(R"({"kind": "pretrain", "name": "pretrain-gw-mobilenet"})");
        runs << pretrain;
        RunRecord earlier = run(5, 0.002, 0.0, 1.5); // pretraining as early stores kept it
        earlier.accuracy.reset();
        earlier.paramsJson = QStringLiteral(R"({"training": {"mode": "pretrain"}})");
        runs << earlier;
        std::vector<RunSeries> series = craftedSeries();
        for (const qint64 id : {4, 5}) {
            RunSeries s;
            s.runId = id;
            s.results.insert(QStringLiteral("contrastive_loss"), id == 4 ? 2.5 : 3.0);
            series.push_back(s);
        }
        CompareView view;
        view.setRuns(runs, series);
        // The default stays accuracy against CO2e, with every kind's figures to choose from.
        QCOMPARE(view.objectiveChooser()->currentData().toString(), QStringLiteral("accuracy"));
        QCOMPARE(view.costChooser()->currentData().toString(), QStringLiteral("emissions_g"));
        QVERIFY(view.objectiveChooser()->findData(QStringLiteral("contrastive_loss")) >= 0);
        QVERIFY(view.costChooser()->findData(QStringLiteral("energy_kwh")) >= 0);
        QCustomPlot *plot = view.paretoPlot()->plot();
        QStringList labels;
        for (int i = 0; i < plot->itemCount(); ++i)
            if (auto *text = qobject_cast<QCPItemText *>(plot->item(i)))
                labels << text->text().trimmed();
        labels.sort();
        QCOMPARE(labels, (QStringList{QStringLiteral("1 (estimated)"), QStringLiteral("2 (measured)"), QStringLiteral("3 (estimated)")}));
        // A loss is better lower: run 4 (loss 2.5 for 3 g) and run 5 (3.0 for 1.5 g) each win on one axis.
        view.objectiveChooser()->setCurrentIndex(view.objectiveChooser()->findData(QStringLiteral("contrastive_loss")));
        QCOMPARE(plot->yAxis->label(), QStringLiteral("Contrastive loss"));
        QCOMPARE(view.paretoPlot()->frontier(), (std::vector<bool>{true, true}));
        view.costChooser()->setCurrentIndex(view.costChooser()->findData(QStringLiteral("energy_kwh")));
        QVERIFY2(plot->xAxis->label().startsWith(QStringLiteral("Energy (kWh")), qPrintable(plot->xAxis->label()));
    }

    void theParetoLegendHidesNoRun()
    {
        // Runs of nearly the same CO2e in one column, the best at the top left: a legend inside the axes
        // covered them (seen in a screenshot); it sits below the axes now.
        CompareView view;
        view.resize(800, 600);
        view.setRuns({run(1, 0.01, 0.78, 0.00188), run(2, 0.001, 0.73, 0.00190), run(3, 0.1, 0.63, 0.0027)}, {});
        QCustomPlot *plot = view.paretoPlot()->plot();
        plot->replot();
        QVERIFY(plot->legend->visible());
        QVERIFY(!plot->axisRect()->rect().intersects(plot->legend->outerRect()));
        QVERIFY(plot->legend->outerRect().top() >= plot->axisRect()->outerRect().bottom());
    }

    void reportIsWritten_data()
    {
        QTest::addColumn<QString>("name");
        QTest::newRow("html") << QStringLiteral("report.html");
        QTest::newRow("pdf") << QStringLiteral("report.pdf");
    }
    void reportIsWritten()
    {
        QFETCH(QString, name);
        CompareView view;
        view.setRuns(crafted(), craftedSeries());
        view.setModelCards({{1, QStringLiteral("---\nco2_eq_emissions:\n  emissions: 1.0\n---\n# run-1 card")}});
        const QString path = dir_.filePath(name);
        QString error;
        QVERIFY2(view.exportReport(path, &error), qPrintable(error));
        QVERIFY(QFileInfo(path).size() > 1000);
        if (name.endsWith(QStringLiteral(".html"))) {
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QString html = QString::fromUtf8(file.readAll());
            QCOMPARE(html.count(QStringLiteral("data:image/png;base64,")), 4); // every plot inline
            // The model card rendered (a heading, not Markdown source, and no YAML front matter).
            QVERIFY(html.contains(QStringLiteral("run-1 card")) && !html.contains(QStringLiteral("# run-1 card")));
            QVERIFY(!html.contains(QStringLiteral("co2_eq_emissions")));
            // Settings as keys and values, no JSON.
            QVERIFY(html.contains(QStringLiteral("<td>training.lr</td><td>0.001</td>")) || html.contains(QStringLiteral("<td>training.lr</td><td>0.001</td></tr>")));
            QVERIFY(!html.contains(QStringLiteral("&quot;training&quot;")));
            QVERIFY(html.contains(QStringLiteral("class=\"dominated\"")));
            // The summary table has no more columns than fit an A4 page: the figures, not every parameter.
            const QString summary = html.section(QStringLiteral("<table class=\"summary\""), 1).section(QStringLiteral("</table>"), 0, 0);
            const int columns = summary.section(QStringLiteral("</tr>"), 0, 0).count(QStringLiteral("<th>"));
            QVERIFY2(columns >= 6 && columns <= 8, qPrintable(QString::number(columns)));
        } else {
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            QVERIFY(file.read(5) == "%PDF-");
        }
        if (const QString shots = qEnvironmentVariable("GW_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(view.exportReport(QDir(shots).filePath(name), &error));
        QVERIFY(!view.exportReport(dir_.filePath(QStringLiteral("report.docx")), &error));
        QVERIFY(error.contains(QStringLiteral(".html or .pdf")));
    }

    void exportsAreWritten_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("tab");
        QTest::newRow("csv") << QStringLiteral("table.csv") << -1;
        for (int tab = 0; tab < 4; ++tab)
            for (const char *format : {"png", "svg", "pdf"})
                QTest::addRow("plot %d %s", tab, format) << QStringLiteral("plot%1.%2").arg(tab).arg(QLatin1String(format)) << tab;
    }
    void exportsAreWritten()
    {
        QFETCH(QString, name);
        QFETCH(int, tab);
        CompareView view;
        view.resize(900, 700);
        view.setRuns(crafted(), craftedSeries());
        const QString path = dir_.filePath(name);
        if (name.endsWith(QStringLiteral(".csv")))
            QVERIFY(view.exportTable(path));
        else
            QVERIFY(view.exportPlot(path, tab));
        QVERIFY(QFileInfo(path).size() > 100);
        if (name.endsWith(QStringLiteral(".csv"))) {
            QFile file(path);
            QVERIFY(file.open(QIODevice::ReadOnly));
            const QByteArray csv = file.readAll();
            QVERIFY(csv.startsWith("run_id,name,Best accuracy (%),Labels used,Energy (Wh),"));
            QVERIFY2(csv.contains("\n1,run-1,"), csv.constData()); // id and name apart
            QVERIFY(csv.contains(",training.lr\n"));
            QCOMPARE(csv.count('\n'), 4);
        }
        QVERIFY(!view.exportTable(QStringLiteral("/nonexistent-dir/x.csv")));
        if (const QString shots = qEnvironmentVariable("GW_SCREENSHOT_DIR"); !shots.isEmpty() && name == QStringLiteral("plot0.png"))
            QVERIFY(view.grab().save(QDir(shots).filePath(QStringLiteral("compare-view.png"))));
    }
};

QTEST_MAIN(TestCompareView)
#include "tst_compareview.moc"
