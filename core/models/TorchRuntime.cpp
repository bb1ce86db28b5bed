#include "models/TorchRuntime.h"

#include <QThread>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <torch/torch.h>
#include <torch/version.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif

namespace gw {

namespace {

/// Training allocates and frees tensors of the same sizes every step (activations, gradients,
/// im2col buffers). glibc's malloc serves a block above its mmap threshold with a fresh mapping,
/// which the kernel zeroes page by page on first touch and which is unmapped on free, and it gives
/// the heap's top back to the kernel beyond its trim threshold. A Python process moves glibc's
/// dynamic threshold up during its imports; a C++ program starts at 128 KiB, and measured here a
/// small CNN's training then ran 0.7x as fast as PyTorch eager, the difference in page faults and
/// unmapping. Raised (32 MiB, glibc's ceiling for it; trim at 128 MiB), freed blocks serve the next
/// step. Settings the person made through the environment are left as they are.
void keepFreedBlocksForReuse()
{
#ifdef __GLIBC__
    const char *tunables = std::getenv("GLIBC_TUNABLES");
    if (std::getenv("MALLOC_MMAP_THRESHOLD_") || std::getenv("MALLOC_TRIM_THRESHOLD_") || (tunables && std::strstr(tunables, "glibc.malloc.")))
        return;
    mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
    mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
#endif
}

} // namespace

QString TorchRuntime::version()
{
    return QStringLiteral(TORCH_VERSION);
}

int TorchRuntime::prepareForWork(int threads)
{
    static std::once_flag allocator;
    std::call_once(allocator, keepFreedBlocksForReuse);
    // Debian's LibTorch starts with a single intra-op thread, so "all cores" must be said explicitly.
    const int count = threads > 0 ? threads : std::max(1, QThread::idealThreadCount());
    torch::set_num_threads(count);
    return torch::get_num_threads();
}

int TorchRuntime::threads()
{
    return torch::get_num_threads();
}

void TorchRuntime::seed(std::uint64_t seed)
{
    torch::manual_seed(seed);
}

} // namespace gw
