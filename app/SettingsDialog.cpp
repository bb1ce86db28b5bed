#include "SettingsDialog.h"

#include "CountryComboBox.h"
#include "energy/EnergyMonitor.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QKeySequenceEdit>
#include <QPushButton>
#include <QLabel>
#include <QLineEdit>
#include <QVBoxLayout>

namespace gw {

namespace {
QDoubleSpinBox *rateSpinBox()
{
    auto *box = new QDoubleSpinBox;
    box->setRange(EnergyMonitor::kMinSampleHz, EnergyMonitor::kMaxSampleHz);
    box->setDecimals(1);
    box->setSingleStep(0.5);
    box->setSuffix(QStringLiteral(" Hz"));
    return box;
}
} // namespace

SettingsDialog::SettingsDialog(const WorkbenchSettings &initial, QWidget *parent)
    : QDialog(parent), country_(new CountryComboBox), intensity_(new QComboBox), zone_(new QLineEdit), token_(new QLineEdit),
      tokenHint_(new QLabel), pue_(new QDoubleSpinBox), sampleHz_(rateSpinBox()), liveSampleHz_(rateSpinBox()),
      appearance_(new QComboBox)
{
    setWindowTitle(QStringLiteral("Settings"));
    country_->setObjectName(QStringLiteral("settingsCountry"));
    intensity_->addItem(QStringLiteral("Bundled table (yearly average per country)"), QStringLiteral("table"));
    intensity_->addItem(QStringLiteral("Electricity Maps, live (the table when it fails)"), QStringLiteral("live"));
    zone_->setPlaceholderText(QStringLiteral("from the country, e.g. DE; or a zone such as US-CAL-CISO"));
    token_->setEchoMode(QLineEdit::Password);
    token_->setObjectName(QStringLiteral("settingsToken"));
    token_->setPlaceholderText(QStringLiteral("Electricity Maps API token"));
    tokenHint_->setWordWrap(true);
    pue_->setRange(1.0, 3.0);
    pue_->setDecimals(2);
    pue_->setSingleStep(0.05);
    pue_->setToolTip(QStringLiteral("Power usage effectiveness of the room the machine is in: 1.0 for a desk, "
                                    "about 1.1-1.6 in a data centre. Every energy figure is multiplied by it."));
    sampleHz_->setToolTip(QStringLiteral("Default power sampling rate of new runs"));
    liveSampleHz_->setToolTip(QStringLiteral("Sampling rate while the window shows a run live (the higher of the two applies)"));

    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("Grid &region"), country_);
    form->addRow(QStringLiteral("Carbon &intensity"), intensity_);
    form->addRow(QStringLiteral("Electricity Maps &zone"), zone_);
    form->addRow(QStringLiteral("Electricity Maps &token"), token_);
    form->addRow(QString(), tokenHint_);
    form->addRow(QStringLiteral("&PUE"), pue_);
    form->addRow(QStringLiteral("&Sampling rate of runs"), sampleHz_);
    form->addRow(QStringLiteral("Sampling rate with the &live view"), liveSampleHz_);
    appearance_->setObjectName(QStringLiteral("appearance"));
    appearance_->addItem(QStringLiteral("As the desktop (system palette)"), QStringLiteral("system"));
    appearance_->addItem(QStringLiteral("Light"), QStringLiteral("light"));
    appearance_->addItem(QStringLiteral("Dark"), QStringLiteral("dark"));
    appearance_->setToolTip(QStringLiteral("Windows and plots; exported plots and reports are always light, for print"));
    form->addRow(QStringLiteral("&Appearance"), appearance_);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(intensity_, &QComboBox::currentIndexChanged, this, &SettingsDialog::updateLiveFields);
    connect(token_, &QLineEdit::textChanged, this, &SettingsDialog::updateLiveFields);

    // The labeling view's keys, two columns of actions; an empty key leaves an action to the buttons.
    auto *keysBox = new QGroupBox(QStringLiteral("&Labeling keys"));
    auto *keysLayout = new QGridLayout(keysBox);
    const QStringList actions = LabelingShortcuts::actions();
    for (int i = 0; i < actions.size(); ++i) {
        const QString &action = actions[i];
        auto *edit = new QKeySequenceEdit(initial.labelingShortcuts.keys.value(action));
        edit->setObjectName(QStringLiteral("key-") + action);
        labelingKeys_.insert(action, edit);
        const QString label = action.startsWith(QStringLiteral("class-")) ? QStringLiteral("Class %1").arg(action.mid(6)) : action;
        const int column = i < 10 ? 0 : 2;
        const int row = i < 10 ? i : i - 10;
        keysLayout->addWidget(new QLabel(label), row, column);
        keysLayout->addWidget(edit, row, column + 1);
    }
    auto *resetKeys = new QPushButton(QStringLiteral("&Default keys"));
    connect(resetKeys, &QPushButton::clicked, this, [this] {
        const QMap<QString, QKeySequence> defaults = LabelingShortcuts::defaults();
        for (auto it = labelingKeys_.constBegin(); it != labelingKeys_.constEnd(); ++it)
            it.value()->setKeySequence(defaults.value(it.key()));
    });
    keysLayout->addWidget(resetKeys, 6, 2, 1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(keysBox);
    layout->addWidget(buttons);

    country_->setCountryCode(initial.country);
    intensity_->setCurrentIndex(std::max(0, intensity_->findData(initial.intensity)));
    zone_->setText(initial.zone);
    token_->setText(initial.electricityMapsToken);
    pue_->setValue(initial.pue);
    sampleHz_->setValue(initial.sampleHz);
    liveSampleHz_->setValue(initial.liveSampleHz);
    appearance_->setCurrentIndex(std::max(0, appearance_->findData(initial.appearance)));
    updateLiveFields();
}

void SettingsDialog::updateLiveFields()
{
    const bool live = intensity_->currentData().toString() == QStringLiteral("live");
    zone_->setEnabled(live);
    token_->setEnabled(live);
    const bool fromEnvironment = token_->text().isEmpty() && !qEnvironmentVariableIsEmpty("ELECTRICITYMAPS_TOKEN");
    if (!live)
        tokenHint_->setText(QStringLiteral("Runs use the bundled table's value for the region."));
    else if (fromEnvironment)
        tokenHint_->setText(QStringLiteral("No token here: ELECTRICITYMAPS_TOKEN from the environment is used."));
    else if (token_->text().isEmpty())
        tokenHint_->setText(QStringLiteral("Without a token (here or in ELECTRICITYMAPS_TOKEN) runs fall back to the table and say so."));
    else
        tokenHint_->setText(QStringLiteral("Stored in this user's settings file in plain text; the environment variable is the alternative."));
}

WorkbenchSettings SettingsDialog::settings() const
{
    WorkbenchSettings s;
    s.country = country_->countryCode();
    s.intensity = intensity_->currentData().toString();
    s.zone = zone_->text().trimmed();
    s.electricityMapsToken = token_->text().trimmed();
    s.pue = pue_->value();
    s.sampleHz = sampleHz_->value();
    s.liveSampleHz = liveSampleHz_->value();
    s.appearance = appearance_->currentData().toString();
    for (auto it = labelingKeys_.constBegin(); it != labelingKeys_.constEnd(); ++it)
        s.labelingShortcuts.keys.insert(it.key(), it.value()->keySequence());
    return s;
}

} // namespace gw
