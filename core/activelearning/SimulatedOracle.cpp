#include "activelearning/SimulatedOracle.h"

#include "Error.h"

namespace gw {

SimulatedOracle::SimulatedOracle(std::vector<std::uint8_t> trueLabels, int classes, double noise, std::uint64_t seed)
    : trueLabels_(std::move(trueLabels)), classes_(classes), noise_(noise), rng_(seed)
{
}

QString SimulatedOracle::annotator() const
{
    return noise_ > 0 ? QStringLiteral("simulated (noise %1)").arg(noise_) : QStringLiteral("simulated");
}

void SimulatedOracle::answer(const std::vector<LabelQuery> &batch, const LabelingContext &, LabelSink &sink, const std::atomic_bool &cancel)
{
    std::uniform_real_distribution<double> coin(0.0, 1.0);
    std::uniform_int_distribution<int> otherClass(1, std::max(1, classes_ - 1));
    for (const LabelQuery &query : batch) {
        if (cancel.load())
            return;
        if (query.sampleIndex < 0 || query.sampleIndex >= qint64(trueLabels_.size()))
            throw Error(QStringLiteral("simulated oracle: sample %1 is not in the dataset (%2 samples)").arg(query.sampleIndex).arg(trueLabels_.size()));
        int label = trueLabels_[std::size_t(query.sampleIndex)];
        // Both draws happen for every sample, so the noise pattern does not depend on earlier coins.
        const bool flip = coin(rng_) < noise_;
        const int shift = otherClass(rng_);
        if (flip && classes_ > 1)
            label = (label + shift) % classes_;
        sink.give(query.sampleIndex, label, annotator());
    }
}

} // namespace gw
