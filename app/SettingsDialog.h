#pragma once
#include "WorkbenchSettings.h"

#include <QDialog>
#include <QMap>

class QComboBox;
class QKeySequenceEdit;
class QDoubleSpinBox;
class QLabel;
class QLineEdit;

namespace gw {

class CountryComboBox;

/// Edits WorkbenchSettings: grid region, live intensity provider and its token, PUE, sampling rates.
class SettingsDialog : public QDialog {
    Q_OBJECT
public:
    explicit SettingsDialog(const WorkbenchSettings &initial, QWidget *parent = nullptr);
    WorkbenchSettings settings() const;

private:
    void updateLiveFields();

    CountryComboBox *country_;
    QComboBox *intensity_;
    QLineEdit *zone_;
    QLineEdit *token_;
    QLabel *tokenHint_;
    QDoubleSpinBox *pue_;
    QDoubleSpinBox *sampleHz_;
    QDoubleSpinBox *liveSampleHz_;
    QComboBox *appearance_;
    QMap<QString, QKeySequenceEdit *> labelingKeys_;
};

} // namespace gw
