#include "jobs/LabelChoice.h"

#include "config/RunConfig.h"

#include <algorithm>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw {

LabelSplit chooseLabels(const ImageDataset &train, const RunConfig &config)
{
    std::vector<std::int64_t> order(std::size_t(train.size()));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(config.seed);
    std::shuffle(order.begin(), order.end(), rng);
    const std::int64_t count = config.labels.count > 0 ? std::min(config.labels.count, train.size()) : train.size();
    order.resize(std::size_t(count));
    const auto validation = std::int64_t(std::llround(double(count) * config.training.validationFraction));
    // Early stopping on fewer than ten samples would follow noise.
    const std::int64_t held = validation >= 10 && validation < count ? validation : 0;
    std::vector<std::int64_t> val(order.begin(), order.begin() + held);
    std::vector<std::int64_t> fit(order.begin() + held, order.end());
    std::sort(val.begin(), val.end());
    std::sort(fit.begin(), fit.end());
    return {torch::tensor(fit, torch::kInt64), torch::tensor(val, torch::kInt64)};
}

} // namespace gw
