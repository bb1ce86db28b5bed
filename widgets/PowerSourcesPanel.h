#pragma once
#include "energy/PowerMeter.h"

#include <QWidget>
#include <functional>
#include <vector>

class QLabel;
class QTableWidget;

namespace gw {

/// Which power sources this machine offers and what each one does: active or not, measured or
/// estimated, the components it supplies, and, for a counter that is not used, why and what to do.
/// The statuses come from a probe function so the panel can look again (after `chmod` on RAPL,
/// say) and tests can give it crafted statuses.
class PowerSourcesPanel : public QWidget {
    Q_OBJECT
public:
    using Probe = std::function<std::vector<PowerSourceStatus>()>;
    /// @p probe defaults to PowerMeter::forThisMachine().statuses().
    explicit PowerSourcesPanel(Probe probe = {}, QWidget *parent = nullptr);

    QTableWidget *table() const { return table_; }

public Q_SLOTS:
    void refresh();

private:
    Probe probe_;
    QTableWidget *table_;
    QLabel *summary_;
};

} // namespace gw
