#!/usr/bin/env bash
# Screenshots of the workbench as a person sees it, under Xvfb: the first start on an empty store
# (welcome panel), then three short runs are made headless (so the Compare view has something to
# compare), then the window is started on the embedded default (bundled backbone, Fashion-MNIST) and
# saved during the run (live view), with the Compare dock over every run, on a run's page, on a compress
# run's variants (the compression plugin on run 1's small CNN), on a federated run's curves and clients, and at its
# default size with an active-learning run waiting for the person (labeling dock); the comparison
# report is written as PDF and every page rendered as a picture (pdftoppm, Debian's poppler-utils).
# Look at the files: they are how the GUI is checked.
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

screen=(-a -s "-screen 0 1400x900x24")
echo "== first start: welcome panel on an empty store" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$work/empty.sqlite" --screenshot "$OUT/welcome.png" --screenshot-after 2

run() { # name, JSON body
    printf '%s\n' "$2" >"$work/$1.json"
    echo "== headless run: $1" >&2
    "$WORKBENCH" run "$work/$1.json" --db "$store" --json | tail -n 1
}
run scratch-small '{"name": "scratch-2k", "dataset": {"train_subset": 2000}, "training": {"epochs": 2, "threads": 2}, "energy": {"country": "FRA"}}'
run scratch-lr '{"name": "scratch-2k-lr0.01", "dataset": {"train_subset": 2000}, "training": {"epochs": 2, "lr": 0.01, "threads": 2}, "energy": {"country": "FRA"}}'
run probe-random '{"name": "probe-random-weights", "dataset": {"train_subset": 2000}, "model": {"source": "scratch"}, "labels": {"count": 500},
                   "training": {"mode": "linear-probe", "epochs": 30, "threads": 2}, "energy": {"country": "FRA"}}'

# The compression plugin on the small CNN of run 1: pruned, then int8 (run 4).
run compress '{"name": "compress-scratch-2k", "kind": "compress", "model": {"source": "run", "run_id": 1}, "training": {"threads": 2},
               "compress": {"steps": "prune, quantize", "prune": {"recovery_epochs": 1}, "measure": {"energy_samples": 5}},
               "energy": {"country": "FRA", "sample_hz": 5}}'

# The federated plugin's Dirichlet example, shrunk: 30 clients, 5 per round, 6 rounds (run 5).
echo "== headless run: federated" >&2
"$WORKBENCH" run "$REPO/resources/examples/federated-dirichlet.json" --db "$store" --federated.clients=30 --federated.per_round=5 \
    --federated.rounds=6 --federated.client_eval_every=3 --training.threads=2 --json | tail -n 1 | cut -c 1-200

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
echo "== a run's page" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --open-run 3 --screenshot "$OUT/run-page.png" --screenshot-after 3
echo "== a compress run's page: its variants, table and plot" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --open-run 4 --screenshot "$OUT/variants.png" --screenshot-after 3
echo "== a federated run's page: its curves (accuracy, CO2e modelled and measured) and its clients" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --open-run 5 --run-tab Curves --screenshot "$OUT/federated-curves.png" --screenshot-after 3
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --open-run 5 --run-tab Clients --screenshot "$OUT/federated-clients.png" --screenshot-after 3
echo "== labeling dock at the window's default size, a run waiting for the person" >&2
printf '%s\n' '{"name": "labeling", "kind": "active-learning", "dataset": {"train_subset": 2000}, "model": {"source": "bundled"},
  "active_learning": {"oracle": "human", "initial": 20, "batch": 20, "budget": 200}, "energy": {"country": "FRA"}}' >"$work/labeling.json"
xvfb-run -a -s "-screen 0 1100x720x24" "$WORKBENCH" --db "$store" --start "$work/labeling.json" --screenshot "$OUT/labeling-default-size.png" \
    --screenshot-after 45
echo "== comparison report (PDF), every page as a picture" >&2
xvfb-run "${screen[@]}" "$WORKBENCH" --db "$store" --compare --report "$OUT/report.pdf" --screenshot "$OUT/compare-for-report.png" --screenshot-after 4
if command -v pdftoppm >/dev/null; then
    rm -f "$OUT"/report-page-*.png
    pdftoppm -r 60 -png "$OUT/report.pdf" "$OUT/report-page"
else
    echo "gui_screenshots.sh: pdftoppm is missing (apt-get install poppler-utils): the report's pages are not rendered" >&2
fi
ls -l "$OUT"/welcome.png "$OUT"/main-window.png "$OUT"/live-view.png "$OUT"/compare-view.png "$OUT"/compare-view-dark.png \
    "$OUT"/new-run-dialog.png "$OUT"/run-page.png "$OUT"/variants.png "$OUT"/federated-curves.png "$OUT"/federated-clients.png "$OUT"/labeling-default-size.png "$OUT"/report.pdf "$OUT"/report-page-*.png
