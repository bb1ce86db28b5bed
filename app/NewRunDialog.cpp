#include "NewRunDialog.h"

#include "Error.h"
#include "energy/ReferenceTables.h"

#include <QComboBox>
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
      threads_(new QSpinBox), sampleHz_(new QDoubleSpinBox), country_(new QComboBox), pue_(new QDoubleSpinBox)
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
    sampleHz_->setRange(0.2, 20);
    sampleHz_->setSuffix(QStringLiteral(" Hz"));
    country_->addItem(QStringLiteral("World average (475 g/kWh)"), QString());
    // Country names sorted for people; the ISO code travels as item data.
    QList<CarbonIntensityTable::Entry> entries;
    for (const QString &code : CarbonIntensityTable::bundled().codes())
        entries << *CarbonIntensityTable::bundled().find(code);
    std::sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) { return a.country < b.country; });
    for (const auto &e : entries)
        country_->addItem(QStringLiteral("%1 (%2, %3 g/kWh)").arg(e.country, e.iso3).arg(e.intensityGPerKwh, 0, 'f', 0), e.iso3);
    pue_->setRange(1.0, 3.0);
    pue_->setSingleStep(0.05);

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
    form->addRow(QStringLiteral("&PUE"), pue_);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("Start run"));
    QPushButton *load = buttons->addButton(QStringLiteral("Load config…"), QDialogButtonBox::ActionRole);
    QPushButton *save = buttons->addButton(QStringLiteral("Save config…"), QDialogButtonBox::ActionRole);
    connect(buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(load, &QPushButton::clicked, this, &NewRunDialog::loadFromFile);
    connect(save, &QPushButton::clicked, this, &NewRunDialog::saveToFile);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(buttons);
    setConfig(initial);
}

void NewRunDialog::setConfig(const RunConfig &config)
{
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
    country_->setCurrentIndex(std::max(0, country_->findData(config.energy.country)));
    pue_->setValue(config.energy.pue);
}

RunConfig NewRunDialog::config() const
{
    RunConfig config;
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
    config.energy.country = country_->currentData().toString();
    config.energy.pue = pue_->value();
    return config;
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
