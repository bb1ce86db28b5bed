#include "jobs/LabelChoice.h"

#include "Error.h"
#include "config/RunConfig.h"
#include "jobs/DatasetEmbedding.h"
#include "models/ImageTensors.h"
#include "store/LabelRepository.h"

#include <QHash>
#include <algorithm>
#include <numeric>
#include <random>
#include <torch/torch.h>

namespace gw {

namespace {

/// The first validation_fraction of the shuffled @p order validate (none when under ten: early
/// stopping on fewer would follow noise), the rest train; both sorted.
LabelSplit holdOut(std::vector<std::int64_t> order, const RunConfig &config, torch::Tensor labels)
{
    const auto count = std::int64_t(order.size());
    const auto validation = std::int64_t(std::llround(double(count) * config.training.validationFraction));
    const std::int64_t held = validation >= 10 && validation < count ? validation : 0;
    std::vector<std::int64_t> val(order.begin(), order.begin() + held);
    std::vector<std::int64_t> fit(order.begin() + held, order.end());
    std::sort(val.begin(), val.end());
    std::sort(fit.begin(), fit.end());
    return {torch::tensor(fit, torch::kInt64), torch::tensor(val, torch::kInt64), std::move(labels)};
}

} // namespace

GatheredLabels gatheredLabels(const Database &db, qint64 runId, const ImageDataset &train)
{
    const QMap<qint64, LabelRecord> given = LabelRepository(db).current(runId);
    if (given.isEmpty())
        throw Error(QStringLiteral("run %1 has no labels to train on (labels.run_id takes an active-learning run that gathered some)").arg(runId));
    QHash<QString, std::int64_t> byKey;
    for (std::int64_t i = 0; i < train.size(); ++i)
        byKey.insert(sampleKey(train, i), i);
    GatheredLabels out;
    out.labels = ImageTensors::labels(train).clone();
    auto *labels = out.labels.data_ptr<std::int64_t>();
    for (const LabelRecord &record : given) {
        const auto it = byKey.constFind(record.sampleKey);
        if (it == byKey.cend() || record.label < 0 || record.label >= std::max(1, train.classCount())) {
            ++out.unmatched;
            continue;
        }
        out.indices.push_back(it.value());
        labels[it.value()] = record.label;
    }
    if (out.indices.empty())
        throw Error(QStringLiteral("none of run %1's %2 labels is of a sample of %3 (labelled on another dataset?)").arg(runId).arg(given.size()).arg(train.name));
    std::sort(out.indices.begin(), out.indices.end());
    return out;
}

LabelSplit chooseLabels(const ImageDataset &train, const RunConfig &config)
{
    std::vector<std::int64_t> order(std::size_t(train.size()));
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(config.seed);
    std::shuffle(order.begin(), order.end(), rng);
    const std::int64_t count = config.labels.count > 0 ? std::min(config.labels.count, train.size()) : train.size();
    order.resize(std::size_t(count));
    return holdOut(std::move(order), config, ImageTensors::labels(train));
}

LabelSplit labelsOfRun(const ImageDataset &train, const RunConfig &config, const Database &db, QString *notice)
{
    if (config.labels.runId <= 0)
        return chooseLabels(train, config);
    GatheredLabels gathered = gatheredLabels(db, config.labels.runId, train);
    if (notice)
        *notice = QStringLiteral("training on the %1 labels run %2 gathered%3")
                      .arg(gathered.indices.size())
                      .arg(config.labels.runId)
                      .arg(gathered.unmatched > 0 ? QStringLiteral(" (%1 more are of samples %2 does not have)").arg(gathered.unmatched).arg(train.name)
                                                  : QString());
    std::mt19937_64 rng(config.seed);
    std::shuffle(gathered.indices.begin(), gathered.indices.end(), rng);
    return holdOut(std::move(gathered.indices), config, std::move(gathered.labels));
}

} // namespace gw
