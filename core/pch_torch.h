// Precompiled for the engine's LibTorch translation units only (see core/CMakeLists.txt).
#pragma once
#include <torch/torch.h>
