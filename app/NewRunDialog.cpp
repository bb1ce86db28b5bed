#include "NewRunDialog.h"

#include "CommandLine.h"
#include "Error.h"
#include "RunParameterForm.h"
#include "config/RunParameters.h"

#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QGuiApplication>
#include <QLabel>
#include <QRegularExpression>
#include <QDateTimeEdit>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QDialogButtonBox>
#include <QFileDialog>
#include <QFormLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>

namespace gw {

namespace {

/// A shell word: quoted when it holds anything a shell would split or expand.
QString shellWord(const QString &word)
{
    static const QRegularExpression plain(QStringLiteral("^[A-Za-z0-9_./=,:+-]+$"));
    if (plain.match(word).hasMatch())
        return word;
    return QLatin1Char('\'') + QString(word).replace(QLatin1Char('\''), QStringLiteral("'\\''")) + QLatin1Char('\'');
}

QString commandLineOf(const RunConfig &config)
{
    // Without a config file the command line runs the embedded default: the options say what differs from it.
    static const RunConfig embeddedDefault = RunConfig::fromFile(CommandLine::defaultConfigPath());
    QStringList words{QStringLiteral("green-workbench"), QStringLiteral("run")};
    for (const QString &option : RunParameters::commandLineOptions(config, embeddedDefault))
        words << shellWord(option);
    return words.join(QLatin1Char(' '));
}

} // namespace

NewRunDialog::NewRunDialog(const RunConfig &initial, QWidget *parent)
    : QDialog(parent), form_(new RunParameterForm(QStringLiteral("gobvlymx"))), problem_(new QLabel), commandLine_(new QLineEdit),
      greenestStart_(new QGroupBox(QStringLiteral("Start at the &greenest time"))), forecastFile_(new QLineEdit), deadline_(new QDateTimeEdit),
      expectedDurationS_(new QSpinBox)
{
    setWindowTitle(QStringLiteral("New run"));
    problem_->setObjectName(QStringLiteral("configProblem"));
    problem_->setWordWrap(true);
    problem_->setStyleSheet(QStringLiteral("color: #D55E00")); // vermilion (Okabe-Ito): legible on light and dark
    commandLine_->setObjectName(QStringLiteral("commandLine"));
    commandLine_->setReadOnly(true);
    commandLine_->setToolTip(QStringLiteral("The same run, headless: the command line takes every run parameter as --KEY=VALUE"));

    greenestStart_->setObjectName(QStringLiteral("greenestStart"));
    greenestStart_->setCheckable(true);
    greenestStart_->setChecked(false);
    forecastFile_->setObjectName(QStringLiteral("forecastFile"));
    forecastFile_->setPlaceholderText(QStringLiteral("Electricity Maps forecast (needs a token)"));
    auto *browse = new QPushButton(QStringLiteral("…"));
    browse->setToolTip(QStringLiteral("Choose a forecast CSV (datetime,intensity_g_per_kwh)"));
    connect(browse, &QPushButton::clicked, this, [this] {
        const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Intensity forecast"), QString(),
                                                          QStringLiteral("Forecast CSV (*.csv)"));
        if (!path.isEmpty())
            forecastFile_->setText(path);
    });
    auto *forecastRow = new QHBoxLayout;
    forecastRow->addWidget(forecastFile_, 1);
    forecastRow->addWidget(browse);
    deadline_->setObjectName(QStringLiteral("deadline"));
    deadline_->setCalendarPopup(true);
    deadline_->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    deadline_->setDateTime(QDateTime::currentDateTime().addSecs(12 * 3600));
    expectedDurationS_->setObjectName(QStringLiteral("expectedDuration"));
    expectedDurationS_->setRange(0, 30 * 86400);
    expectedDurationS_->setSuffix(QStringLiteral(" s"));
    expectedDurationS_->setSpecialValueText(QStringLiteral("as the last completed run of this config"));
    auto *greenestForm = new QFormLayout(greenestStart_);
    // The field is a row (the path and its button): the label needs its buddy named, or its "&" shows as text.
    auto *forecastLabel = new QLabel(QStringLiteral("F&orecast CSV"));
    forecastLabel->setBuddy(forecastFile_);
    greenestForm->addRow(forecastLabel, forecastRow);
    greenestForm->addRow(QStringLiteral("Finished &by"), deadline_);
    greenestForm->addRow(QStringLiteral("E&xpected duration"), expectedDurationS_);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    start_ = buttons->button(QDialogButtonBox::Ok);
    start_->setText(QStringLiteral("Start run")); // the default button: Enter
    connect(greenestStart_, &QGroupBox::toggled, start_, [this](bool scheduled) {
        start_->setText(scheduled ? QStringLiteral("Schedule run") : QStringLiteral("Start run"));
    });
    QPushButton *load = buttons->addButton(QStringLiteral("&Load config…"), QDialogButtonBox::ActionRole);
    QPushButton *save = buttons->addButton(QStringLiteral("Sa&ve config…"), QDialogButtonBox::ActionRole);
    QPushButton *copy = buttons->addButton(QStringLiteral("Cop&y command line"), QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(load, &QPushButton::clicked, this, &NewRunDialog::loadFromFile);
    connect(save, &QPushButton::clicked, this, &NewRunDialog::saveToFile);
    connect(copy, &QPushButton::clicked, this, [this] { QGuiApplication::clipboard()->setText(commandLine_->text()); });

    auto *commandRow = new QFormLayout;
    commandRow->addRow(QStringLiteral("Co&mmand line"), commandLine_);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(form_, 1);
    layout->addWidget(greenestStart_);
    layout->addWidget(problem_);
    layout->addLayout(commandRow);
    layout->addWidget(buttons);

    connect(form_, &RunParameterForm::changed, this, &NewRunDialog::revalidate);
    form_->setConfig(initial); // its changed() checks it and shows the command line
    resize(720, 680);
}

void NewRunDialog::revalidate()
{
    try {
        const RunConfig config = form_->config();
        problem_->clear();
        problem_->hide();
        commandLine_->setText(commandLineOf(config));
        commandLine_->setCursorPosition(0); // the start reads best: what is run, then what differs
        start_->setEnabled(true);
    } catch (const Error &e) {
        problem_->setText(form_->inFieldTerms(e.message()));
        problem_->show();
        commandLine_->clear();
        start_->setEnabled(false);
    }
}

RunConfig NewRunDialog::config() const
{
    return form_->config();
}

QString NewRunDialog::commandLine() const
{
    return commandLine_->text();
}

std::optional<GreenestStartRequest> NewRunDialog::greenestStart() const
{
    if (!greenestStart_->isChecked())
        return std::nullopt;
    return GreenestStartRequest{forecastFile_->text().trimmed(), deadline_->dateTime().toUTC(), double(expectedDurationS_->value())};
}

void NewRunDialog::loadFromFile()
{
    const QString path = QFileDialog::getOpenFileName(this, QStringLiteral("Load run config"), QString(), QStringLiteral("Run configs (*.json)"));
    if (path.isEmpty())
        return;
    try {
        form_->setConfig(RunConfig::fromFile(path));
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot load config"), e.message());
    }
}

void NewRunDialog::saveToFile()
{
    RunConfig config;
    try {
        config = form_->config();
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot save config"), QStringLiteral("The form is not a valid config yet: %1").arg(e.message()));
        return;
    }
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Save run config"), config.name + QStringLiteral(".json"),
                                                      QStringLiteral("Run configs (*.json)"));
    if (path.isEmpty())
        return;
    try {
        config.save(path);
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot save config"), e.message());
    }
}

} // namespace gw
