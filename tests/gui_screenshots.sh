#!/usr/bin/env bash
# Screenshots of the workbench as a person sees it, under Xvfb: three short runs are made headless
# (so the Compare view has something to compare), then the window is started on the embedded default
# (bundled backbone, Fashion-MNIST) and saved during the run (live view), and once more with the
# Compare dock over every run. Look at the files: they are how the GUI is checked.
#
#   tests/gui_screenshots.sh [OUT_DIR]        (default: build/screenshots)
#
# Environment: WORKBENCH (the green-workbench binary; default build/app/green-workbench).
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORKBENCH=${WORKBENCH:-$REPO/build/app/green-workbench}
OUT=${1:-$REPO/build/screenshots}
[ -x "$WORKBENCH" ] || { echo "gui_screenshots.sh: $WORKBENCH is not built" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "gui_screenshots.sh: xvfb-run is missing (installer/install-deps.sh)" >&2; exit 1; }
mkdir -p "$OUT"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
store="$work/store.sqlite"
export XDG_CONFIG_HOME="$work/config" # the default layout, not whatever the last session left

run() { # name, JSON body
    printf '%s\n' "$2" >"$work/$1.json"
    echo "== headless run: $1" >&2
    "$WORKBENCH" run "$work/$1.json" --db "$store" --json | tail -n 1
}
run scratch-small '{"name": "scratch-2k", "dataset": {"train_subset": 2000}, "training": {"epochs": 2, "threads": 2}, "energy": {"country": "FRA"}}'
run scratch-lr '{"name": "scratch-2k-lr0.01", "dataset": {"train_subset": 2000}, "training": {"epochs": 2, "lr": 0.01, "threads": 2}, "energy": {"country": "FRA"}}'
run probe-random '{"name": "probe-random-weights", "dataset": {"train_subset": 2000}, "model": {"source": "scratch"}, "labels": {"count": 500},
                   "training": {"mode": "linear-probe", "epochs": 30, "threads": 2}, "energy": {"country": "FRA"}}'

screen=(-a -s "-screen 0 1400x900x24")
echo "== window at rest" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --screenshot "$OUT/main-window.png" --screenshot-after 2
echo "== live view during the embedded default" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --start default --screenshot "$OUT/live-view.png" --screenshot-after 12
echo "== compare view" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --compare --screenshot "$OUT/compare-view.png" --screenshot-after 3
echo "== compare view, dark appearance" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --compare --appearance dark --screenshot "$OUT/compare-view-dark.png" --screenshot-after 3
echo "== new run dialog (generated from the run parameters)" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --new-run --screenshot "$OUT/new-run-dialog.png" --screenshot-after 2
ls -l "$OUT"/main-window.png "$OUT"/live-view.png "$OUT"/compare-view.png "$OUT"/compare-view-dark.png "$OUT"/new-run-dialog.png
