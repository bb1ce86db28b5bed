#include "ChannelPruner.h"

#include "Error.h"

#include <algorithm>
#include <map>
#include <numeric>
#include <set>
#include <torch/torch.h>

namespace gw::compression {

namespace {

constexpr double kMaxRatio = 0.95;

/// Union-find over channel spaces: the sets of tensors' channel axes that must keep one width.
class Spaces {
public:
    int make()
    {
        parent_.push_back(int(parent_.size()));
        return parent_.back();
    }
    int find(int s)
    {
        while (parent_[std::size_t(s)] != s)
            s = parent_[std::size_t(s)] = parent_[std::size_t(parent_[std::size_t(s)])];
        return s;
    }
    void unite(int a, int b) { parent_[std::size_t(find(a))] = find(b); }

private:
    std::vector<int> parent_;
};

bool isDepthwise(const GraphNode &n)
{
    return n.op == NodeOp::Conv && n.groups > 1 && n.weight.size(1) == 1 && n.groups == n.weight.size(0);
}

/// Everything that holds the channels of one space.
struct Group {
    std::vector<int> producers;  ///< convolutions (groups 1) and linear layers that make the channels
    std::vector<int> depthwise;  ///< depthwise convolutions that carry them through
    std::vector<int> perChannel; ///< batch norms and standardisations
    std::vector<int> consumers;  ///< convolutions and linear layers that read them (their input axis)
    std::vector<std::pair<int, std::int64_t>> blockConsumers; ///< linear layers after a flatten: node, block (H*W)
    std::int64_t channels = 0;
};

/// The channel spaces of @p graph, grouped: only groups that may shrink (not the image's channels,
/// not the logits).
std::map<int, Group> channelGroups(const ConvGraph &graph)
{
    Spaces spaces;
    const int imageSpace = spaces.make();
    std::vector<int> of(graph.nodes.size(), -1);
    std::map<int, std::pair<int, std::int64_t>> flattened; // flatten's space -> (source space, H*W)
    const std::vector<std::vector<std::int64_t>> shapes = graph.shapes();
    const auto spaceOf = [&of, imageSpace](int node) { return node < 0 ? imageSpace : of[std::size_t(node)]; };
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        const GraphNode &n = graph.nodes[i];
        switch (n.op) {
        case NodeOp::Conv:
            if (n.groups == 1)
                of[i] = spaces.make();
            else if (isDepthwise(n))
                of[i] = spaceOf(n.input);
            else
                throw Error(QStringLiteral("layer '%1' is a grouped convolution (%2 groups) that is not depthwise: the pruner does not know how its "
                                           "channels depend on each other")
                                .arg(n.name)
                                .arg(n.groups));
            break;
        case NodeOp::Add:
            spaces.unite(spaceOf(n.input), spaceOf(n.input2));
            of[i] = spaceOf(n.input);
            break;
        case NodeOp::Flatten: {
            of[i] = spaces.make();
            const std::vector<std::int64_t> &in = n.input < 0 ? std::vector<std::int64_t>{} : shapes[std::size_t(n.input)];
            flattened[of[i]] = {spaceOf(n.input), in.size() == 3 ? in[1] * in[2] : 1};
            break;
        }
        case NodeOp::Linear: of[i] = spaces.make(); break;
        default: of[i] = spaceOf(n.input); break;
        }
    }
    std::set<int> frozen{spaces.find(imageSpace), spaces.find(of.back())};
    std::map<int, Group> groups;
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        const GraphNode &n = graph.nodes[i];
        const int own = spaces.find(of[i]);
        const int read = n.input < 0 ? spaces.find(imageSpace) : spaces.find(of[std::size_t(n.input)]);
        if ((n.op == NodeOp::Conv && n.groups == 1) || n.op == NodeOp::Linear) {
            groups[own].producers.push_back(int(i));
            groups[own].channels = n.weight.size(0);
            if (const auto f = std::find_if(flattened.begin(), flattened.end(), [&](const auto &e) { return spaces.find(e.first) == read; });
                f != flattened.end())
                groups[spaces.find(f->second.first)].blockConsumers.emplace_back(int(i), f->second.second);
            else
                groups[read].consumers.push_back(int(i));
        } else if (isDepthwise(n)) {
            groups[own].depthwise.push_back(int(i));
        } else if (n.op == NodeOp::BatchNorm || n.op == NodeOp::Standardize) {
            groups[own].perChannel.push_back(int(i));
        }
    }
    for (auto it = groups.begin(); it != groups.end();)
        it = frozen.count(it->first) || it->second.producers.empty() ? groups.erase(it) : std::next(it);
    return groups;
}

/// How much each channel of @p group matters, by @p criterion.
torch::Tensor importance(const ConvGraph &graph, const Group &group, const QString &criterion, QStringList &notices)
{
    torch::Tensor score = torch::zeros({group.channels}, torch::kFloat64);
    if (criterion == QStringLiteral("bn")) {
        for (int b : group.perChannel)
            if (graph.nodes[std::size_t(b)].op == NodeOp::BatchNorm)
                score += graph.nodes[std::size_t(b)].weight.abs().to(torch::kFloat64);
        if (score.sum().item<double>() > 0)
            return score;
        notices << QStringLiteral("layer '%1' has no batch norm to rank its channels by: ranked by the L1 norm of its filters")
                       .arg(graph.nodes[std::size_t(group.producers.front())].name);
    }
    const int p = criterion == QStringLiteral("l2") ? 2 : 1;
    for (int producer : group.producers) {
        const torch::Tensor w = graph.nodes[std::size_t(producer)].weight.detach().to(torch::kFloat64).flatten(1);
        score += w.norm(p, {1});
    }
    return score;
}

