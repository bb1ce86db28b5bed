#!/usr/bin/env bash
# The test suite: installs what is missing, builds, runs every Qt Test suite through ctest, then
# builds the .deb and checks that the packaged binary starts.
set -euo pipefail
top="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${BUILD_DIR:-$top/build}"
"$top/installer/install-deps.sh"
start=$(date +%s)
"$top/installer/build.sh"
echo "test.sh: build took $(( $(date +%s) - start )) s"
export QT_QPA_PLATFORM=offscreen
ctest --test-dir "$build" --output-on-failure --timeout 300

echo "test.sh: packaging"
(cd "$build" && cpack -G DEB > cpack.log) || { cat "$build/cpack.log"; exit 1; }
deb=$(ls -t "$build"/green-workbench_*.deb | head -n 1)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
dpkg-deb -x "$deb" "$root"
for f in usr/bin/green-workbench usr/share/applications/org.greenai.Workbench.desktop \
         usr/share/metainfo/org.greenai.Workbench.metainfo.xml usr/share/icons/hicolor/128x128/apps/org.greenai.Workbench.png; do
  [[ -e "$root/$f" ]] || { echo "test.sh: $(basename "$deb") lacks /$f" >&2; exit 1; }
done
# The plugins ship where the installed binary looks for them, their libraries resolved.
for name in compression federated; do
  plugin="$root/usr/lib/green-workbench/plugins/libgw_$name.so"
  [[ -e "$plugin" ]] || { echo "test.sh: $(basename "$deb") lacks the $name plugin (/usr/lib/green-workbench/plugins)" >&2; exit 1; }
  if ldd "$plugin" | grep -q "not found"; then
    echo "test.sh: the packaged $name plugin has unresolved libraries:" >&2; ldd "$plugin" | grep "not found" >&2; exit 1
  fi
done
"$root/usr/bin/green-workbench" --version
echo "test.sh: $(basename "$deb") unpacks and starts"
echo "test.sh: total $(( $(date +%s) - start )) s"
