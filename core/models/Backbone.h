#pragma once
#include <QString>
#include <array>
#include <torch/types.h>
#include <string>
#include <utility>
#include <vector>

namespace gw {

/// What a backbone expects as input: channels x rows x cols, scaled to 0..1 then normalised per
/// channel with (x - mean) / std.
struct InputSpec {
    int channels = 1;
    int rows = 28;
    int cols = 28;
    std::vector<double> mean{0.0};
    std::vector<double> std{1.0};

    /// A stable description ("1x28x28 mean=0.2860 std=0.3530"): part of the embedding cache key.
    QString describe() const;
    /// [channels, rows, cols] (a config's model.input_size), every channel normalised with @p mean and @p std.
    static InputSpec ofShape(const std::array<int, 3> &shape, double mean, double std);
};

/// A pretrained (or randomly initialised) feature extractor: images in, one feature vector per
/// image out. Implementations: native LibTorch architectures loaded from safetensors (the bundled
/// gw-mobilenet, ResNet-18) and imported TorchScript modules.
class Backbone {
public:
    virtual ~Backbone() = default;
    /// "gw-mobilenet", "resnet18", "torchscript".
    virtual QString architecture() const = 0;
    virtual InputSpec input() const = 0;
    virtual int featureDim() const = 0;
    /// [N, C, H, W] normalised images -> [N, featureDim] features.
    virtual torch::Tensor forward(const torch::Tensor &images) = 0;
    /// Trainable parameters: all of them, or only the last block's (for finetune-last).
    virtual std::vector<torch::Tensor> parameters(bool lastBlockOnly) = 0;
    /// Training mode (batch-norm statistics, dropout) on or off.
    virtual void setTraining(bool training) = 0;
    /// SHA-256 (hex) of the architecture and the weights as loaded: the model part of the embedding
    /// cache key, so changed weights miss the cache.
    virtual QString contentHash() const = 0;
    /// Where the weights came from, for people ("bundled gw-mobilenet-fmnist.safetensors").
    virtual QString origin() const = 0;
    /// The weights under their PyTorch state-dict names (detached aliases); empty for a backbone
    /// whose weights are not the workbench's own (an imported TorchScript module).
    virtual std::vector<std::pair<std::string, torch::Tensor>> stateDict() const = 0;
    /// Copies @p state into the weights; an Error naming @p origin when it does not fit.
    virtual void loadState(const std::vector<std::pair<std::string, torch::Tensor>> &state, const QString &origin) = 0;
};

} // namespace gw
