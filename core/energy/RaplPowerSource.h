#pragma once
#include "energy/PowerSource.h"

#include <QByteArray>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

namespace gw {

/// CPU package and DRAM power from Intel/AMD RAPL counters in Linux powercap sysfs
/// (/sys/class/powercap/intel-rapl:N[:M]/energy_uj). Counted: every top-level package or die
/// domain once (a domain name listed twice, e.g. by intel-rapl-mmio, counts once) and the DRAM
/// sub-domains; never core/uncore (nested inside the package) nor psys (which contains both).
/// Counters are read as deltas; a counter that went down wrapped at max_energy_range_uj, and
/// when an interval is long enough to wrap several times at the domain's recent power, the
/// number of wraps is inferred from that power.
class RaplPowerSource : public PowerSource {
public:
    /// Reads a sysfs file; returns nullopt and sets *error (e.g. "permission denied") on failure.
    using FileReader = std::function<std::optional<QByteArray>(const QString &path, QString *error)>;
    using Clock = std::function<double()>;

    struct Domain {
        QString path;  ///< the domain's folder
        QString name;  ///< "package-0", "package-0-die-1", "dram"
        bool dram = false;
        double maxRangeUj = 0;
        double lastUj = 0;
        double lastS = 0;       ///< clock time of lastUj
        double lastPowerW = -1; ///< unknown until the first interval
    };

    /// Finds and opens the counters below @p root. Returns nullptr with *whyNot set to a sentence
    /// saying what was found, why it cannot be used and what to do.
    static std::unique_ptr<RaplPowerSource> open(const QString &root = QStringLiteral("/sys/class/powercap"),
                                                 QString *whyNot = nullptr, FileReader reader = {}, Clock clock = {});

    QString name() const override { return QStringLiteral("RAPL"); }
    QString provenance() const override { return QStringLiteral("measured"); }
    QString description() const override;
    PowerCoverage coverage() const override { return {true, false, hasDram_}; }
    PowerReading read() override;

    const std::vector<Domain> &domains() const { return domains_; }

    static FileReader defaultReader();
    static Clock defaultClock();

private:
    RaplPowerSource(std::vector<Domain> domains, FileReader reader, Clock clock);
    double readCounter(const Domain &domain) const;
    /// Energy in µJ between two readings, wraps included.
    static double deltaUj(Domain &domain, double nowUj, double intervalS);

    std::vector<Domain> domains_;
    FileReader reader_;
    Clock clock_;
    bool hasDram_ = false;
};

} // namespace gw
