#pragma once
#include <memory>
#include <vector>

namespace gw {

class RunKind;

/// The kinds of run the core brings: "train" (the small CNN from scratch), "finetune" (a
/// pretrained backbone, linear probe or fine-tuning), "active-learning" (labels asked for round by
/// round) and "pretrain" (self-supervised pretraining of the bundled backbone). They are registered
/// like a plugin's, by RunKindRegistry when it is first used.
class BuiltinRunKinds {
public:
    static std::vector<std::shared_ptr<const RunKind>> create();
};

} // namespace gw
