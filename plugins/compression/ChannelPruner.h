#pragma once
#include "ConvGraph.h"

#include <QString>
#include <QStringList>
#include <utility>
#include <vector>

namespace gw::compression {

/// How structured pruning chooses the channels to remove.
struct PruneOptions {
    double ratio = 0.5;             ///< share of the channels to remove, 0 to 0.95
    QString criterion = "l1";       ///< "l1" or "l2" norm of the filters that make a channel, or "bn" (|batch-norm scale|)
    bool global = false;            ///< one ranking over every layer (norms relative to their layer's mean), or the ratio per layer
};

/// What pruning did: per group of channels that had to shrink together, its layers and its width
/// before and after; and what it could not do as asked, for the run's notices.
struct PruneReport {
    struct Group {
        QStringList layers; ///< the layers that make the channels (several across a residual addition)
        std::int64_t before = 0, after = 0;
    };
    std::vector<Group> groups;
    QStringList notices;
};

/// Structured pruning that really shrinks layers (after NNI's dependency-aware speed-up): the
/// channels of a layer are removed from the filters that make them and from everything that reads
/// them, and layers that must keep matching widths are pruned as one group: the two branches of a
/// residual addition, a depthwise convolution and the layer before it, batch norms and the feature
/// standardisation, the classifier's inputs (column blocks after a flatten). The logits' width and
/// the image's channels never change. Throws Error naming a layer it cannot prune (a grouped
/// convolution that is not depthwise) or a ratio outside 0-0.95.
class ChannelPruner {
public:
    static PruneReport prune(ConvGraph &graph, const PruneOptions &options);
};

/// Unstructured magnitude pruning, a size option only (the tensors keep their shapes, so no layer
/// runs faster): zeroes the smallest @p ratio of every convolution's and linear layer's weights by
/// magnitude, one threshold for all. Returns (node, mask) pairs, for training to keep them zero.
std::vector<std::pair<int, torch::Tensor>> pruneMagnitudes(ConvGraph &graph, double ratio);

/// Throws Error when @p ratio is not a share the pruners take (0 to 0.95).
void checkPruneRatio(double ratio);

} // namespace gw::compression
