#!/usr/bin/env bash
# Runs every benchmark of the project in one go: the engine beside PyTorch eager on the same machine,
# thread count and BLAS (a throughput figure means little without its twin), and the energy sampler's
# CPU cost at 1, 10 and 20 Hz beside a run without it, as a share of its 0.5 %-of-a-core allowance.
#
#   tests/bench/run_benchmarks.sh [--threads N] [--repeats N] [--quick]
#
# Environment: BUILD_DIR (build tree to reuse; default build-bench/ in the repository), OUT (results
# JSON; default $BUILD_DIR/bench_results.json), JOBS (build parallelism; default 2).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=/usr/bin/python3 # Debian's interpreter: the one with python3-torch (a pyenv python3 may shadow it)
BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
OUT=${OUT:-$BUILD_DIR/bench_results.json}
JOBS=${JOBS:-2}

threads=$(nproc)
quick=0
repeats=
usage() {
    sed -n '2,9s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) threads=${2:?--threads needs a number}; shift 2 ;;
        --threads=*) threads=${1#*=}; shift ;;
        --repeats) repeats=${2:?--repeats needs a number}; shift 2 ;;
        --repeats=*) repeats=${1#*=}; shift ;;
        --quick) quick=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_benchmarks.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for n in "$threads" "${repeats:-1}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run_benchmarks.sh: expected a positive number, got '$n'" >&2; exit 2; }
done

if [ "$quick" = 1 ]; then
    batches=25 warmup=5 repeats=${repeats:-1}
else
    batches=60 warmup=10 repeats=${repeats:-3}
fi

# Fail before a long build rather than after it.
if ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "run_benchmarks.sh: $PYTHON cannot import torch, which the PyTorch baseline needs." >&2
    echo "Install it with: $REPO/installer/install-deps.sh --bench" >&2
    exit 3
fi

configure_args=(-DGW_BUILD_TESTS=ON -DGW_BUILD_BENCHMARKS=ON)
if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
    # A generator can only be chosen for a fresh tree; a reused one keeps its own.
    if command -v ninja >/dev/null; then configure_args+=(-G Ninja); fi
    configure_args+=(-DCMAKE_BUILD_TYPE=Release)
fi
echo "== configuring $BUILD_DIR" >&2
cmake -S "$REPO" -B "$BUILD_DIR" "${configure_args[@]}" >/dev/null
benchmarks=(bench_train_throughput bench_sampler_overhead)
echo "== building ${benchmarks[*]}" >&2
cmake --build "$BUILD_DIR" --target "${benchmarks[@]}" -j "$JOBS"
binary() {
    local path
    path=$(find "$BUILD_DIR" -type f -name "$1" -perm -u+x | head -n 1)
    [ -n "$path" ] || { echo "run_benchmarks.sh: $1 not found under $BUILD_DIR" >&2; exit 1; }
    echo "$path"
}
engine=$(binary bench_train_throughput)
sampler=$(binary bench_sampler_overhead)

runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
common=(--threads "$threads" --batches "$batches" --warmup "$warmup" --batch-size 128)
# Interleaved, so a slow spell of a shared machine hits both sides rather than one.
for r in $(seq 1 "$repeats"); do
    echo "== run $r/$repeats: engine (LibTorch), $threads threads, $batches batches" >&2
    "$engine" "${common[@]}" >"$runs/engine-$r.json"
    echo "== run $r/$repeats: PyTorch eager, $threads threads, $batches batches" >&2
    "$PYTHON" "$REPO/tests/bench/pytorch_small_cnn.py" "${common[@]}" >"$runs/pytorch-$r.json"
done
# Once: it compares its rates with its own baseline inside one run, and counts CPU time, which the
# load of a shared machine hardly changes.
echo "== energy sampler: CPU cost at 1, 10, 20 Hz and without a monitor" >&2
sampler_args=()
if [ "$quick" = 1 ]; then sampler_args+=(--quick); fi
"$sampler" "${sampler_args[@]}" >"$runs/sampler.json"

