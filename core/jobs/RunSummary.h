#pragma once
#include <QJsonObject>
#include <QMap>
#include <optional>
#include <QMetaType>
#include <QString>

namespace gw {

/// The outcome of one run, as the command line prints it with --json and the GUI shows it.
struct RunSummary {
    qint64 runId = 0;
    QString name;
    QString status;        ///< completed, cancelled, budget_reached, failed
    double accuracy = 0;   ///< test-set accuracy in 0..1 after the last completed epoch
    bool accuracyEvaluated = false; ///< false when the run ended before any evaluation: accuracy is then null in JSON, "-" on screen
    qint64 labelsUsed = 0;
    double durationS = 0;
    double energyKwh = 0;
    double emissionsG = 0;
    QString energySource;  ///< measured / estimated
    double intensityGPerKwh = 0;
    QString intensityOrigin;
    QString error;
    std::optional<double> predictedEnergyKwh; ///< the last prediction made during the run
    std::optional<double> predictedDurationS;
    std::optional<double> predictedEmissionsG;
    QMap<QString, double> energyByPhaseKwh;    ///< data, train, eval, ..., idle
    QJsonObject extra;                         ///< the work's own keys (embedding_cache, model_source, ...)

    QJsonObject toJson() const;
};

} // namespace gw

Q_DECLARE_METATYPE(gw::RunSummary)
