#pragma once
#include "data/ImageDataset.h"
#include "jobs/RunWork.h"
#include "models/BackboneFactory.h"
#include "models/EmbeddingCache.h"

#include <torch/types.h>

namespace gw {

/// Shared by the works that put a backbone in front of a head (fine-tuning, active learning): the
/// run's datasets, its backbone spec, and features computed once per weights and dataset.

constexpr std::int64_t kInferenceBatch = 256;
/// Work units for progress and prediction, in backbone forward passes.
constexpr double kForwardWork = 1.0;

struct Datasets {
    ImageDataset train, test;
};

BackboneSpec backboneSpec(const RunConfig &config);
/// The config's dataset.train_subset of @p all (seeded); a subset larger than the dataset takes it
/// whole and says so in a notice rather than pretending to have used that many.
ImageDataset trainingSubset(const ImageDataset &all, const RunConfig &config, RunContext &context);
/// Fashion-MNIST's two splits, or an image folder with its test folder (or a seeded stratified
/// fifth held out); skipped images become notices.
Datasets loadDatasets(const RunConfig &config, const InputSpec &input, RunContext &context);

/// The backbone of a run and its datasets, loaded inside a "data" energy window.
struct PreparedWork {
    std::unique_ptr<Backbone> backbone;
    Datasets data;
};
/// Loads them and records model_source, training_mode and model_origin in @p summary.
PreparedWork prepareBackboneAndData(RunContext &context, QJsonObject &summary);

/// Features of a whole dataset, from the cache or computed (and then cached).
struct Embedded {
    torch::Tensor features;
    bool hit = false;
    EmbeddingCost cost;
};

/// Embeds datasets through a frozen backbone inside an "embed" energy window, reading and filling
/// the embedding cache; a cache it cannot read or write becomes a notice, never a failure.
class Embedder {
public:
    Embedder(RunContext &context, Backbone &backbone, EmbeddingCache cache, bool half);
    /// Features of @p data (undefined when cancelled); @p progress counts forwarded images.
    Embedded embed(const ImageDataset &data, WorkProgress &progress);

private:
    RunContext &context_;
    Backbone &backbone_;
    EmbeddingCache cache_;
    bool half_;
};

/// The embedding_* keys of a run's summary (cache hit or miss, energy spent and reused) and their metrics.
void reportEmbeddings(const Embedded &train, const Embedded &test, RunContext &context, QJsonObject &summary);

/// A name for a sample that survives other runs' ordering: the image's path for an image folder,
/// "<dataset name>/<index>" for IDX data (whose order is fixed).
QString sampleKey(const ImageDataset &data, std::int64_t index);

} // namespace gw
