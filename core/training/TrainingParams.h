#pragma once
#include <QString>
#include <cstdint>

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
};

} // namespace gw
