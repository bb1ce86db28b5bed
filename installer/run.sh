#!/usr/bin/env bash
# The main job: installs what is missing, builds, and starts the workbench on the embedded default
# (Fashion-MNIST from the Debian package). Without a display it runs the same job headless.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$top/installer/install-deps.sh"
"$top/installer/build.sh"
app="${BUILD_DIR:-$top/build}/app/green-workbench"

if [[ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]]; then
  exec "$app" --start default "$@"
fi
cat >&2 <<MSG
No display found, so the workbench window cannot open. To see it:
  - on a desktop session, run this command there (DISPLAY or WAYLAND_DISPLAY set), or
  - on a server, run: xvfb-run -a $app --start default   (and take screenshots), or
  - over SSH, connect with ssh -X.
Running the default job headless instead:
MSG
exec "$app" run --json "$@"
