#pragma once
#include "extension/RunKind.h"
#include "report/RunSeries.h"
#include "store/RunRecord.h"

#include <QMap>
#include <functional>
#include <QWidget>

class QCheckBox;
class QComboBox;
class QDoubleSpinBox;
class QLabel;
class QCustomPlot;
class QTabWidget;
class QTableView;

namespace gw {

class CompareTableModel;
class ParetoPlot;
class PhaseBarsPlot;
class RunCurvesPlot;

/// MLflow's run comparison, green: the table of the chosen runs with only their differing
/// parameters and their cost, the Pareto plot of an objective against a cost (from the result
/// metrics the runs' kinds declare; accuracy against CO2e by default), and the leaderboard's score
/// (accuracy per gram, or accuracy minus a weighted share of CO2e), with exports of the table (CSV)
/// and the plot (PNG, SVG, PDF).
class CompareView : public QWidget {
    Q_OBJECT
public:
    explicit CompareView(QWidget *parent = nullptr);
    /// The runs to compare and what to draw of them (RunSeries::load, one per run, same order).
    void setRuns(const QList<RunRecord> &runs, const std::vector<RunSeries> &series = {});

    CompareTableModel *model() const { return model_; }
    ParetoPlot *paretoPlot() const { return pareto_; }
    /// The Pareto plot's axes: their items' data are metric names.
    QComboBox *objectiveChooser() const { return objective_; }
    QComboBox *costChooser() const { return cost_; }
    QTableView *table() const { return table_; }
    /// Where the report gets a run's model card (ModelCard::render of the stored run): asked only when a
    /// report is written, since building one reads all of the run's power samples.
    void setModelCardSource(std::function<QString(qint64)> source) { modelCardSource_ = std::move(source); }
    /// Fixed model cards (run id -> card), for runs that are not in a store.
    void setModelCards(const QMap<qint64, QString> &cards)
    {
        setModelCardSource([cards](qint64 runId) { return cards.value(runId); });
    }
    /// Writes the report (HTML or PDF by the extension) of the compared runs.
    bool exportReport(const QString &path, QString *error = nullptr) const;
    /// Writes the table as CSV; false (with the reason in @p error) when the file cannot be written.
    bool exportTable(const QString &path, QString *error = nullptr) const;
    /// Saves the plot on tab @p tab (-1: the one shown) by the file's extension (png, svg, pdf).
    bool exportPlot(const QString &path, int tab = -1, QString *error = nullptr);
    /// The plots in tab order: Pareto, accuracy against labels, against energy, energy per phase.
    QList<QCustomPlot *> plots() const;
    QStringList plotTitles() const;

private:
    void updateScore();
    /// Draws the Pareto plot for the chosen objective and cost.
    void updatePareto();
    void askAndExportTable();
    void askAndExportPlot();
    void askAndExportReport();

    CompareTableModel *model_;
    QTableView *table_;
    ParetoPlot *pareto_;
    RunCurvesPlot *byLabels_;
    RunCurvesPlot *byEnergy_;
    PhaseBarsPlot *phases_;
    QTabWidget *tabs_;
    QComboBox *scoreKind_;
    QComboBox *objective_;
    QComboBox *cost_;
    std::vector<ResultMetric> axes_;
    QMap<qint64, QMap<QString, double>> results_; ///< per run: the last value of each metric
    QDoubleSpinBox *weight_;
    /// Charges each run the CO₂e of the embeddings it reused from another run.
    QCheckBox *chargeReused_;
    QLabel *summary_;
    std::function<QString(qint64)> modelCardSource_;
};

} // namespace gw
