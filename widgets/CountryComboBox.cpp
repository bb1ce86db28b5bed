#include "CountryComboBox.h"

#include "energy/ReferenceTables.h"

#include <algorithm>

namespace gw {

CountryComboBox::CountryComboBox(QWidget *parent) : QComboBox(parent)
{
    const CarbonIntensityTable &table = CarbonIntensityTable::bundled();
    addItem(QStringLiteral("World average (%1 g/kWh)").arg(CarbonIntensityTable::kWorldAverageGPerKwh, 0, 'f', 0), QString());
    // Sorted by name for people; the code travels as item data.
    QList<CarbonIntensityTable::Entry> entries;
    for (const QString &code : table.codes())
        entries << *table.find(code);
    std::sort(entries.begin(), entries.end(), [](const auto &a, const auto &b) { return a.country < b.country; });
    for (const auto &e : entries)
        addItem(QStringLiteral("%1 (%2, %3 g/kWh, %4)").arg(e.country, e.iso3).arg(e.intensityGPerKwh, 0, 'f', 0).arg(e.year), e.iso3);
    setMaxVisibleItems(20);
}

void CountryComboBox::setCountryCode(const QString &iso3)
{
    setCurrentIndex(std::max(0, findData(iso3.toUpper())));
}

} // namespace gw