mkdir -p "$(dirname "$OUT")"
"$PYTHON" - "$runs" "$OUT" "$threads" "$repeats" "$quick" "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" <<'PY'
import datetime, glob, json, os, statistics, sys

runs_dir, out, threads, repeats, quick, commit = sys.argv[1:]
documents = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(runs_dir, "*.json")))]
results = [d for d in documents if "impl" in d]  # training throughput, one per implementation and repeat
sampler = next((d for d in documents if d.get("benchmark") == "sampler_overhead"), None)
if sampler is not None:
    for rate in sampler["rates"]:
        rate["share_of_goal"] = rate["cpu_percent_of_core"] / sampler["goal_percent_of_core"]

summary = {}
for impl in ("engine-libtorch", "pytorch-eager"):
    mine = [r for r in results if r["impl"] == impl]
    if not mine:
        continue
    rates = [r["samples_per_s"] for r in mine]
    hw = mine[0]["hardware"]
    summary[impl] = {
        "samples_per_s_median": statistics.median(rates),
        "samples_per_s_min": min(rates),
        "samples_per_s_max": max(rates),
        "runs": len(rates),
        "threads": mine[0]["threads"],
        "blas_library": hw.get("blas_library", ""),
        "blas_core_type": hw.get("blas_core_type", ""),
        "cpu_model": hw.get("cpu_model", ""),
        "instruction_sets": hw.get("instruction_sets", []),
        "torch_version": hw.get("torch_version", ""),
    }

ratio = None
if "engine-libtorch" in summary and "pytorch-eager" in summary:
    ratio = summary["engine-libtorch"]["samples_per_s_median"] / summary["pytorch-eager"]["samples_per_s_median"]

# Thread and wait-policy variables change these numbers a lot on few cores, so they go on record.
env_names = ("OPENBLAS_CORETYPE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
document = {
    "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    "commit": commit,
    "nproc": os.cpu_count(),
    "threads": int(threads),
    "repeats": int(repeats),
    "quick": quick == "1",
    "environment": {k: os.environ[k] for k in env_names if k in os.environ},
    "summary": summary,
    "ratio_engine_over_pytorch": ratio,
    "sampler": sampler,
    "runs": results,
}
with open(out, "w") as f:
    json.dump(document, f, indent=2)
    f.write("\n")

def print_table(rows):
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    print()
    for n, row in enumerate(rows):
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    print()

rows = [("impl", "samples/s", "min..max", "threads", "BLAS library", "BLAS core", "CPU model", "instruction sets")]
for impl, s in summary.items():
    rows.append((impl, f"{s['samples_per_s_median']:.0f}",
                 f"{s['samples_per_s_min']:.0f}..{s['samples_per_s_max']:.0f}", str(s["threads"]),
                 os.path.basename(s["blas_library"]) or "unknown", s["blas_core_type"] or "n/a",
                 s["cpu_model"], " ".join(s["instruction_sets"])))
print_table(rows)
env = ", ".join(f"{k}={v}" for k, v in document["environment"].items()) or "none of " + " ".join(env_names)
print(f"{document['date']}, nproc {document['nproc']}, median of {repeats} run(s); environment: {env}")
if ratio is not None:
    print(f"engine / pytorch: {ratio:.2f}")
if sampler is not None:
    goal = sampler["goal_percent_of_core"]
    rows = [("sampler", "samples", "CPU % of one core", f"share of {goal:g} % allowance", "CPU us/sample")]
    for rate in sampler["rates"]:
        rows.append((f"{rate['hz']:g} Hz", str(rate["samples"]), f"{rate['cpu_percent_of_core']:.3f}",
                     f"{rate['share_of_goal']:.0%}", f"{rate['us_per_sample']:.0f}"))
    print_table(rows)
    print(f"sampler: {sampler['seconds']:g} s per rate, baseline {sampler['baseline_cpu_s'] * 1e3:.3f} CPU ms without a monitor; "
          f"one source read {sampler['read_us']:.0f} us back to back, {sampler['read_spaced_us']:.0f} us 100 ms apart")
    print(f"power source: {sampler['source']}")
print(f"results: {out}")
PY
