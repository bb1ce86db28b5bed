#pragma once
// What the float and the int8 TorchScript writers both print into the source they define.
#include <string>

namespace gw::compression {

/// "[a, a]": a TorchScript int list of two equal values (stride, padding, a pooling window).
inline std::string pair(int v)
{
    return "[" + std::to_string(v) + ", " + std::to_string(v) + "]";
}

} // namespace gw::compression
