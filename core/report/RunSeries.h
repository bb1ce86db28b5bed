#pragma once
#include "report/RunReport.h"
#include "store/RunRecord.h"

#include <QMap>
#include <vector>

namespace gw {

class Database;

/// What the Compare view draws of one run besides its totals: the accuracy curve against labels and
/// against the energy spent so far, and the energy per phase.
///  - Active-learning runs: one point per round (labels so far; energy = the data and embed phases
///    plus every round's train, eval, query and label-wait energy up to it).
///  - Epoch-based runs: one point per epoch (the run's labels; energy = the power samples' cumulative
///    energy at the end of that epoch's "eval" window, interpolated).
struct RunSeries {
    struct Point {
        double labels = 0;
        double accuracy = 0; ///< test accuracy, 0..1
        double energyWh = 0; ///< spent by the run up to this point, PUE included
    };
    qint64 runId = 0;
    QString name;
    std::vector<Point> curve;
    std::vector<PhaseEnergy> phases;
    /// What the run ended with, per figure of the whole run (the last value of each metric).
    QMap<QString, double> results;

    static RunSeries load(const Database &db, const RunRecord &run);
    /// Cumulative energy (J) at @p elapsedS, linear between samples (0 before the first).
    static double energyAt(const std::vector<PowerSample> &samples, double elapsedS);
};

} // namespace gw
