#pragma once
#include <QDateTime>
#include <QString>
#include <QStringList>
#include <optional>

namespace gw {

/// A run as the store keeps it (one row of runs joined with its energy totals).
struct RunRecord {
    qint64 id = 0;
    QString project;
    QString name;
    QString status; ///< running, completed, cancelled, budget_reached, failed
    QString paramsJson;
    QString hardwareJson;
    QDateTime startedAt;
    QDateTime endedAt;
    std::optional<double> accuracy;
    qint64 labelsUsed = 0;
    std::optional<double> durationS;
    QString error;
    // Energy totals (absent while running or when a run failed before measuring anything).
    std::optional<double> energyKwh;
    std::optional<double> emissionsG;
    QString energySource;
    std::optional<double> intensityGPerKwh;
    QString intensityOrigin;
    std::optional<double> pue;
    std::optional<double> cpuEnergyKwh, gpuEnergyKwh, ramEnergyKwh;
    QString cpuSource, gpuSource, ramSource;
    std::optional<double> sampleHz;
    QString powerModel;
    std::optional<double> predictedEnergyKwh, predictedDurationS, predictedEmissionsG;
    std::optional<double> budgetWh, budgetG;
    QStringList tags; ///< a person's words on the run ("baseline", "paper")
    QString notes;
};

/// Energy and carbon totals of a finished run.
struct EnergyTotals {
    double energyKwh = 0;
    double emissionsG = 0;
    QString energySource;     ///< measured / estimated
    double intensityGPerKwh = 0;
    QString intensityOrigin;  ///< e.g. "FRA (France, 2023, OWID/Ember)" or "world average (IEA 2019)"
    double pue = 1;
    double sampleHz = 1;
    QString powerModel;       ///< description of the power source
    double cpuEnergyKwh = 0, gpuEnergyKwh = 0, ramEnergyKwh = 0;
    QString cpuSource, gpuSource, ramSource; ///< measured / estimated / "" when not reported
    std::optional<double> predictedEnergyKwh, predictedDurationS, predictedEmissionsG;
    std::optional<double> budgetWh, budgetG;
};

struct MetricPoint {
    qint64 step = 0;
    QString name;
    double value = 0;
};

} // namespace gw
