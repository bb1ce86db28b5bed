#pragma once
#include "report/RunReport.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QUuid>

namespace gw {

/// Writes runs as rows of a CodeCarbon `emissions.csv` (the 38 columns of CodeCarbon 3.x, in its
/// order), so tools that read CodeCarbon output (its dashboard, pandas notebooks, BoAmps
/// converters) read our runs too. Units are CodeCarbon's: duration s, emissions kg CO2eq,
/// emissions_rate kg/s, power W (mean over the run), energy kWh with PUE included, RAM GB.
///
/// Conventions followed from CodeCarbon's EmissionsData and FileOutput:
/// - timestamp: the end of the run as "yyyy-MM-ddTHH:mm:ss" (CodeCarbon writes the time the row
///   was written, in local time without a zone; we write UTC so the row does not depend on where
///   it was exported).
/// - run_id: a UUID, as CodeCarbon's; ours is name-based (v5) on project, run id and start time,
///   so exporting the same run twice gives the same run_id (CodeCarbon's "update" mode keys on it).
/// - experiment_id: a UUID for the experiment the run repeats: name-based on project and run name.
/// - on_cloud "N" with empty cloud_provider/cloud_region: the workbench runs on private machines.
/// - tracking_mode: "machine" when the CPU figure comes from RAPL counters (whole packages),
///   "process" when it comes from the CPU-time model (this process's share of the machine).
/// - Left empty (CodeCarbon writes None as empty): python_version, codecarbon_version, longitude,
///   latitude, os (not recorded with a run), gpu_count/gpu_model/gpu_utilization_percent without
///   a GPU, gpu_utilization_percent always (not recorded), and water_consumed/wue: the water
///   usage effectiveness of the site is unknown, and 0 would claim that no water was used.
///
/// Measured or estimated: CodeCarbon's CSV has no column for it, and overloading an existing one
/// would break readers that check its values, so the flag goes nowhere in the CSV. It can only be
/// inferred from tracking_mode ("machine" means RAPL, measured; "process" the CPU-time model,
/// estimated). The model card (ModelCard) and the JSON export (RunJson) carry it explicitly for
/// every figure; export those alongside the CSV when the source matters.
class CodeCarbonCsv {
public:
    /// The 38 column names, in CodeCarbon's order.
    static const QStringList &columns();
    /// The header line as CodeCarbon writes it, without a line end.
    static QByteArray headerLine();

    /// The row's values in column order, unquoted (empty where a field does not apply).
    static QStringList rowValues(const RunReport &report);
    /// One CSV line (RFC 4180 quoting where a value needs it), without a line end.
    static QByteArray formatLine(const QStringList &values);

    /// Appends one row for @p report to @p path, writing the header first when the file is new or
    /// empty. Throws gw::Error naming the file when it exists with another header (the file is
    /// then left as it was) or cannot be read or written.
    static void append(const RunReport &report, const QString &path);
    /// The content of an emissions file that held @p existing, with a row for @p report added
    /// (the header first when @p existing is empty); throws gw::Error naming @p origin when
    /// @p existing has another header.
    static QByteArray withRowAppended(QByteArray existing, const RunReport &report, const QString &origin);

    static QUuid runUuid(const RunReport &report);
    static QUuid experimentUuid(const RunReport &report);
    static QString trackingMode(const RunReport &report);
};

} // namespace gw
