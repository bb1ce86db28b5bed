#pragma once
#include "config/RunConfig.h"

#include <QDateTime>
#include <QDialog>
#include <optional>

class QDateTimeEdit;
class QGroupBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QSpinBox;

namespace gw {

class RunParameterForm;

/// "Start at the greenest time": what the New run dialog asks for planning the start.
struct GreenestStartRequest {
    QString forecastFile;  ///< CSV (datetime,intensity_g_per_kwh); empty: the live provider's forecast
    QDateTime deadlineUtc; ///< latest end of the run
    double durationS = 0;  ///< expected duration; 0: that of the last completed run of the same config
};

/// A run config as a form generated from the run parameters (RunParameterForm), with the same
/// checks as the JSON reader and the command line: the Start button is enabled only for a valid
/// config, the problem is shown otherwise, and the equivalent command line is shown for copying.
/// It loads and saves the JSON the command line runs.
class NewRunDialog : public QDialog {
    Q_OBJECT
public:
    explicit NewRunDialog(const RunConfig &initial, QWidget *parent = nullptr);
    /// The form's config; an Error naming the key when it is not valid (Start is disabled then).
    RunConfig config() const;
    /// Set when the person chose to start at the greenest time before the deadline.
    std::optional<GreenestStartRequest> greenestStart() const;
    RunParameterForm *form() const { return form_; }
    /// `green-workbench run --KEY=VALUE…` for the form's config (only what differs from the defaults).
    QString commandLine() const;

private:
    void loadFromFile();
    void saveToFile();
    void revalidate();

    RunParameterForm *form_;
    QLabel *problem_;
    QLineEdit *commandLine_;
    QPushButton *start_;
    QGroupBox *greenestStart_;
    QLineEdit *forecastFile_;
    QDateTimeEdit *deadline_;
    QSpinBox *expectedDurationS_;
};

} // namespace gw
