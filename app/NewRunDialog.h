#pragma once
#include "config/RunConfig.h"

#include <QDialog>

class QComboBox;
class QDoubleSpinBox;
class QLineEdit;
class QSpinBox;

namespace gw {

/// The settings of a run config as a form; it can load and save the same JSON the command line runs.
class NewRunDialog : public QDialog {
    Q_OBJECT
public:
    explicit NewRunDialog(const RunConfig &initial, QWidget *parent = nullptr);
    RunConfig config() const;

private:
    void setConfig(const RunConfig &config);
    void loadFromFile();
    void saveToFile();

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
    QComboBox *country_;
    QDoubleSpinBox *pue_;
};

} // namespace gw
