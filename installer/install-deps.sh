#!/usr/bin/env bash
# Installs the Debian 12 packages the workbench needs to build, test and run; installs only what
# is missing, so running it again is cheap. --bench adds what the benchmarks compare against.
set -euo pipefail

packages=(
  g++ cmake ninja-build                       # toolchain
  qt6-base-dev libqt6sql6-sqlite              # Qt 6 (Core, Gui, Widgets, Sql, Concurrent, PrintSupport, Test) + SQLite driver
  libtorch-dev libgloo-dev                    # LibTorch 1.13 (its c10d needs Gloo's headers)
  libopenblas0-pthread                        # fast BLAS for LibTorch (the reference BLAS is ~15x slower)
  libqcustomplot-dev qt6-svg-dev              # live plots, SVG export of plots
  nlohmann-json3-dev zlib1g-dev               # config parsing, gzip IDX files
  dataset-fashion-mnist                       # the embedded default dataset
  xvfb xauth                                  # GUI tests and screenshots without a display
  python3                                     # the include-layering check and the soak script
)
if [[ "${1:-}" == "--bench" ]]; then
  packages+=(python3-torch)                   # PyTorch eager, the benchmark baseline (same LibTorch version)
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if (( ${#missing[@]} == 0 )); then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi

sudo=""
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-deps: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
