#include "VariantMeasurer.h"

#include "Error.h"
#include "models/ImageTensors.h"

#include <QElapsedTimer>
#include <QFile>
#include <algorithm>
#include <cmath>
#include <torch/script.h>
#include <torch/torch.h>

namespace gw::compression {

namespace {

constexpr std::int64_t kThroughputBatch = 64;
constexpr std::int64_t kAccuracyBatch = 256;
constexpr int kWarmUpPasses = 5;

/// Median wall time (ms) of @p passes calls of @p forward after a warm-up.
double medianMs(torch::jit::Module &module, const torch::Tensor &input, int passes)
{
    for (int i = 0; i < kWarmUpPasses; ++i)
        module.forward({input});
    std::vector<double> ms;
    for (int i = 0; i < passes; ++i) {
        QElapsedTimer clock;
        clock.start();
        module.forward({input});
        ms.push_back(double(clock.nsecsElapsed()) / 1e6);
    }
    std::nth_element(ms.begin(), ms.begin() + std::ptrdiff_t(ms.size() / 2), ms.end());
    return ms[ms.size() / 2];
}

} // namespace

QJsonObject VariantFigures::toJson() const
{
    return {{QStringLiteral("accuracy"), accuracy},
            {QStringLiteral("parameters"), double(parameters)},
            {QStringLiteral("nonzero_parameters"), double(nonzeroParameters)},
            {QStringLiteral("multiply_adds"), double(multiplyAdds)},
            {QStringLiteral("file_bytes"), double(fileBytes)},
            {QStringLiteral("compressed_bytes"), double(compressedBytes)},
            {QStringLiteral("latency_ms_batch1"), latencyMs},
            {QStringLiteral("throughput_batch64"), throughput},
            {QStringLiteral("energy_per_1k_inferences_j"), energyPer1kInferencesJ},
            {QStringLiteral("energy_source"), energySource},
            {QStringLiteral("co2e_per_million_inferences_g"), co2ePerMillionInferencesG},
            {QStringLiteral("inference_window_images"), double(inferenceWindowImages)},
            {QStringLiteral("inference_window_s"), inferenceWindowS}};
}

VariantMeasurer::VariantMeasurer(RunContext &context, const ImageDataset &test, MeasureOptions options)
    : context_(context), test_(test), options_(options)
{
}

std::optional<VariantFigures> VariantMeasurer::measure(const QString &name, const QString &file, const ConvGraph &graph)
{
    torch::jit::Module module;
    try {
        module = torch::jit::load(file.toStdString());
    } catch (const std::exception &e) {
        throw Error::in(file, QStringLiteral("the variant's TorchScript file cannot be loaded: %1").arg(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
    }
    module.eval();
    torch::NoGradGuard noGrad;
    VariantFigures f;
    f.parameters = graph.parameterCount();
    f.nonzeroParameters = graph.nonzeroParameters();
    f.multiplyAdds = graph.multiplyAdds();
    QFile bytes(file);
    if (!bytes.open(QIODevice::ReadOnly))
        throw Error::in(file, QStringLiteral("cannot read the variant's file: %1").arg(bytes.errorString()));
    const QByteArray content = bytes.readAll();
    f.fileBytes = content.size();
    f.compressedBytes = qCompress(content, 9).size() - 4; // qCompress prefixes the length

    // The shipped module takes images in 0..1 and normalises them itself.
    InputSpec raw = graph.input;
    raw.mean.assign(raw.mean.size(), 0.0);
    raw.std.assign(raw.std.size(), 1.0);
    const torch::Tensor labels = ImageTensors::labels(test_);
    std::int64_t correct = 0;
    {
        MeasuredWindow window(context_, QStringLiteral("eval"), QStringLiteral("variant %1").arg(name));
        for (std::int64_t first = 0; first < test_.size(); first += kAccuracyBatch) {
            if (context_.cancelFlag().load())
                return std::nullopt;
            const std::int64_t count = std::min(kAccuracyBatch, test_.size() - first);
            const torch::Tensor logits = module.forward({ImageTensors::batch(test_, first, count, raw)}).toTensor();
            correct += logits.argmax(1).eq(labels.slice(0, first, first + count)).sum().item<std::int64_t>();
        }
    }
    f.accuracy = test_.size() > 0 ? double(correct) / double(test_.size()) : 0;

    const std::int64_t available = std::max<std::int64_t>(1, std::min(kThroughputBatch, test_.size()));
    const torch::Tensor one = ImageTensors::batch(test_, 0, 1, raw);
    const torch::Tensor batch = ImageTensors::batch(test_, 0, available, raw).repeat({(kThroughputBatch + available - 1) / available, 1, 1, 1})
                                    .slice(0, 0, kThroughputBatch)
                                    .contiguous();
    f.latencyMs = medianMs(module, one, options_.passes);
    f.throughput = double(kThroughputBatch) / (medianMs(module, batch, options_.passes) / 1000.0);
    if (context_.cancelFlag().load())
        return std::nullopt;

    // Inference only, batch 64, for as long as the monitor needs to take the asked number of samples.
    const double windowS = double(options_.energySamples) / std::max(1e-3, options_.sampleHz);
    MeasuredWindow window(context_, QStringLiteral("infer"), QStringLiteral("variant %1").arg(name));
    QElapsedTimer clock;
    clock.start();
    std::int64_t images = 0;
    do {
        module.forward({batch});
        images += kThroughputBatch;
    } while (clock.elapsed() < windowS * 1000 && !context_.cancelFlag().load());
    const MeasuredCost cost = window.finish();
    f.inferenceWindowImages = images;
    f.inferenceWindowS = cost.durationS;
    f.energyPer1kInferencesJ = cost.energyJ / double(images) * 1000.0;
    f.energySource = context_.energySource();
    const double runKwh = context_.energyJ() / 3.6e6;
    const double intensity = runKwh > 0 ? context_.emissionsG() / runKwh : 0;
    f.co2ePerMillionInferencesG = f.energyPer1kInferencesJ * 1000.0 / 3.6e6 * intensity;
    return f;
}

std::optional<double> breakEvenInferences(double compressionJ, double referencePer1kJ, double variantPer1kJ)
{
    const double savedPerInference = (referencePer1kJ - variantPer1kJ) / 1000.0;
    if (!(savedPerInference > 0))
        return std::nullopt;
    return std::ceil(compressionJ / savedPerInference);
}

} // namespace gw::compression
