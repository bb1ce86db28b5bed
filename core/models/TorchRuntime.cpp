#include "models/TorchRuntime.h"

#include <QThread>
#include <torch/torch.h>
#include <torch/version.h>

namespace gw {

QString TorchRuntime::version()
{
    return QStringLiteral(TORCH_VERSION);
}

int TorchRuntime::setThreads(int threads)
{
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
