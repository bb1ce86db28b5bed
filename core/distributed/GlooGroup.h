#pragma once
#include <QString>
#include <chrono>
#include <string>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>

namespace gw::distributed {

/// A Gloo group of @p size ranks, rendezvoused under @p prefix of @p store, its connections
/// listening on @p address (this host's own, never a wildcard). Build one fresh for each exchange
/// that may fail: a timed-out Gloo collective breaks its group for good. An Error when it does not
/// form within @p timeout.
c10::intrusive_ptr<c10d::ProcessGroupGloo> openGroup(const c10::intrusive_ptr<c10d::Store> &store, const std::string &prefix, int rank, int size,
                                                      const QString &address, std::chrono::milliseconds timeout);

} // namespace gw::distributed
