#pragma once
#include "energy/PowerSample.h"
#include "store/RunRecord.h"

#include <QDateTime>
#include <QJsonObject>
#include <QMap>
#include <QString>
#include <QStringList>
#include <optional>
#include <vector>

namespace gw {

/// Energy of one phase of a run (a window named data, train, eval, ... or idle).
struct PhaseEnergy {
    QString phase;
    double energyJ = 0;   ///< PUE included; nested windows' energy belongs to the innermost one
    double durationS = 0; ///< time spent with this phase innermost
};

/// Everything the store knows about one run, gathered for exports (CodeCarbon CSV, model card,
/// JSON). Energies include PUE. Components that a run did not use are 0 with an empty source.
struct RunReport {
    qint64 runId = 0;
    QString project;
    QString name;
    QStringList tags;
    QString notes;
    QString status;
    QDateTime startedAt; ///< UTC
    QDateTime endedAt;   ///< UTC
    double durationS = 0;
    std::optional<double> accuracy;
    qint64 labelsUsed = 0;
    QJsonObject params;   ///< the run config as stored
    QJsonObject hardware; ///< HardwareInfo::toJson(): cpu_model, logical_cores, instruction_sets, blas_*, torch_*

    double energyKwh = 0;
    double emissionsG = 0;
    QString energySource; ///< measured / estimated (estimated when any component was)
    double cpuEnergyKwh = 0, gpuEnergyKwh = 0, ramEnergyKwh = 0;
    double cpuPowerW = 0, gpuPowerW = 0, ramPowerW = 0; ///< mean over the run
    QString cpuSource, gpuSource, ramSource;            ///< measured / estimated / "" (not used)
    int gpuCount = 0;
    QString gpuModel;
    double ramTotalGb = 0;  ///< machine memory
    double ramUsedGb = 0;   ///< peak resident memory of the run's process
    double cpuUtilizationPercent = 0; ///< mean share of the machine's CPUs used by the run

    double intensityGPerKwh = 0; ///< mean over the run, energy-weighted
    QString intensityOrigin;
    QString countryIso3;
    QString countryName;
    QString region;
    double pue = 1;
    double sampleHz = 1;
    QString powerModel;

    std::vector<PhaseEnergy> phases;
    std::vector<PowerSample> samples;
    std::vector<MetricPoint> metrics;
    /// The parts the run reported figures for (a compress run's variants, a federated run's
    /// clients), in the order it reported them, each with its final figures.
    struct Part {
        QString scope;
        QMap<QString, double> figures;
    };
    std::vector<Part> parts;
};

} // namespace gw
