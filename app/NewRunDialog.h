#pragma once
#include "config/RunConfig.h"

#include <QDateTime>
#include <QDialog>
#include <optional>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QGroupBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace gw {

class CountryComboBox;

/// "Start at the greenest time": what the New run dialog asks for planning the start.
struct GreenestStartRequest {
    QString forecastFile;  ///< CSV (datetime,intensity_g_per_kwh); empty: the live provider's forecast
    QDateTime deadlineUtc; ///< latest end of the run
    double durationS = 0;  ///< expected duration; 0: that of the last completed run of the same config
};

/// The settings of a run config as a form; it can load and save the same JSON the command line runs.
class NewRunDialog : public QDialog {
    Q_OBJECT
public:
    explicit NewRunDialog(const RunConfig &initial, QWidget *parent = nullptr);
    RunConfig config() const;
    /// Set when the person chose to start at the greenest time before the deadline.
    std::optional<GreenestStartRequest> greenestStart() const;

private:
    void setConfig(const RunConfig &config);
    void loadFromFile();
    void saveToFile();

    /// The config last set or loaded: the keys this form does not show (model, labels, fine-tuning)
    /// are kept from it rather than reset.
    RunConfig base_;
    QLineEdit *name_;
    QSpinBox *seed_;
    QLineEdit *datasetPath_;
    QSpinBox *trainSubset_;
    QSpinBox *epochs_;
    QSpinBox *batchSize_;
    QDoubleSpinBox *learningRate_;
    QComboBox *optimizer_;
    QSpinBox *threads_;
    QDoubleSpinBox *sampleHz_;
    CountryComboBox *country_;
    QComboBox *intensity_;
    QLineEdit *zone_;
    QDoubleSpinBox *pue_;
    QDoubleSpinBox *budgetWh_;
    QDoubleSpinBox *budgetG_;
    QGroupBox *activeLearning_;
    QComboBox *strategy_;
    QComboBox *oracle_;
    QSpinBox *initialLabels_;
    QSpinBox *batchLabels_;
    QSpinBox *labelBudget_;
    QDoubleSpinBox *noise_;
    QGroupBox *greenestStart_;
    QLineEdit *forecastFile_;
    QDateTimeEdit *deadline_;
    QSpinBox *expectedDurationS_;
};

} // namespace gw
