#pragma once
#include <QString>
#include <cstdint>

namespace gw {

/// Process-wide LibTorch settings and facts, behind a torch-free header.
class TorchRuntime {
public:
    static QString version();
    /// Readies LibTorch for a run's work: sets its intra-op thread count (0 means all logical
    /// cores) and returns the count in force; the first time, also has the C allocator keep freed
    /// blocks for reuse (see TorchRuntime.cpp).
    static int prepareForWork(int threads);
    static int threads();
    static void seed(std::uint64_t seed);
};

} // namespace gw
