#pragma once
#include <torch/types.h>

#include <map>

namespace gw::federated {

/// A client's update as it goes over the network: the whole vector, or the kept entries of a
/// top-k sparsification, their values in float32 or in 8 bits with one float32 scale.
struct EncodedUpdate {
    torch::Tensor indices; ///< int64 positions kept (undefined: dense, every position in order)
    torch::Tensor values;  ///< float32, or the int8 codes
    double scale = 0;      ///< 8-bit: value = code x scale
    std::int64_t length = 0;
    bool eightBit = false;

    /// The bytes it takes on the wire: 4 per index (int32 positions: models here stay under 2^31
    /// parameters), 4 per float32 value or 1 per 8-bit code plus the 4-byte scale.
    std::int64_t wireBytes() const;
    /// The same for @p count values, with their indices when @p sparse.
    static std::int64_t wireBytes(std::int64_t count, bool sparse, bool eightBit);
    /// The dense vector the server rebuilds.
    torch::Tensor decode() const;
    /// Its bytes as sent (uint8, wireBytes() of them): int32 indices, then the values (float32, or
    /// int8 codes followed by the float32 scale). What hosts exchange.
    torch::Tensor wire() const;
    /// The update @p bytes (from wire()) hold, of a @p length-entry vector with @p count values.
    static EncodedUpdate fromWire(const torch::Tensor &bytes, std::int64_t length, std::int64_t count, bool sparse, bool eightBit);
};

/// How clients compress their updates: top-k sparsification (the share @p topK of the entries with
/// the largest magnitude; 1: dense) with error feedback (what a client did not send this round is
/// kept and added to its next update), and 8-bit symmetric quantization of the values, each optional.
class UpdateCodec {
public:
    UpdateCodec(double topK, bool errorFeedback, bool eightBit) : topK_(topK), errorFeedback_(errorFeedback), eightBit_(eightBit) {}

    /// Encodes client @p client's update @p update (float32, flat).
    EncodedUpdate encode(int client, const torch::Tensor &update);
    /// The bytes an update of @p length entries takes once encoded (known before it is made: the
    /// simulated clock needs it to time the upload).
    std::int64_t wireBytesFor(std::int64_t length) const;
    /// How many entries top-k keeps of @p length.
    std::int64_t keptCount(std::int64_t length) const;
    /// The update that @p bytes (EncodedUpdate::wire of one this codec made) hold, for @p length entries.
    EncodedUpdate fromWire(const torch::Tensor &bytes, std::int64_t length) const;
    /// What client @p client still holds back (zeros when nothing).
    torch::Tensor residual(int client, std::int64_t length) const;

private:
    double topK_;
    bool errorFeedback_;
    bool eightBit_;
    std::map<int, torch::Tensor> residuals_;
};

/// FedAvg's aggregate: the mean of @p updates weighted by @p weights (the clients' sample counts).
torch::Tensor weightedMean(const std::vector<torch::Tensor> &updates, const std::vector<double> &weights);

} // namespace gw::federated
