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
    /// Fine-tuning: evaluate the test set after every epoch (a curve of it) rather than once, at the
    /// end, on the weights the run keeps (the best validation epoch's, or the last). Through the
    /// backbone the test set can cost more than a short epoch on 1,000 labels: off by default.
    bool testEachEpoch = false;
    /// Carbon-aware stopping: stop (converged_green) when the validation accuracy gained per Wh over
    /// the last greenStopEpochs epochs falls below this; unset: off.
    std::optional<double> greenStopMinGainPerWh;
    int greenStopEpochs = 3;
    /// How a linear probe's head is fitted: "lbfgs" (full batch, an L2 penalty of
    /// ProbeHead::penaltyGrid() chosen by cross-validation on every label) or "epochs"
    /// (mini-batches with the optimizer, early and green stopping, per-epoch checkpoints).
    QString probeSolver = QStringLiteral("lbfgs");
    /// Semi-supervised fine-tuning (FixMatch): per labelled sample in a step, semiRatio unlabelled
    /// ones of the pool (0: off); their weakly augmented view's confident predictions (max
    /// probability >= semiThreshold) are the targets of their strongly augmented view, weighted by
    /// semiWeight. Once the run's energy reaches semiBudgetWh (unset: no limit) it goes on with
    /// the labels only.
    double semiRatio = 0;
    double semiThreshold = 0.95;
    double semiWeight = 1.0;
    std::optional<double> semiBudgetWh;
    /// Data-parallel across hosts: this run serves hostsCoordinator ("HOST:PORT") and trains with
    /// hostsWorkers workers (0: alone), admitted on the token in hostsTokenFile.
    QString hostsCoordinator = QStringLiteral("127.0.0.1:29500");
    int hostsWorkers = 0;
    QString hostsTokenFile;
};

} // namespace gw
