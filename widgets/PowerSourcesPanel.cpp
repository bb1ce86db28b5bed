#include "PowerSourcesPanel.h"

#include <QHeaderView>
#include <QLabel>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace gw {

namespace {
enum Column { Source, Active, Provenance, Components, Detail, ColumnCount };
} // namespace

PowerSourcesPanel::PowerSourcesPanel(Probe probe, QWidget *parent)
    : QWidget(parent), probe_(probe ? std::move(probe) : Probe([] { return PowerMeter::forThisMachine()->statuses(); })),
      table_(new QTableWidget(0, ColumnCount)), summary_(new QLabel)
{
    table_->setObjectName(QStringLiteral("powerSourcesTable"));
    table_->setHorizontalHeaderLabels({QStringLiteral("Source"), QStringLiteral("Used"), QStringLiteral("Measured or estimated"),
                                       QStringLiteral("Supplies"), QStringLiteral("Details / why not used")});
    table_->verticalHeader()->hide();
    table_->horizontalHeader()->setStretchLastSection(true);
    table_->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table_->setSelectionBehavior(QAbstractItemView::SelectRows);
    table_->setWordWrap(true);
    table_->setTabKeyNavigation(false); // Tab leaves the table (arrows move between cells): no keyboard trap
    summary_->setWordWrap(true);
    summary_->setObjectName(QStringLiteral("powerSourcesSummary"));
    auto *again = new QPushButton(QStringLiteral("Look &again"));
    again->setToolTip(QStringLiteral("Probe the counters again, e.g. after making RAPL readable"));
    connect(again, &QPushButton::clicked, this, &PowerSourcesPanel::refresh);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(summary_);
    layout->addWidget(table_, 1);
    layout->addWidget(again, 0, Qt::AlignRight);
    refresh();
}

void PowerSourcesPanel::refresh()
{
    const std::vector<PowerSourceStatus> statuses = probe_();
    table_->setRowCount(int(statuses.size()));
    QStringList measured, estimated;
    for (int row = 0; row < int(statuses.size()); ++row) {
        const PowerSourceStatus &s = statuses[size_t(row)];
        const auto put = [&](int column, const QString &text) {
            auto *item = new QTableWidgetItem(text);
            item->setToolTip(s.detail);
            if (!s.active)
                item->setForeground(palette().color(QPalette::Disabled, QPalette::Text));
            table_->setItem(row, column, item);
        };
        put(Source, s.name);
        put(Active, s.active ? QStringLiteral("yes") : QStringLiteral("no"));
        put(Provenance, s.active || s.provenance.isEmpty() ? s.provenance : QStringLiteral("(%1 if used)").arg(s.provenance));
        put(Components, s.components.isEmpty() ? QStringLiteral("–") : s.components);
        put(Detail, s.detail);
        if (s.active)
            (s.provenance == QStringLiteral("measured") ? measured : estimated) << QStringLiteral("%1 (%2)").arg(s.name, s.components);
    }
    table_->resizeColumnsToContents();
    table_->resizeRowsToContents();
    QString text;
    if (!measured.isEmpty())
        text += QStringLiteral("Measured by hardware counters: %1. ").arg(measured.join(QStringLiteral(", ")));
    if (!estimated.isEmpty())
        text += QStringLiteral("Estimated by a model: %1.").arg(estimated.join(QStringLiteral(", ")));
    summary_->setText(text.isEmpty() ? QStringLiteral("No power source is active.") : text.trimmed());
}

} // namespace gw
