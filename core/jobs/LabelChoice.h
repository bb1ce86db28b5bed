#pragma once
#include "data/ImageDataset.h"

#include <QString>
#include <torch/types.h>
#include <vector>

namespace gw {

class Database;
struct RunConfig;

/// Which training samples carry a label in a fine-tuning run, which of those validate, and what
/// their labels are.
struct LabelSplit {
    torch::Tensor train; ///< int64 indices into the training set
    torch::Tensor validation;
    torch::Tensor labels; ///< int64 [training set size]: the dataset's labels, a gathered label in its sample's place
};

/// The labels an active-learning run gathered (a person's as given, or the simulated oracle's),
/// matched to the samples of @p train by sample key, so another ordering or subset of the same
/// images still finds them.
struct GatheredLabels {
    std::vector<std::int64_t> indices; ///< into @p train, ascending
    torch::Tensor labels;              ///< int64 [train.size()]: the dataset's labels with the gathered ones in place
    std::int64_t unmatched = 0;        ///< labels of samples @p train does not have
};
/// Throws when run @p runId has no labels, or none of a sample of @p train.
GatheredLabels gatheredLabels(const Database &db, qint64 runId, const ImageDataset &train);

/// The labelled samples of a run of @p config over @p train: labels.count of them (all when 0),
/// seeded by the config's seed, validation_fraction of them held out (none when under ten). A later
/// run that works on the same model (compression) gets the same samples from the same config.
LabelSplit chooseLabels(const ImageDataset &train, const RunConfig &config);

/// A fine-tuning run's labels: labels.run_id's gathered labels when it names a run (the same
/// seeded validation split of them), else chooseLabels(). @p notice says where they came from.
LabelSplit labelsOfRun(const ImageDataset &train, const RunConfig &config, const Database &db, QString *notice = nullptr);

} // namespace gw
