#pragma once
#include <QComboBox>

namespace gw {

/// The grid region chooser: "World average" first, then every country of the bundled carbon
/// intensity table sorted by name, each showing its intensity; the ISO 3166 alpha-3 code is the
/// item data ("" for the world average), which is what run configs store.
class CountryComboBox : public QComboBox {
    Q_OBJECT
public:
    explicit CountryComboBox(QWidget *parent = nullptr);

    QString countryCode() const { return currentData().toString(); }
    /// Selects @p iso3; an unknown or empty code selects the world average.
    void setCountryCode(const QString &iso3);
};

} // namespace gw
