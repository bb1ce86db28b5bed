#pragma once
#include "extension/RunKind.h"

namespace gw::compression {

/// The "compress" kind: takes a trained model (another run's artifact or a safetensors file) and
/// makes variants of it step by step (structured pruning with recovery, unstructured pruning as a
/// size option, distillation into a smaller student, int8 quantization), measuring the input and every variant the same way: accuracy, size, latency,
/// throughput, energy per 1,000 inferences and the break-even of what compressing cost.
class CompressKind : public RunKind {
public:
    QString id() const override { return QStringLiteral("compress"); }
    QString title() const override;
    QString description() const override;
    std::vector<RunParameterSection> ownSections() const override;
    std::vector<RunParameter> ownParameters() const override;
    QStringList sharedKeys() const override;
    void applyDefaults(RunConfig &config) const override;
    void check(const RunConfig &config, const QString &origin) const override;
    std::unique_ptr<RunWork> createWork(const RunConfig &config) const override;
    std::vector<ResultMetric> resultMetrics() const override;

    /// The steps a pipeline may hold, in the order a person would usually chain them.
    static QStringList knownSteps();
    /// The config's compress.steps, split and trimmed.
    static QStringList stepsOf(const RunConfig &config);
};

} // namespace gw::compression
