#pragma once
#include "report/RunReport.h"

#include <QJsonObject>
#include <QString>

namespace gw {

/// The whole run report as one JSON document, for scripts and for comparing runs across machines.
/// Every key carries its unit (energy_kwh, power_w, duration_s, emissions_g, intensity_g_per_kwh,
/// energy_j) and every energy or power figure sits next to a "source": "measured", "estimated",
/// or "not used" for a component the run did not use.
///
/// Layout (format_version 1):
///   format, format_version, workbench_version
///   run:      id, codecarbon_run_id, project, name, status, started_at, ended_at (ISO 8601 UTC),
///             duration_s, accuracy (0..1 or null), labels_used
///   params:   the run config as stored
///   hardware: HardwareInfo's keys plus gpu_count, gpu_model, ram_total_gb
///   usage:    ram_used_gb (peak resident), cpu_utilization_percent (mean share of the machine)
///   energy:   energy_kwh, source, pue, sample_hz, power_model,
///             components.{cpu,gpu,ram}: energy_kwh, power_w (mean), source,
///             phases[]: phase, energy_kwh, duration_s, source
///   carbon:   emissions_g, source, intensity_g_per_kwh (energy-weighted mean), intensity_origin,
///             country_iso3, country_name, region
///   samples[]: elapsed_s, interval_s, cpu_power_w, gpu_power_w, ram_power_w (without PUE),
///             total_power_w (PUE included), energy_j and emissions_g (cumulative),
///             intensity_g_per_kwh, phase, source
///   metrics[]: step, name, value
/// Energies include the PUE, as in the report. A number that is not finite is written as null.
class RunJson {
public:
    static constexpr int kFormatVersion = 1;

    static QJsonObject toJson(const RunReport &report);
    /// Writes toJson() indented, replacing @p path only once the whole document is written.
    /// Throws gw::Error naming the file when it cannot be written.
    static void write(const RunReport &report, const QString &path);
};

} // namespace gw
