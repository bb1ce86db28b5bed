#pragma once
#include <QString>
#include <cstdint>

namespace gw {

/// Process-wide LibTorch settings and facts, behind a torch-free header.
class TorchRuntime {
public:
    static QString version();
    /// Sets LibTorch's intra-op thread count; 0 means all logical cores. Returns the count in force.
    static int setThreads(int threads);
    static int threads();
    static void seed(std::uint64_t seed);
};

} // namespace gw
