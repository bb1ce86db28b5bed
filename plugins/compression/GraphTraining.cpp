#include "GraphTraining.h"

#include "models/ImageTensors.h"

#include <algorithm>
#include <random>
#include <torch/torch.h>

namespace gw::compression {

namespace {

constexpr std::int64_t kEvaluationBatch = 256;

torch::Tensor indexTensor(const std::vector<std::int64_t> &indices, std::size_t first, std::size_t count)
{
    return torch::tensor(std::vector<std::int64_t>(indices.begin() + std::ptrdiff_t(first), indices.begin() + std::ptrdiff_t(first + count)),
                         torch::kInt64);
}

/// Every tensor training changes or keeps (batch-norm running statistics included), copied.
std::vector<torch::Tensor> snapshot(const ConvGraph &graph)
{
    std::vector<torch::Tensor> out;
    for (const GraphNode &n : graph.nodes)
        for (const torch::Tensor *t : {&n.weight, &n.bias, &n.runningMean, &n.runningVar})
            out.push_back(t->defined() ? t->detach().clone() : torch::Tensor());
    return out;
}

void restore(ConvGraph &graph, const std::vector<torch::Tensor> &saved)
{
    torch::NoGradGuard noGrad;
    std::size_t k = 0;
    for (GraphNode &n : graph.nodes)
        for (torch::Tensor *t : {&n.weight, &n.bias, &n.runningMean, &n.runningVar}) {
            if (t->defined())
                t->copy_(saved[k]);
            ++k;
        }
}

} // namespace

TrainingSplit TrainingSplit::of(const ImageDataset &data, std::vector<std::int64_t> indices, std::uint64_t seed)
{
    std::mt19937_64 random(seed);
    std::shuffle(indices.begin(), indices.end(), random);
    TrainingSplit split;
    split.data = &data;
    const std::size_t held = std::max<std::size_t>(1, indices.size() / 10);
    split.validation.assign(indices.begin(), indices.begin() + std::ptrdiff_t(std::min(held, indices.size())));
    split.train.assign(indices.begin() + std::ptrdiff_t(std::min(held, indices.size())), indices.end());
    return split;
}

torch::Tensor distillationLoss(const torch::Tensor &student, const torch::Tensor &teacher, const torch::Tensor &labels, double temperature,
                               double alpha)
{
    const torch::Tensor softTeacher = torch::softmax(teacher / temperature, 1);
    const torch::Tensor logStudent = torch::log_softmax(student / temperature, 1);
    // KL(p || q) = sum p (log p - log q); the T^2 keeps the soft gradients' scale as T changes.
    const torch::Tensor kl = (softTeacher * (torch::log(softTeacher.clamp_min(1e-12)) - logStudent)).sum(1).mean();
    const torch::Tensor labelled = labels.ge(0);
    const torch::Tensor ce = labelled.any().item<bool>() ? torch::cross_entropy_loss(student.index({labelled}), labels.index({labelled}))
                                                         : torch::zeros({}, student.options());
    return alpha * temperature * temperature * kl + (1 - alpha) * ce;
}

torch::Tensor TrainingSplit::labelsInForce() const
{
    return labels.defined() ? labels : ImageTensors::labels(*data);
}

double graphAccuracy(const ConvGraph &graph, const ImageDataset &data, const std::vector<std::int64_t> &indices, const torch::Tensor &given,
                     const FakeQuantization *fake)
{
    if (indices.empty())
        return 0;
    torch::NoGradGuard noGrad;
    const torch::Tensor labels = given.defined() ? given : ImageTensors::labels(data);
    std::int64_t correct = 0;
    for (std::size_t first = 0; first < indices.size(); first += kEvaluationBatch) {
        const std::size_t count = std::min<std::size_t>(kEvaluationBatch, indices.size() - first);
        const torch::Tensor idx = indexTensor(indices, first, count);
        const torch::Tensor logits = graph.forward(ImageTensors::select(data, idx, graph.input), false, fake);
        correct += logits.argmax(1).eq(labels.index_select(0, idx)).sum().item<std::int64_t>();
    }
    return double(correct) / double(indices.size());
}

TrainingResult trainGraph(ConvGraph &graph, const TrainingSplit &split, const TrainingOptions &options, const std::atomic_bool &cancel,
                          const std::vector<std::pair<int, torch::Tensor>> &masks, const StepLoss &loss,
                          const std::function<void(std::int64_t)> &afterBatch)
{
    TrainingResult result;
    std::vector<torch::Tensor> parameters = graph.trainable();
    for (torch::Tensor &p : parameters)
        p.requires_grad_(true);
    const auto noGradients = [&parameters] {
        for (torch::Tensor &p : parameters)
            p.requires_grad_(false);
    };
    torch::optim::Adam optimizer(parameters, torch::optim::AdamOptions(options.lr).weight_decay(options.weightDecay));
    torch::Tensor allLabels = split.labelsInForce();
    std::vector<std::int64_t> order = split.train;
    torch::Tensor batchLabels = allLabels;
    if (loss && !split.unlabelled.empty()) {
        // The teacher's images join the labelled ones; their labels are hidden from the loss.
        order.insert(order.end(), split.unlabelled.begin(), split.unlabelled.end());
        batchLabels = allLabels.clone();
        batchLabels.index_put_({torch::tensor(split.unlabelled, torch::kInt64)}, -100);
    }
    std::mt19937_64 random(options.seed);
    result.validationAccuracy = graphAccuracy(graph, *split.data, split.validation, allLabels, options.fake);
    std::vector<torch::Tensor> best = snapshot(graph);
    int sinceBest = 0;
    std::int64_t done = 0;
    for (int epoch = 1; epoch <= options.maxEpochs; ++epoch) {
        std::shuffle(order.begin(), order.end(), random);
        for (std::size_t first = 0; first < order.size(); first += std::size_t(options.batchSize)) {
            if (cancel.load()) {
                noGradients();
                restore(graph, best);
                result.cancelled = true;
                return result;
            }
            const std::size_t count = std::min<std::size_t>(std::size_t(options.batchSize), order.size() - first);
            const torch::Tensor idx = indexTensor(order, first, count);
            const torch::Tensor images = ImageTensors::select(*split.data, idx, graph.input);
            const torch::Tensor labels = batchLabels.index_select(0, idx);
            const torch::Tensor logits = graph.forward(images, true, options.fake);
            const torch::Tensor value = loss ? loss(logits, labels, images) : torch::cross_entropy_loss(logits, labels);
            optimizer.zero_grad();
            value.backward();
            optimizer.step();
            if (!masks.empty()) {
                torch::NoGradGuard noGrad;
                for (const auto &[node, mask] : masks)
                    graph.nodes[std::size_t(node)].weight.mul_(mask);
            }
            done += std::int64_t(count);
            if (afterBatch)
                afterBatch(done);
        }
        result.epochs = epoch;
        const double accuracy = graphAccuracy(graph, *split.data, split.validation, allLabels, options.fake);
        if (accuracy > result.validationAccuracy) {
            result.validationAccuracy = accuracy;
            best = snapshot(graph);
            sinceBest = 0;
        } else if (options.patience > 0 && ++sinceBest >= options.patience) {
            break;
        }
    }
    noGradients();
    restore(graph, best);
    return result;
}

} // namespace gw::compression