/// Keeps the channels @p keep (sorted, int64) of @p group in every tensor that holds them.
void keepChannels(ConvGraph &graph, const Group &group, const torch::Tensor &keep)
{
    const auto select = [&keep](torch::Tensor &t, int dim) {
        if (t.defined())
            t = t.index_select(dim, keep).contiguous();
    };
    for (int i : group.producers) {
        select(graph.nodes[std::size_t(i)].weight, 0);
        select(graph.nodes[std::size_t(i)].bias, 0);
    }
    for (int i : group.depthwise) {
        GraphNode &n = graph.nodes[std::size_t(i)];
        select(n.weight, 0);
        select(n.bias, 0);
        n.groups = keep.size(0);
    }
    for (int i : group.perChannel) {
        GraphNode &n = graph.nodes[std::size_t(i)];
        for (torch::Tensor *t : {&n.weight, &n.bias, &n.runningMean, &n.runningVar, &n.mean, &n.std})
            select(*t, 0);
    }
    for (int i : group.consumers)
        select(graph.nodes[std::size_t(i)].weight, 1);
    for (const auto &[i, block] : group.blockConsumers) {
        // Channel c of the flattened map is the columns [c * block, (c + 1) * block).
        const torch::Tensor columns = (keep.view({-1, 1}) * block + torch::arange(block, torch::kInt64).view({1, -1})).flatten();
        torch::Tensor &weight = graph.nodes[std::size_t(i)].weight;
        weight = weight.index_select(1, columns).contiguous();
    }
}

} // namespace

void checkPruneRatio(double ratio)
{
    if (!(ratio >= 0 && ratio <= kMaxRatio))
        throw Error(QStringLiteral("a pruning ratio is a share of the channels or weights to remove, from 0 to %1 (got %2)").arg(kMaxRatio).arg(ratio));
}

PruneReport ChannelPruner::prune(ConvGraph &graph, const PruneOptions &options)
{
    checkPruneRatio(options.ratio);
    if (options.criterion != QStringLiteral("l1") && options.criterion != QStringLiteral("l2") && options.criterion != QStringLiteral("bn"))
        throw Error(QStringLiteral("unknown pruning criterion '%1' (l1, l2 or bn)").arg(options.criterion));
    torch::NoGradGuard noGrad;
    const std::map<int, Group> groups = channelGroups(graph);
    PruneReport report;
    std::map<int, torch::Tensor> scores;
    for (const auto &[space, group] : groups)
        scores[space] = importance(graph, group, options.criterion, report.notices);

    std::map<int, std::int64_t> keepCount;
    if (options.global) {
        // One ranking: each channel's score relative to its group's mean, so wide and narrow layers compare.
        std::vector<std::tuple<double, int, std::int64_t>> ranked;
        std::int64_t total = 0;
        for (const auto &[space, score] : scores) {
            const double mean = std::max(1e-12, score.mean().item<double>());
            for (std::int64_t c = 0; c < score.size(0); ++c)
                ranked.emplace_back(score[c].item<double>() / mean, space, c);
            keepCount[space] = score.size(0);
            total += score.size(0);
        }
        std::sort(ranked.begin(), ranked.end());
        std::int64_t toRemove = std::int64_t(options.ratio * double(total));
        for (const auto &[relative, space, channel] : ranked) {
            if (toRemove == 0)
                break;
            if (keepCount[space] > 1) { // every layer keeps a channel at least
                --keepCount[space];
                --toRemove;
            }
        }
    } else {
        for (const auto &[space, score] : scores)
            keepCount[space] = std::max<std::int64_t>(1, score.size(0) - std::int64_t(options.ratio * double(score.size(0))));
    }

    for (const auto &[space, group] : groups) {
        const torch::Tensor keep = std::get<0>(std::get<1>(torch::topk(scores[space], keepCount[space])).sort()).to(torch::kInt64);
        PruneReport::Group entry;
        for (int producer : group.producers)
            entry.layers << graph.nodes[std::size_t(producer)].name;
        entry.before = group.channels;
        entry.after = keep.size(0);
        keepChannels(graph, group, keep);
        report.groups.push_back(entry);
    }
    return report;
}

std::vector<std::pair<int, torch::Tensor>> pruneMagnitudes(ConvGraph &graph, double ratio)
{
    checkPruneRatio(ratio);
    torch::NoGradGuard noGrad;
    std::vector<torch::Tensor> magnitudes;
    for (const GraphNode &n : graph.nodes)
        if (n.op == NodeOp::Conv || n.op == NodeOp::Linear)
            magnitudes.push_back(n.weight.abs().flatten());
    const torch::Tensor all = torch::cat(magnitudes);
    const std::int64_t k = std::int64_t(ratio * double(all.numel()));
    std::vector<std::pair<int, torch::Tensor>> masks;
    if (k == 0)
        return masks;
    const double threshold = std::get<0>(all.kthvalue(k)).item<double>();
    for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
        GraphNode &n = graph.nodes[i];
        if (n.op != NodeOp::Conv && n.op != NodeOp::Linear)
            continue;
        const torch::Tensor mask = n.weight.abs().gt(threshold).to(n.weight.dtype());
        n.weight = n.weight * mask;
        masks.emplace_back(int(i), mask);
    }
    return masks;
}

} // namespace gw::compression
