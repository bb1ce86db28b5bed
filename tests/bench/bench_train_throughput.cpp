// Training throughput of the engine's SmallCnn trainer on synthetic 28x28 images, printed as one
// JSON object so run_benchmarks.sh can set it beside PyTorch eager doing the same work.

#include "data/ImageDataset.h"
#include "models/TorchRuntime.h"
#include "platform/HardwareInfo.h"
#include "training/Trainer.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <random>

namespace {

constexpr int kSide = 28;
constexpr int kClasses = 10;

// Random pixels cost the trainer exactly what real ones do, and need no dataset on disk.
gw::ImageDataset syntheticDataset(std::int64_t samples, std::uint32_t seed)
{
    gw::ImageDataset data;
    data.name = QStringLiteral("synthetic");
    data.rows = kSide;
    data.cols = kSide;
    for (int c = 0; c < kClasses; ++c)
        data.classNames << QStringLiteral("class%1").arg(c);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> byte(0, 255);
    std::uniform_int_distribution<int> label(0, kClasses - 1);
    data.pixels.resize(std::size_t(samples) * kSide * kSide);
    for (auto &p : data.pixels)
        p = std::uint8_t(byte(rng));
    data.labels.resize(std::size_t(samples));
    for (auto &l : data.labels)
        l = std::uint8_t(label(rng));
    return data;
}

int positiveOption(const QCommandLineParser &parser, const QString &name, int minimum)
{
    bool ok = false;
    const int value = parser.value(name).toInt(&ok);
    if (!ok || value < minimum) {
        std::fprintf(stderr, "--%s: expected an integer >= %d, got '%s'\n", qPrintable(name), minimum,
                     qPrintable(parser.value(name)));
        std::exit(2);
    }
    return value;
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Training throughput (samples/s) of the engine's SmallCnn trainer."));
    parser.addHelpOption();
    parser.addOption({QStringLiteral("threads"), QStringLiteral("LibTorch intra-op threads (0: all cores)."), QStringLiteral("N"), QStringLiteral("0")});
    parser.addOption({QStringLiteral("batches"), QStringLiteral("Batches to run, warm-up included."), QStringLiteral("N"), QStringLiteral("60")});
    parser.addOption({QStringLiteral("warmup"), QStringLiteral("Batches left out of the timing."), QStringLiteral("N"), QStringLiteral("10")});
    parser.addOption({QStringLiteral("batch-size"), QStringLiteral("Samples per batch."), QStringLiteral("N"), QStringLiteral("128")});
    parser.addOption({QStringLiteral("seed"), QStringLiteral("Seed of the data and the model."), QStringLiteral("N"), QStringLiteral("1")});
    parser.process(app);

    const int threads = positiveOption(parser, QStringLiteral("threads"), 0);
    const int batches = positiveOption(parser, QStringLiteral("batches"), 1);
    const int warmup = positiveOption(parser, QStringLiteral("warmup"), 0);
    const int batchSize = positiveOption(parser, QStringLiteral("batch-size"), 1);
    const int seed = positiveOption(parser, QStringLiteral("seed"), 0);
    if (warmup >= batches) {
        std::fprintf(stderr, "--warmup (%d) must be below --batches (%d)\n", warmup, batches);
        return 2;
    }

    // One epoch of exactly `batches` full batches, so every timed batch has the same size.
    const gw::ImageDataset train = syntheticDataset(std::int64_t(batches) * batchSize, std::uint32_t(seed));
    const gw::ImageDataset test; // empty: no evaluation pass inside the timed epoch

    gw::TrainingParams params;
    params.epochs = 1;
    params.batchSize = batchSize;
    params.learningRate = 1e-3;
    params.optimizer = gw::OptimizerKind::Adam;
    params.threads = threads;
    params.seed = std::uint64_t(seed);

    // The first batches pay for allocator growth and kernel selection; time only the steady state.
    using Clock = std::chrono::steady_clock;
    Clock::time_point start, end;
    std::int64_t samplesAtStart = 0, samplesAtEnd = 0;
    int batchesDone = 0;
    const auto onProgress = [&](const gw::TrainingProgress &p) {
        ++batchesDone;
        if (batchesDone == warmup) {
            start = Clock::now();
            samplesAtStart = p.samplesDone;
        }
        end = Clock::now();
        samplesAtEnd = p.samplesDone;
    };

    std::atomic_bool cancel{false};
    try {
        if (warmup == 0)
            start = Clock::now(); // then the timing includes the trainer's set-up
        gw::Trainer(params).train(train, test, cancel, onProgress);
    } catch (const std::exception &e) {
        std::fprintf(stderr, "training failed: %s\n", e.what());
        return 1;
    }

    const double seconds = std::chrono::duration<double>(end - start).count();
    const std::int64_t samples = samplesAtEnd - samplesAtStart;
    const gw::HardwareInfo hardware = gw::HardwareInfo::detect(); // after the trainer set the thread count

    const QJsonObject result{{QStringLiteral("impl"), QStringLiteral("engine-libtorch")},
                             {QStringLiteral("samples_per_s"), seconds > 0 ? double(samples) / seconds : 0.0},
                             {QStringLiteral("batches"), batches - warmup},
                             {QStringLiteral("warmup_batches"), warmup},
                             {QStringLiteral("batch_size"), batchSize},
                             {QStringLiteral("threads"), gw::TorchRuntime::threads()},
                             {QStringLiteral("seconds"), seconds},
                             {QStringLiteral("hardware"), hardware.toJson()}};
    std::printf("%s\n", QJsonDocument(result).toJson(QJsonDocument::Compact).constData());
    return 0;
}
