#pragma once
#include <QString>

namespace gw {

/// Settings → Appearance for the whole application: the desktop's own palette (as it was when the
/// workbench started, and as the platform theme updates it), or the light or the dark one. Widgets
/// and plots follow through their palette-change events.
struct Appearance {
    /// @p choice: "system", "light" or "dark" (anything else: "system").
    static void apply(const QString &choice);
};

} // namespace gw
