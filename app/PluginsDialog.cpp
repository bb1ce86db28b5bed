#include "PluginsDialog.h"

#include "WorkbenchSettings.h"
#include "extension/PluginManager.h"

#include <QDialogButtonBox>
#include <QFileInfo>
#include <QHeaderView>
#include <QLabel>
#include <QSettings>
#include <QTableWidget>
#include <QVBoxLayout>

namespace gw {

namespace {

enum Column { Enabled, Plugin, Version, State, Kinds, Details, ColumnCount };

} // namespace

PluginsDialog::PluginsDialog(const PluginManager &manager, QWidget *parent) : QDialog(parent), table_(new QTableWidget)
{
    setWindowTitle(QStringLiteral("Plugins"));
    table_->setObjectName(QStringLiteral("pluginsTable"));
    table_->setColumnCount(ColumnCount);
    table_->setHorizontalHeaderLabels({QStringLiteral("On"), QStringLiteral("Plugin"), QStringLiteral("Version"), QStringLiteral("State"),
                                       QStringLiteral("Kinds of run"), QStringLiteral("Details")});
    table_->verticalHeader()->hide();
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setWordWrap(true);
    const QSettings settings;
    const QStringList disabled = WorkbenchSettings::load(settings).disabledPlugins;
    const std::vector<PluginSpec> &plugins = manager.plugins();
    table_->setRowCount(int(plugins.size()));
    for (int row = 0; row < int(plugins.size()); ++row) {
        const PluginSpec &spec = plugins[std::size_t(row)];
        auto *on = new QTableWidgetItem;
        on->setFlags(Qt::ItemIsUserCheckable | Qt::ItemIsEnabled | Qt::ItemIsSelectable);
        on->setCheckState(disabled.contains(spec.id) ? Qt::Unchecked : Qt::Checked);
        on->setData(Qt::UserRole, spec.id);
        on->setToolTip(QStringLiteral("Load %1 at the next start").arg(spec.id));
        table_->setItem(row, Enabled, on);
        auto *name = new QTableWidgetItem(spec.name.isEmpty() ? spec.id : QStringLiteral("%1 (%2)").arg(spec.name, spec.id));
        name->setToolTip(spec.description);
        table_->setItem(row, Plugin, name);
        table_->setItem(row, Version, new QTableWidgetItem(spec.version));
        auto *state = new QTableWidgetItem(PluginSpec::stateName(spec.state));
        if (spec.state == PluginSpec::State::Failed)
            state->setForeground(QColor(0xD5, 0x5E, 0x00)); // vermilion (Okabe-Ito), as the other warnings
        table_->setItem(row, State, state);
        table_->setItem(row, Kinds, new QTableWidgetItem(spec.kinds.join(QStringLiteral(", "))));
        // The reason reads first; the file, long and the same folder each time, is in the tooltip.
        auto *details = new QTableWidgetItem(spec.reason.isEmpty() ? QFileInfo(spec.file).fileName() : spec.reason);
        details->setToolTip(spec.reason.isEmpty() ? spec.file : QStringLiteral("%1\n%2").arg(spec.reason, spec.file));
        table_->setItem(row, Details, details);
    }
    table_->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    table_->horizontalHeader()->setSectionResizeMode(Details, QHeaderView::Stretch);
    // Wrapped reasons take the rows' height they need at the width the table ends up with.
    connect(table_->horizontalHeader(), &QHeaderView::sectionResized, table_, &QTableWidget::resizeRowsToContents);
    table_->resizeRowsToContents();
    connect(table_, &QTableWidget::itemChanged, this, [this](QTableWidgetItem *item) {
        if (item->column() != Enabled)
            return;
        // The switch is per plugin id: the other files of the same plugin (a duplicate, another version) follow.
        const QSignalBlocker quiet(table_);
        for (int row = 0; row < table_->rowCount(); ++row)
            if (QTableWidgetItem *other = table_->item(row, Enabled); other != item && other->data(Qt::UserRole) == item->data(Qt::UserRole))
                other->setCheckState(item->checkState());
        saveEnabled();
    });

    auto *note = new QLabel(plugins.empty() ? QStringLiteral("No plugins found in: %1").arg(PluginManager::defaultSearchPaths().join(QStringLiteral(", ")))
                                            : QStringLiteral("Switching a plugin on or off takes effect at the next start."));
    note->setWordWrap(true);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(table_, 1);
    layout->addWidget(note);
    layout->addWidget(buttons);
    resize(900, 420);
}

void PluginsDialog::saveEnabled()
{
    QSettings settings;
    WorkbenchSettings chosen = WorkbenchSettings::load(settings);
    for (int row = 0; row < table_->rowCount(); ++row) {
        const QTableWidgetItem *on = table_->item(row, Enabled);
        const QString id = on->data(Qt::UserRole).toString();
        chosen.disabledPlugins.removeAll(id);
        if (on->checkState() == Qt::Unchecked)
            chosen.disabledPlugins << id;
    }
    chosen.disabledPlugins.removeDuplicates();
    chosen.save(settings);
}

} // namespace gw
