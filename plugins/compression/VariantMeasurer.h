#pragma once
#include "ConvGraph.h"
#include "data/ImageDataset.h"
#include "jobs/RunWork.h"

#include <QJsonObject>
#include <optional>

namespace gw::compression {

struct MeasureOptions {
    int passes = 30;        ///< timed passes for each latency figure (the median is kept), after warm-up
    int energySamples = 20; ///< the energy monitor's samples the inference window must hold at least
    double sampleHz = 1;    ///< the run's sampling rate, which sets the window's length
};

/// A variant's figures, every one measured the same way on the same machine in the same run.
struct VariantFigures {
    double accuracy = 0; ///< on the test set, through the TorchScript file
    qint64 parameters = 0, nonzeroParameters = 0, multiplyAdds = 0;
    qint64 fileBytes = 0, compressedBytes = 0; ///< the TorchScript file, and zlib-compressed (what zeros buy)
    double latencyMs = 0;                      ///< batch 1, median
    double throughput = 0;                     ///< images per second at batch 64, median
    double energyPer1kInferencesJ = 0;         ///< PUE included
    QString energySource;                      ///< measured / estimated
    double co2ePerMillionInferencesG = 0;      ///< at the run's intensity
    qint64 inferenceWindowImages = 0;
    double inferenceWindowS = 0;

    QJsonObject toJson() const;
};

/// Measures a variant from its TorchScript file (what is shipped, loaded with stock
/// torch::jit::load): test accuracy, sizes, latency at batch 1 and throughput at batch 64 (medians
/// after warm-up, the run's thread count), and the energy per 1,000 inferences from an energy
/// window (phase "infer", scope "variant NAME") long enough to hold the asked number of the
/// monitor's samples.
class VariantMeasurer {
public:
    VariantMeasurer(RunContext &context, const ImageDataset &test, MeasureOptions options);
    /// Throws Error naming @p torchScriptFile when it cannot be loaded or run; nothing when cancelled.
    std::optional<VariantFigures> measure(const QString &name, const QString &torchScriptFile, const ConvGraph &graph);

private:
    RunContext &context_;
    const ImageDataset &test_;
    MeasureOptions options_;
};

/// After how many inferences a variant that cost @p compressionJ to make has saved that much
/// against the reference's energy per inference; nothing when it saves nothing per inference.
std::optional<double> breakEvenInferences(double compressionJ, double referencePer1kJ, double variantPer1kJ);

} // namespace gw::compression
