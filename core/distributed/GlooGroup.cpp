#include "distributed/GlooGroup.h"

#include "Error.h"

#include <torch/csrc/distributed/c10d/PrefixStore.hpp>

namespace gw::distributed {

c10::intrusive_ptr<c10d::ProcessGroupGloo> openGroup(const c10::intrusive_ptr<c10d::Store> &store, const std::string &prefix, int rank, int size,
                                                      const QString &address, std::chrono::milliseconds timeout)
{
    auto options = c10d::ProcessGroupGloo::Options::create(timeout);
    options->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(address.toStdString()));
    options->threads = 1;
    try {
        return c10::make_intrusive<c10d::ProcessGroupGloo>(c10::make_intrusive<c10d::PrefixStore>(prefix, store), rank, size, options);
    } catch (const std::exception &e) {
        throw Error(QStringLiteral("the group %1 (rank %2 of %3) did not form: %4")
                        .arg(QString::fromStdString(prefix))
                        .arg(rank)
                        .arg(size)
                        .arg(QString::fromUtf8(e.what()).section(QLatin1Char('\n'), 0, 0)));
    }
}

} // namespace gw::distributed
