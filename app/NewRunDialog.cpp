#include "NewRunDialog.h"

#include "CountryComboBox.h"
#include "Error.h"
#include "activelearning/QueryStrategyNames.h"
#include "energy/EnergyMonitor.h"

#include <QComboBox>
#include <QDateTimeEdit>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QDialogButtonBox>
#include <QDoubleSpinBox>
#include <QFile>
#include <QFileDialog>
#include <QFormLayout>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSpinBox>
#include <QThread>

namespace gw {

NewRunDialog::NewRunDialog(const RunConfig &initial, QWidget *parent)
    : QDialog(parent), name_(new QLineEdit), seed_(new QSpinBox), datasetPath_(new QLineEdit), trainSubset_(new QSpinBox),
      epochs_(new QSpinBox), batchSize_(new QSpinBox), learningRate_(new QDoubleSpinBox), optimizer_(new QComboBox),
      threads_(new QSpinBox), sampleHz_(new QDoubleSpinBox), country_(new CountryComboBox), intensity_(new QComboBox),
      zone_(new QLineEdit), pue_(new QDoubleSpinBox), budgetWh_(new QDoubleSpinBox), budgetG_(new QDoubleSpinBox),
      greenestStart_(new QGroupBox(QStringLiteral("Start at the &greenest time"))), forecastFile_(new QLineEdit),
      deadline_(new QDateTimeEdit), expectedDurationS_(new QSpinBox)
{
    setWindowTitle(QStringLiteral("New run"));
    seed_->setRange(0, std::numeric_limits<int>::max());
    datasetPath_->setPlaceholderText(QStringLiteral("Debian package location"));
    trainSubset_->setRange(0, 60000);
    trainSubset_->setSpecialValueText(QStringLiteral("all"));
    trainSubset_->setSingleStep(1000);
    epochs_->setRange(1, 1000);
    batchSize_->setRange(1, 65536);
    learningRate_->setDecimals(6);
    learningRate_->setRange(1e-6, 10);
    learningRate_->setSingleStep(1e-4);
    optimizer_->addItems({QStringLiteral("adam"), QStringLiteral("sgd")});
    threads_->setRange(0, 1024);
    threads_->setSpecialValueText(QStringLiteral("all cores (%1)").arg(QThread::idealThreadCount()));
    sampleHz_->setRange(EnergyMonitor::kMinSampleHz, EnergyMonitor::kMaxSampleHz);
    sampleHz_->setSuffix(QStringLiteral(" Hz"));
    country_->setObjectName(QStringLiteral("runCountry"));
    intensity_->addItem(QStringLiteral("bundled table"), QStringLiteral("table"));
    intensity_->addItem(QStringLiteral("Electricity Maps, live"), QStringLiteral("live"));
    zone_->setPlaceholderText(QStringLiteral("from the country"));
    pue_->setRange(1.0, 3.0);
    pue_->setSingleStep(0.05);
    // 0 means "no budget": a budget of nothing would stop every run at once.
    for (QDoubleSpinBox *budget : {budgetWh_, budgetG_}) {
        budget->setRange(0, 1e9);
        budget->setDecimals(3);
        budget->setSpecialValueText(QStringLiteral("none"));
    }
    budgetWh_->setObjectName(QStringLiteral("budgetWh"));
    budgetWh_->setSuffix(QStringLiteral(" Wh"));
    budgetG_->setObjectName(QStringLiteral("budgetG"));
    budgetG_->setSuffix(QStringLiteral(" g CO₂e"));
    budgetWh_->setToolTip(QStringLiteral("Stop cleanly (budget_reached) when the predicted or measured energy exceeds this"));
    budgetG_->setToolTip(QStringLiteral("Stop cleanly (budget_reached) when the predicted or measured emissions exceed this"));

    greenestStart_->setObjectName(QStringLiteral("greenestStart"));
    greenestStart_->setCheckable(true);
    greenestStart_->setChecked(false);
    forecastFile_->setObjectName(QStringLiteral("forecastFile"));
    forecastFile_->setPlaceholderText(QStringLiteral("Electricity Maps forecast (needs a token)"));
    auto *browse = new QPushButton(QStringLiteral("…"));
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
    greenestForm->addRow(QStringLiteral("Forecast CSV"), forecastRow);
    greenestForm->addRow(QStringLiteral("Finished &by"), deadline_);
    greenestForm->addRow(QStringLiteral("E&xpected duration"), expectedDurationS_);

    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("&Name"), name_);
    form->addRow(QStringLiteral("&Seed"), seed_);
    form->addRow(QStringLiteral("Fashion-MNIST &folder"), datasetPath_);
    form->addRow(QStringLiteral("&Training samples"), trainSubset_);
    form->addRow(QStringLiteral("&Epochs"), epochs_);
    form->addRow(QStringLiteral("&Batch size"), batchSize_);
    form->addRow(QStringLiteral("&Learning rate"), learningRate_);
    form->addRow(QStringLiteral("&Optimizer"), optimizer_);
    form->addRow(QStringLiteral("T&hreads"), threads_);
    form->addRow(QStringLiteral("Energy sampling &rate"), sampleHz_);
    form->addRow(QStringLiteral("Grid &country"), country_);
    form->addRow(QStringLiteral("Carbon &intensity"), intensity_);
    form->addRow(QStringLiteral("Electricity Maps &zone"), zone_);
    form->addRow(QStringLiteral("&PUE"), pue_);
    form->addRow(QStringLiteral("Energy b&udget"), budgetWh_);
    form->addRow(QStringLiteral("Carbon bu&dget"), budgetG_);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    QPushButton *start = buttons->button(QDialogButtonBox::Ok);
    start->setText(QStringLiteral("Start run"));
    connect(greenestStart_, &QGroupBox::toggled, start, [start](bool scheduled) {
        start->setText(scheduled ? QStringLiteral("Schedule run") : QStringLiteral("Start run"));
    });
    QPushButton *load = buttons->addButton(QStringLiteral("Load config…"), QDialogButtonBox::ActionRole);
    QPushButton *save = buttons->addButton(QStringLiteral("Save config…"), QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(load, &QPushButton::clicked, this, &NewRunDialog::loadFromFile);
    connect(save, &QPushButton::clicked, this, &NewRunDialog::saveToFile);

    // Active learning: labels asked for round by round, from a person (the Labeling dock) or simulated.
    activeLearning_ = new QGroupBox(QStringLiteral("&Active learning (linear probe of the backbone, labels asked round by round)"));
    activeLearning_->setCheckable(true);
    activeLearning_->setObjectName(QStringLiteral("activeLearningGroup"));
    strategy_ = new QComboBox;
    strategy_->addItems(QueryStrategyNames::all());
    oracle_ = new QComboBox;
    oracle_->addItem(QStringLiteral("I label (Labeling dock)"), QStringLiteral("human"));
    oracle_->addItem(QStringLiteral("Simulated from the dataset's labels"), QStringLiteral("simulated"));
    initialLabels_ = new QSpinBox;
    batchLabels_ = new QSpinBox;
    labelBudget_ = new QSpinBox;
    for (QSpinBox *box : {initialLabels_, batchLabels_, labelBudget_})
        box->setRange(1, 1000000);
    noise_ = new QDoubleSpinBox;
    noise_->setRange(0, 1);
    noise_->setSingleStep(0.05);
    noise_->setToolTip(QStringLiteral("Simulated oracle: the chance of a wrong label"));
    auto *alForm = new QFormLayout(activeLearning_);
    alForm->addRow(QStringLiteral("Query s&trategy"), strategy_);
    alForm->addRow(QStringLiteral("Who &labels"), oracle_);
    alForm->addRow(QStringLiteral("First labels"), initialLabels_);
    alForm->addRow(QStringLiteral("Labels per round"), batchLabels_);
    alForm->addRow(QStringLiteral("Label budget"), labelBudget_);
    alForm->addRow(QStringLiteral("Label noise"), noise_);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(activeLearning_);
    layout->addWidget(greenestStart_);
    layout->addWidget(buttons);
    setConfig(initial);
}

void NewRunDialog::setConfig(const RunConfig &config)
{
    base_ = config;
    name_->setText(config.name);
    seed_->setValue(int(std::min<std::uint64_t>(config.seed, std::numeric_limits<int>::max())));
    datasetPath_->setText(config.dataset.path);
    trainSubset_->setValue(int(config.dataset.trainSubset));
    epochs_->setValue(config.training.epochs);
    batchSize_->setValue(config.training.batchSize);
    learningRate_->setValue(config.training.learningRate);
    optimizer_->setCurrentIndex(config.training.optimizer == OptimizerKind::Sgd ? 1 : 0);
    threads_->setValue(config.training.threads);
    sampleHz_->setValue(config.energy.sampleHz);
    country_->setCountryCode(config.energy.country);
    intensity_->setCurrentIndex(std::max(0, intensity_->findData(config.energy.intensity)));
    zone_->setText(config.energy.zone);
    pue_->setValue(config.energy.pue);
    budgetWh_->setValue(config.energy.budgetWh.value_or(0));
    budgetG_->setValue(config.energy.budgetG.value_or(0));
    const RunConfig::ActiveLearning &al = config.activeLearning;
    activeLearning_->setChecked(al.enabled);
    strategy_->setCurrentText(al.strategy);
    oracle_->setCurrentIndex(std::max(0, oracle_->findData(al.oracle)));
    initialLabels_->setValue(int(al.initial));
    batchLabels_->setValue(int(al.batch));
    labelBudget_->setValue(int(al.budget));
    noise_->setValue(al.noise);
}

RunConfig NewRunDialog::config() const
{
    RunConfig config = base_;
    config.name = name_->text().trimmed().isEmpty() ? QStringLiteral("run") : name_->text().trimmed();
    config.seed = std::uint64_t(seed_->value());
    config.dataset.path = datasetPath_->text().trimmed();
    config.dataset.trainSubset = trainSubset_->value();
    config.training.epochs = epochs_->value();
    config.training.batchSize = batchSize_->value();
    config.training.learningRate = learningRate_->value();
    config.training.optimizer = optimizer_->currentIndex() == 1 ? OptimizerKind::Sgd : OptimizerKind::Adam;
    config.training.threads = threads_->value();
    config.training.seed = config.seed;
    config.energy.sampleHz = sampleHz_->value();
    config.energy.country = country_->countryCode();
    config.energy.intensity = intensity_->currentData().toString();
    config.energy.zone = zone_->text().trimmed();
    config.energy.pue = pue_->value();
    config.energy.budgetWh.reset();
    config.energy.budgetG.reset();
    if (budgetWh_->value() > 0)
        config.energy.budgetWh = budgetWh_->value();
    if (budgetG_->value() > 0)
        config.energy.budgetG = budgetG_->value();
    RunConfig::ActiveLearning &al = config.activeLearning;
    al.enabled = activeLearning_->isChecked();
    if (al.enabled) {
        // The loop retrains a head on cached features: a backbone and a linear probe.
        if (config.model.source == QStringLiteral("scratch") && config.training.mode == QStringLiteral("scratch"))
            config.model.source = QStringLiteral("bundled");
        config.training.mode = QStringLiteral("linear-probe");
        al.strategy = strategy_->currentText();
        al.oracle = oracle_->currentData().toString();
        al.initial = initialLabels_->value();
        al.batch = batchLabels_->value();
        al.budget = std::max(labelBudget_->value(), initialLabels_->value());
        al.noise = noise_->value();
    }
    return config;
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
        setConfig(RunConfig::fromFile(path));
    } catch (const Error &e) {
        QMessageBox::warning(this, QStringLiteral("Cannot load config"), e.message());
    }
}

void NewRunDialog::saveToFile()
{
    const QString path = QFileDialog::getSaveFileName(this, QStringLiteral("Save run config"), name_->text() + QStringLiteral(".json"),
                                                      QStringLiteral("Run configs (*.json)"));
    if (path.isEmpty())
        return;
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(QByteArray::fromStdString(config().toJsonText() + "\n")) < 0)
        QMessageBox::warning(this, QStringLiteral("Cannot save config"), QStringLiteral("%1: %2").arg(path, file.errorString()));
}

} // namespace gw
