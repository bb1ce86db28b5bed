#pragma once
#include "report/RunReport.h"

#include <QWidget>

class QComboBox;
class QLabel;
class QTableWidget;

namespace gw {

class ParetoPlot;

/// The parts of one run side by side (a compress run's variants, a federated run's clients): a
/// table of each part's final figures and a Pareto plot of two of them, by default accuracy
/// against energy per 1,000 inferences when the parts report those, the frontier marked.
class RunPartsView : public QWidget {
    Q_OBJECT
public:
    explicit RunPartsView(QWidget *parent = nullptr);

    /// @p energySource: whether the run's energy figures are measured or estimated, said above the table.
    /// @p descriptions: what each part is, by its scope ("variant 2-quantize" -> "int8: ..."), in a last column.
    void setParts(const std::vector<RunReport::Part> &parts, const QString &energySource = QString(),
                  const QMap<QString, QString> &descriptions = {});
    QTableWidget *table() const { return table_; }
    ParetoPlot *plot() const { return plot_; }
    /// The figure on each axis (names as stored: "accuracy", "energy_per_1k_inferences_j").
    void setAxes(const QString &objective, const QString &cost);

private:
    void updatePlot();

    std::vector<RunReport::Part> parts_;
    QTableWidget *table_;
    QLabel *provenance_;
    QComboBox *objective_;
    QComboBox *cost_;
    ParetoPlot *plot_;
};

} // namespace gw
