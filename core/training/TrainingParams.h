#pragma once
#include <QString>
#include <cstdint>
#include <optional>

namespace gw {

enum class OptimizerKind { Adam, Sgd };

/// Hyper-parameters of one training run (the "training" section of a run config).
struct TrainingParams {
    QString mode = QStringLiteral("scratch");
    int epochs = 1;
    int batchSize = 128;
    double learningRate = 1e-3;
    OptimizerKind optimizer = OptimizerKind::Adam;
    int threads = 0; ///< 0: all logical cores
    std::uint64_t seed = 1;
    double weightDecay = 0;
    int patience = 0;               ///< early stopping: epochs without a better validation accuracy; 0: off
    double validationFraction = 0.2; ///< of the labelled training samples, held out for validation (fine-tuning modes)
    /// Carbon-aware stopping: stop (converged_green) when the validation accuracy gained per Wh over
    /// the last greenStopEpochs epochs falls below this; unset: off.
    std::optional<double> greenStopMinGainPerWh;
    int greenStopEpochs = 3;
    /// Data-parallel across hosts: this run serves hostsCoordinator ("HOST:PORT") and trains with
    /// hostsWorkers workers (0: alone), admitted on the token in hostsTokenFile.
    QString hostsCoordinator = QStringLiteral("127.0.0.1:29500");
    int hostsWorkers = 0;
    QString hostsTokenFile;
};

} // namespace gw
