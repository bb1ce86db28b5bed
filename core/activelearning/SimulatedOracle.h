#pragma once
#include "activelearning/Oracle.h"

#include <cstdint>
#include <random>

namespace gw {

/// Answers from the dataset's true labels, so strategies can be compared without a person; with
/// probability @p noise a label is replaced by another class chosen uniformly (seeded), to see how
/// a strategy copes with a careless annotator.
class SimulatedOracle : public Oracle {
public:
    SimulatedOracle(std::vector<std::uint8_t> trueLabels, int classes, double noise, std::uint64_t seed);
    QString annotator() const override;
    void answer(const std::vector<LabelQuery> &batch, const LabelingContext &context, LabelSink &sink, const std::atomic_bool &cancel) override;

private:
    std::vector<std::uint8_t> trueLabels_;
    int classes_;
    double noise_;
    std::mt19937_64 rng_;
};

} // namespace gw
