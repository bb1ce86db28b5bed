#!/usr/bin/env bash
# Runs every benchmark of the project in one go: the engine beside PyTorch eager on the same machine,
# thread count and BLAS (a throughput figure means little without its twin), the energy sampler's
# CPU cost at 1, 10 and 20 Hz beside a run without it, as a share of its 0.5 %-of-a-core allowance,
# and "red versus green": the small CNN from scratch on all 60,000 labels beside a linear probe of the
# pretrained gw-mobilenet on 1,000 labels (embedding cache cold, then warm) and of its random-weights
# twin, with their accuracy, labels, energy, CO2 and time as ratios (configs in tests/bench/configs/),
# and active learning: every query strategy with the simulated oracle over 3 seeds, 20 + 20 per round
# up to 1,000 labels (tests/bench/active_learning.py: accuracy curves, labels to 80/85 %, energy and
# CO2 per round, query time on the full pool), and GUI responsiveness: the live plot's replot with an
# hour of 10 Hz samples (36,000 points per series) beside a minute of them, and the worst stall of the
# GUI thread's event loop during a real training run feeding the live plot at 10 Hz, and idle CPU: the
# window's CPU with nothing running and while an active-learning run waits for the person (goal < 1 %), and
# compression: the compression plugin on a fine-tuned gw-mobilenet and the small CNN (int8, pruning + int8,
# distillation) beside torch.ao.quantization's int8 of the same models (tests/bench/compression.py), and
# federated: the federated plugin's FedAvg on 100 clients to 85 % (IID, Dirichlet 0.5 and 0.1; random,
# energy- and carbon-aware selection; top-k with and without error feedback; 3 seeds) and its client updates
# per second beside a plain PyTorch FedAvg loop (tests/bench/federated.py; FEDERATED_ARGS passes options), and
# federated-hosts: the same FedAvg with worker processes on 127.0.0.1 as its hosts beside the simulation of
# the same clients: time and bytes per round (tests/bench/federated_hosts.py; FEDERATED_HOSTS_ARGS), and
# green-frontier: every green recipe (probe, probe + active learning, fine-tune last/full, FixMatch) at
# 250, 500 and 1,000 labels over 3 seeds beside Red, with the Pareto frontier of accuracy against energy
# and the pretraining's energy amortised (tests/bench/green_frontier.py; GREEN_FRONTIER_ARGS).
#
#   tests/bench/run_benchmarks.sh [--threads N] [--repeats N] [--quick] [--only SECTIONS]
#                                 [--seed N] [--red-epochs N] [--smoke]
#
# SECTIONS: a comma-separated choice of throughput, sampler, red-green, active-learning, gui, idle, compression, federated, federated-hosts, green-frontier (default: all); the
# sections not run keep their figures from the results file, and red-green takes its PyTorch peer
# from there. --threads, when given, and --seed also go into the red-green configs; --red-epochs sets
# red's epochs (default 8). --quick shrinks red to 10,000 samples and 2 epochs; --smoke (red on 2,000
# samples for 1 epoch, green with random weights on a 2,000-sample subset) checks the script, not
# the figures.
#
# Environment: BUILD_DIR (build tree to reuse; default build-bench/ in the repository), OUT (results
# JSON; default $BUILD_DIR/bench_results.json), JOBS (build parallelism; default 2), WORKBENCH
# (green-workbench binary for red-green; default: built in $BUILD_DIR).
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
PYTHON=/usr/bin/python3 # Debian's interpreter: the one with python3-torch (a pyenv python3 may shadow it)
BUILD_DIR=${BUILD_DIR:-$REPO/build-bench}
OUT=${OUT:-$BUILD_DIR/bench_results.json}
JOBS=${JOBS:-2}

threads=$(nproc)
threads_given=
quick=0
smoke=0
repeats=
sections=throughput,sampler,red-green,active-learning,gui,idle,compression,federated,federated-hosts,green-frontier
seed=
red_epochs=
usage() {
    sed -n '2,21s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
}
while [ $# -gt 0 ]; do
    case "$1" in
        --threads) threads=${2:?--threads needs a number}; threads_given=$threads; shift 2 ;;
        --threads=*) threads=${1#*=}; threads_given=$threads; shift ;;
        --repeats) repeats=${2:?--repeats needs a number}; shift 2 ;;
        --repeats=*) repeats=${1#*=}; shift ;;
        --only) sections=${2:?--only needs sections}; shift 2 ;;
        --only=*) sections=${1#*=}; shift ;;
        --seed) seed=${2:?--seed needs a number}; shift 2 ;;
        --seed=*) seed=${1#*=}; shift ;;
        --red-epochs) red_epochs=${2:?--red-epochs needs a number}; shift 2 ;;
        --red-epochs=*) red_epochs=${1#*=}; shift ;;
        --quick) quick=1; shift ;;
        --smoke) smoke=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "run_benchmarks.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
done
for n in "$threads" "${repeats:-1}" "${red_epochs:-1}"; do
    [[ "$n" =~ ^[1-9][0-9]*$ ]] || { echo "run_benchmarks.sh: expected a positive number, got '$n'" >&2; exit 2; }
done
[[ "${seed:-0}" =~ ^[0-9]+$ ]] || { echo "run_benchmarks.sh: --seed expects a number >= 0, got '$seed'" >&2; exit 2; }
for section in ${sections//,/ }; do
    case "$section" in
        throughput|sampler|red-green|active-learning|gui|idle|compression|federated|federated-hosts|green-frontier) ;;
        *) echo "run_benchmarks.sh: unknown section '$section' (throughput, sampler, red-green, active-learning, gui, idle, compression, federated, federated-hosts, green-frontier)" >&2; exit 2 ;;
    esac
done
want() { [[ ",$sections," == *",$1,"* ]]; }

if [ "$quick" = 1 ]; then
    batches=25 warmup=5 repeats=${repeats:-1}
else
    batches=60 warmup=10 repeats=${repeats:-3}
fi

# Fail before a long build rather than after it.
if { want throughput || want compression || want federated || want federated-hosts; } && ! "$PYTHON" -c 'import torch' 2>/dev/null; then
    echo "run_benchmarks.sh: $PYTHON cannot import torch, which the PyTorch baselines (throughput, compression, federated) need." >&2
    echo "Install it with: $REPO/installer/install-deps.sh --bench" >&2
    exit 3
fi

targets=()
if want throughput; then targets+=(bench_train_throughput); fi
if want sampler; then targets+=(bench_sampler_overhead); fi
if want gui; then targets+=(bench_gui_responsiveness); fi
if want idle; then targets+=(bench_idle_cpu); fi
if { want red-green || want active-learning || want compression || want federated || want federated-hosts || want green-frontier; } && [ -z "${WORKBENCH:-}" ]; then targets+=(green-workbench); fi
if want compression && [ -z "${WORKBENCH:-}" ]; then targets+=(gw_compression); fi # the plugin of the compress kind
if { want federated || want federated-hosts; } && [ -z "${WORKBENCH:-}" ]; then targets+=(gw_federated); fi    # the plugin of the federated kind
if [ ${#targets[@]} -gt 0 ]; then
    configure_args=(-DGW_BUILD_TESTS=ON -DGW_BUILD_BENCHMARKS=ON)
    if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
        # A generator can only be chosen for a fresh tree; a reused one keeps its own.
        if command -v ninja >/dev/null; then configure_args+=(-G Ninja); fi
        configure_args+=(-DCMAKE_BUILD_TYPE=Release)
    fi
    echo "== configuring $BUILD_DIR" >&2
    cmake -S "$REPO" -B "$BUILD_DIR" "${configure_args[@]}" >/dev/null
    echo "== building ${targets[*]}" >&2
    cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "$JOBS"
fi
binary() {
    local path
    path=$(find "$BUILD_DIR" -type f -name "$1" -perm -u+x | head -n 1)
    [ -n "$path" ] || { echo "run_benchmarks.sh: $1 not found under $BUILD_DIR" >&2; exit 1; }
    echo "$path"
}

runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
if want throughput; then
    engine=$(binary bench_train_throughput)
    common=(--threads "$threads" --batches "$batches" --warmup "$warmup" --batch-size 128)
    # Interleaved, so a slow spell of a shared machine hits both sides rather than one.
    for r in $(seq 1 "$repeats"); do
        echo "== run $r/$repeats: engine (LibTorch), $threads threads, $batches batches" >&2
        "$engine" "${common[@]}" >"$runs/engine-$r.json"
        echo "== run $r/$repeats: PyTorch eager, $threads threads, $batches batches" >&2
        "$PYTHON" "$REPO/tests/bench/pytorch_small_cnn.py" "${common[@]}" >"$runs/pytorch-$r.json"
    done
fi
if want sampler; then
    sampler=$(binary bench_sampler_overhead)
    # Once: it compares its rates with its own baseline inside one run, and counts CPU time, which the
    # load of a shared machine hardly changes.
    echo "== energy sampler: CPU cost at 1, 10, 20 Hz and without a monitor" >&2
    sampler_args=()
    if [ "$quick" = 1 ]; then sampler_args+=(--quick); fi
    "$sampler" "${sampler_args[@]}" >"$runs/sampler.json"
fi
if want red-green; then
    workbench=${WORKBENCH:-$BUILD_DIR/app/green-workbench}
    [ -x "$workbench" ] || { echo "run_benchmarks.sh: $workbench is not an executable green-workbench" >&2; exit 1; }
    # A store of its own in the fresh folder: the embedding cache beside it starts cold. Green runs
    # twice (cold, then warm: the second reads the first one's embeddings), then control, then red.
    "$PYTHON" - "$workbench" "$REPO/tests/bench/configs" "$runs/red-green" "$quick" "$smoke" "$seed" "$red_epochs" \
        "$threads_given" >"$runs/red_green.json" <<'PY'
import json, os, subprocess, sys

workbench, configs, work, quick, smoke, seed, red_epochs, threads = sys.argv[1:]
os.makedirs(work)
store = os.path.join(work, "store.sqlite")

common = {}
if seed:
    common["seed"] = int(seed)
if threads:
    common["training.threads"] = int(threads)
red, probes, green = {}, {}, {}
if smoke == "1":
    red = {"dataset.train_subset": 2000, "training.epochs": 1}
    probes = {"dataset.train_subset": 2000}
    green = {"model.source": "scratch"}  # the bundled weights may not be there yet
elif quick == "1":
    red = {"dataset.train_subset": 10000, "training.epochs": 2}
if red_epochs:
    red["training.epochs"] = int(red_epochs)


def config(name, overrides):
    with open(os.path.join(configs, name + ".json")) as f:
        document = json.load(f)
    for dotted, value in {**common, **overrides}.items():
        *parents, key = dotted.split(".")
        node = document
        for parent in parents:
            node = node.setdefault(parent, {})
        node[key] = value
    return document


def workbench_json(args):
    done = subprocess.run([workbench, *args, "--db", store], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return done, done.stdout.strip().splitlines()


def run(label, name, overrides):
    document = config(name, overrides)
    path = os.path.join(work, label + ".json")
    with open(path, "w") as f:
        json.dump(document, f, indent=2)
    print(f"== red-green: {label} ({document['model'].get('source')}, {document['training']['mode']}, "
          f"{document['training']['epochs']} epochs)", file=sys.stderr, flush=True)
    done, lines = workbench_json(["run", path, "--json"])
    try:
        summary = json.loads(lines[-1])
    except (IndexError, ValueError):
        summary = {"status": "failed", "error": f"no JSON summary (exit {done.returncode})"}
    if summary.get("status") == "completed":
        print(f"   accuracy {summary.get('accuracy', 0):.4f}, {summary.get('energy_kwh', 0) * 1e3:.4g} Wh "
              f"({summary.get('energy_source')}), {summary.get('duration_s', 0):.0f} s, embedding cache "
              f"{summary.get('embedding_cache', 'n/a')}", file=sys.stderr, flush=True)
    else:
        print(f"   {summary.get('status')}: {summary.get('error', '')}", file=sys.stderr)
        print("\n".join("   | " + line for line in done.stderr.strip().splitlines()[-5:]), file=sys.stderr, flush=True)
    return {"config": document, "exit_code": done.returncode, "summary": summary}


def per_epoch(run_id):
    """Per-epoch metrics of a stored run, from its JSON export: {name: [value of epoch 1, 2, ...]}."""
    done, _ = workbench_json(["export", "--run", str(run_id), "--format", "json"])
    if done.returncode != 0:
        print(f"   export of run {run_id} failed: {done.stderr.strip()}", file=sys.stderr)
        return {}
    metrics = sorted(json.loads(done.stdout)["metrics"], key=lambda m: m["step"])
    names = ("test_accuracy", "train_accuracy", "train_loss", "epoch_duration_s")
    return {name: [m["value"] for m in metrics if m["name"] == name] for name in names}


runs = {
    "green_cold": run("green-cold", "green", {**probes, **green}),
    "green_warm": run("green-warm", "green", {**probes, **green}),
    "control": run("control", "control", probes),
    "red": run("red", "red", red),
}
red_id = runs["red"]["summary"].get("run_id")
json.dump({"benchmark": "red_green", "workbench": workbench, "quick": quick == "1", "smoke": smoke == "1",
           "runs": runs, "red_per_epoch": per_epoch(red_id) if red_id is not None else {}}, sys.stdout, indent=2)
PY
fi

if want gui; then
    gui=$(binary bench_gui_responsiveness)
    echo "== GUI responsiveness: live-plot replot and event-loop stalls during a training run" >&2
    gui_args=()
    if [ "$quick" = 1 ] || [ "$smoke" = 1 ]; then gui_args+=(--quick); fi
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$gui" "${gui_args[@]}" >"$runs/gui.json"
fi
if want idle; then
    idle=$(binary bench_idle_cpu)
    echo "== Idle CPU: the window with nothing running, and while a labeling run waits for the person" >&2
    idle_args=()
    if [ "$quick" = 1 ] || [ "$smoke" = 1 ]; then idle_args+=(--quick); fi
    QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen} "$idle" "${idle_args[@]}" >"$runs/idle.json"
fi
if want active-learning; then
    workbench=${WORKBENCH:-$BUILD_DIR/app/green-workbench}
    [ -x "$workbench" ] || { echo "run_benchmarks.sh: $workbench is not an executable green-workbench" >&2; exit 1; }
    al_args=(--output "$runs/active_learning.json")
    if [ -n "$threads_given" ]; then al_args+=(--threads "$threads_given"); fi
    if [ "$smoke" = 1 ]; then al_args+=(--seeds 1 --strategies random,margin --budget 60); fi
    # It prints its table; the results file gets the whole document.
    "$PYTHON" "$REPO/tests/bench/active_learning.py" "$workbench" "${al_args[@]}"
fi

if want compression; then
    workbench=${WORKBENCH:-$BUILD_DIR/app/green-workbench}
    [ -x "$workbench" ] || { echo "run_benchmarks.sh: $workbench is not an executable green-workbench" >&2; exit 1; }
    compression_args=(--output "$runs/compression.json" --threads "$threads")
    if [ "$smoke" = 1 ]; then compression_args+=(--smoke); fi
    # It prints its table; the results file gets the whole document.
    "$PYTHON" "$REPO/tests/bench/compression.py" "$workbench" "${compression_args[@]}"
fi

if want federated; then
    workbench=${WORKBENCH:-$BUILD_DIR/app/green-workbench}
    [ -x "$workbench" ] || { echo "run_benchmarks.sh: $workbench is not an executable green-workbench" >&2; exit 1; }
    federated_args=(--output "$runs/federated.json" --threads "$threads" --repeats "$repeats")
    if [ "$smoke" = 1 ]; then federated_args+=(--smoke); fi
    # shellcheck disable=SC2206 # FEDERATED_ARGS is a list of options on purpose
    federated_args+=(${FEDERATED_ARGS:-})
    "$PYTHON" "$REPO/tests/bench/federated.py" "$workbench" "${federated_args[@]}"
fi

if want federated-hosts; then
    workbench=${WORKBENCH:-$BUILD_DIR/app/green-workbench}
    [ -x "$workbench" ] || { echo "run_benchmarks.sh: $workbench is not an executable green-workbench" >&2; exit 1; }
    hosts_args=(--output "$runs/federated-hosts.json")
    if [ "$smoke" = 1 ]; then hosts_args+=(--rounds 2 --samples 300); fi
    # shellcheck disable=SC2206 # FEDERATED_HOSTS_ARGS is a list of options on purpose
    hosts_args+=(${FEDERATED_HOSTS_ARGS:-})
    "$PYTHON" "$REPO/tests/bench/federated_hosts.py" "$workbench" "${hosts_args[@]}"
fi

if want green-frontier; then
    workbench=${WORKBENCH:-$BUILD_DIR/app/green-workbench}
    [ -x "$workbench" ] || { echo "run_benchmarks.sh: $workbench is not an executable green-workbench" >&2; exit 1; }
    frontier_args=(--output "$runs/green-frontier.json")
    if [ -n "$threads_given" ]; then frontier_args+=(--threads "$threads_given"); fi
    if [ "$smoke" = 1 ]; then frontier_args+=(--smoke); fi
    if [ -n "$red_epochs" ]; then frontier_args+=(--red-epochs "$red_epochs"); fi
    # shellcheck disable=SC2206 # GREEN_FRONTIER_ARGS is a list of options on purpose
    frontier_args+=(${GREEN_FRONTIER_ARGS:-})
    # It prints its table; the results file gets the whole document.
    "$PYTHON" "$REPO/tests/bench/green_frontier.py" "$workbench" "${frontier_args[@]}"
fi

mkdir -p "$(dirname "$OUT")"
GW_BENCH_DIR="$REPO/tests/bench" "$PYTHON" - "$runs" "$OUT" "$threads" "$repeats" "$quick" "$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    "$sections" <<'PY'
import datetime, glob, json, os, statistics, sys

runs_dir, out, threads, repeats, quick, commit, sections = sys.argv[1:]
sections = sections.split(",")
documents = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(runs_dir, "*.json")))]
results = [d for d in documents if "impl" in d]  # training throughput, one per implementation and repeat
sampler = next((d for d in documents if d.get("benchmark") == "sampler_overhead"), None)
red_green_runs = next((d for d in documents if d.get("benchmark") == "red_green"), None)
active_learning = next((d for d in documents if d.get("benchmark") == "active_learning"), None)
gui = next((d for d in documents if d.get("benchmark") == "gui_responsiveness"), None)
idle = next((d for d in documents if d.get("benchmark") == "idle_cpu"), None)
compression = next((d for d in documents if d.get("benchmark") == "compression"), None)
federated = next((d for d in documents if d.get("benchmark") == "federated"), None)
federated_hosts = next((d for d in documents if d.get("benchmark") == "federated_hosts"), None)
green_frontier = next((d for d in documents if d.get("benchmark") == "green_frontier"), None)
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
    "sections": sections,
    "environment": {k: os.environ[k] for k in env_names if k in os.environ},
}
# The sections not run this time keep their figures, and their dates, from the results file.
try:
    with open(out) as f:
        previous = json.load(f)
except (OSError, ValueError):
    previous = {}
fresh = {"summary": summary, "ratio_engine_over_pytorch": ratio, "sampler": sampler, "red_green": None,
         "active_learning": active_learning, "gui": gui, "idle": idle, "compression": compression, "federated": federated,
         "federated_hosts": federated_hosts, "green_frontier": green_frontier, "runs": results}
section_keys = {"throughput": ("summary", "ratio_engine_over_pytorch", "runs"), "sampler": ("sampler",), "red-green": ("red_green",),
                "active-learning": ("active_learning",), "gui": ("gui",), "idle": ("idle",), "compression": ("compression",),
                "federated": ("federated",), "federated-hosts": ("federated_hosts",), "green-frontier": ("green_frontier",)}
section_dates = {}
for section, keys in section_keys.items():
    if section in sections:
        section_dates[section] = document["date"]
    elif any(previous.get(k) for k in keys):
        fresh.update({k: previous.get(k) for k in keys})
        section_dates[section] = previous.get("section_dates", {}).get(section, previous.get("date"))
document["section_dates"] = section_dates
document.update(fresh)


def red_green_report(rg):
    """Red (small CNN from scratch, all labels) against green (linear probe of the pretrained backbone)."""
    def figures(run):
        s, config = run["summary"], run["config"]
        wh = lambda kwh: None if kwh is None else kwh * 1e3
        return {"status": s.get("status"), "error": s.get("error"), "run_id": s.get("run_id"),
                "model_source": config["model"].get("source", "scratch"), "training_mode": config["training"]["mode"],
                "test_accuracy": s.get("accuracy"), "labels_used": s.get("labels_used"),
                "energy_wh": wh(s.get("energy_kwh")), "emissions_g": s.get("emissions_g"), "duration_s": s.get("duration_s"),
                "energy_source": s.get("energy_source"), "embedding_cache": s.get("embedding_cache"),
                "best_val_accuracy": s.get("best_val_accuracy"), "embedding_energy_wh": wh(s.get("embedding_energy_kwh")),
                "embedding_energy_reused_wh": wh(s.get("embedding_energy_reused_kwh")), "config": config}

    rows = {name: figures(run) for name, run in rg["runs"].items()}
    done = {name: row for name, row in rows.items() if row["status"] == "completed"}
    red = done.get("red")
    # The scratch trainer holds no validation split: its per-epoch test accuracy stands in for "until
    # validation accuracy stops improving", and the energy to that epoch is the run's pro rata.
    curve = rg.get("red_per_epoch", {}).get("test_accuracy", [])
    red_best = None
    if red and curve:
        best = max(range(len(curve)), key=lambda i: (curve[i], -i)) + 1
        part = best / len(curve)
        red_best = {"epoch": best, "epochs": len(curve), "test_accuracy": curve[best - 1], "labels_used": red["labels_used"],
                    "energy_wh": red["energy_wh"] * part, "emissions_g": red["emissions_g"] * part,
                    "duration_s": red["duration_s"] * part, "energy_source": red["energy_source"],
                    "estimated": f"energy, CO2 and time: whole run x {best}/{len(curve)} epochs"}
    warm, cold, control = done.get("green_warm"), done.get("green_cold"), done.get("control")
    green = warm or cold

    def share(a, key_a, b, key_b=None):
        if a is None or b is None or a.get(key_a) is None or not b.get(key_b or key_a):
            return None
        return a[key_a] / b[key_b or key_a]

    def points(a, b):
        return None if a is None or b is None else (a["test_accuracy"] - b["test_accuracy"]) * 100

    def against(ref):
        return {"labels": share(green, "labels_used", ref),
                "energy_warm": share(warm, "energy_wh", ref), "energy_cold": share(cold, "energy_wh", ref),
                "co2_warm": share(warm, "emissions_g", ref), "co2_cold": share(cold, "emissions_g", ref),
                "time_warm": share(warm, "duration_s", ref), "time_cold": share(cold, "duration_s", ref),
                "accuracy_points": points(green, ref)}

    ratios = {"red_best_epoch": against(red_best), "red_full_run": against(red)}
    engine, torch_eager = (document["summary"] or {}).get("engine-libtorch"), (document["summary"] or {}).get("pytorch-eager")
    peer = None
    if engine and torch_eager:
        peer = {"engine_samples_per_s": engine["samples_per_s_median"], "pytorch_samples_per_s": torch_eager["samples_per_s_median"],
                "ratio_engine_over_pytorch": document["ratio_engine_over_pytorch"], "threads": engine["threads"],
                "date": section_dates.get("throughput")}
    gain = points(green, control)
    primary = ratios["red_best_epoch"] if red_best else ratios["red_full_run"]
    goals = [
        ("Green within 6 accuracy points of Red (at its best epoch)", primary["accuracy_points"], lambda v: v >= -6, "{:+.1f} points"),
        ("Green uses <= 2 % of Red's labels", primary["labels"], lambda v: v <= 0.02, "{:.2%}"),
        ("Green, warm cache, uses <= 5 % of Red's energy (to its best epoch)", primary["energy_warm"], lambda v: v <= 0.05, "{:.2%}"),
        ("engine at least as fast as the PyTorch peer", peer and peer["ratio_engine_over_pytorch"], lambda v: v >= 1, "{:.2f} x"),
        ("pretrained probe >= random-init probe + 3 points", gain, lambda v: v >= 3, "{:+.1f} points"),
    ]
    notes = []
    if warm and warm["embedding_cache"] != "hit":
        notes.append(f"green's second run reported embedding cache '{warm['embedding_cache']}', not 'hit': it did not run warm")
    if rg.get("smoke"):
        notes.append("smoke: red on 2,000 samples for 1 epoch, green with random weights (so control reads its embeddings) "
                     "on a 2,000-sample subset; these figures check the script, not the goals")
    elif rg.get("quick"):
        notes.append("quick: red on 10,000 samples for 2 epochs; its labels, energy and accuracy are not those of the goals")
    return {"runs": rows, "red_per_epoch": rg.get("red_per_epoch", {}), "red_best_epoch": red_best,
            "ratios_green_over_red": ratios, "accuracy_difference_points": {k: v["accuracy_points"] for k, v in ratios.items()},
            "probe_gain_points": gain, "peer": peer,
            "goals": [{"goal": text, "value": value, "met": None if value is None else bool(test(value))}
                      for text, value, test, _ in goals],
            "notes": notes, "quick": rg.get("quick"), "smoke": rg.get("smoke")}, goals


red_green_goals = None
if red_green_runs is not None:
    document["red_green"], red_green_goals = red_green_report(red_green_runs)
document["runs"] = document.pop("runs")  # the raw throughput runs stay last
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

def cell(value, spec):
    return "n/a" if value is None else spec.format(value)

print(f"{document['date']}, nproc {document['nproc']}, sections: {', '.join(sections)}")
if "throughput" in sections:
    rows = [("impl", "samples/s", "min..max", "threads", "BLAS library", "BLAS core", "CPU model", "instruction sets")]
    for impl, s in summary.items():
        rows.append((impl, f"{s['samples_per_s_median']:.0f}",
                     f"{s['samples_per_s_min']:.0f}..{s['samples_per_s_max']:.0f}", str(s["threads"]),
                     os.path.basename(s["blas_library"]) or "unknown", s["blas_core_type"] or "n/a",
                     s["cpu_model"], " ".join(s["instruction_sets"])))
    print_table(rows)
    env = ", ".join(f"{k}={v}" for k, v in document["environment"].items()) or "none of " + " ".join(env_names)
    print(f"median of {repeats} run(s); environment: {env}")
    if ratio is not None:
        print(f"engine / pytorch: {ratio:.2f}")
if sampler is not None and "sampler" in sections:
    goal = sampler["goal_percent_of_core"]
    rows = [("sampler", "samples", "CPU % of one core", f"share of {goal:g} % allowance", "CPU us/sample")]
    for rate in sampler["rates"]:
        rows.append((f"{rate['hz']:g} Hz", str(rate["samples"]), f"{rate['cpu_percent_of_core']:.3f}",
                     f"{rate['share_of_goal']:.0%}", f"{rate['us_per_sample']:.0f}"))
    print_table(rows)
    print(f"sampler: {sampler['seconds']:g} s per rate, baseline {sampler['baseline_cpu_s'] * 1e3:.3f} CPU ms without a monitor; "
          f"one source read {sampler['read_us']:.0f} us back to back, {sampler['read_spaced_us']:.0f} us 100 ms apart")
    print(f"power source: {sampler['source']}")
if gui is not None and "gui" in sections:
    rows = [("GUI responsiveness", "value", "goal", "met")]
    rows.append(("live plot replot, 36,000 points x 6 series (ms)", f"{gui['replot_ms_36000_points']:.2f}", "< 16",
                 "yes" if gui["replot_ms_36000_points"] < 16 else "NO"))
    rows.append(("the same with 600 points (ms)", f"{gui['replot_ms_600_points']:.2f}", "", ""))
    rows.append((f"worst GUI stall during a {gui['run_s']:.0f} s training run at 10 Hz (ms)", f"{gui['worst_stall_ms']:.1f}", "< 50",
                 "yes" if gui["worst_stall_ms"] < 50 else "NO"))
    rows.append(("99th percentile lateness of a 5 ms timer (ms)", f"{gui['p99_lateness_ms']:.1f}", "", ""))
    print_table(rows)
if idle is not None and "idle" in sections:
    rows = [("idle CPU, percent of one core", "GUI thread", "process", "goal (GUI)", "met")]
    for label, key in (("window, nothing running", "window_idle"), ("labeling run waiting for the person", "labeling_wait")):
        gui_share = idle[f"{key}_gui_thread_percent"]
        rows.append((label, f"{gui_share:.2f}", f"{idle[f'{key}_process_percent']:.2f}", "< 1", "yes" if gui_share < 1 else "NO"))
    print_table(rows)
if red_green_goals is not None:
    rg = document["red_green"]
    rows = [("red versus green", "status", "test acc", "labels", "energy Wh", "CO2 g", "time s", "energy source", "embedding cache")]
    def row(label, f, status=None):
        rows.append((label, status or f["status"] or "n/a", cell(f["test_accuracy"], "{:.4f}"), cell(f["labels_used"], "{:.0f}"),
                     cell(f["energy_wh"], "{:.4g}"), cell(f["emissions_g"], "{:.4g}"), cell(f["duration_s"], "{:.1f}"),
                     f["energy_source"] or "n/a", f.get("embedding_cache") or "n/a"))
    labels = {"red": "red: from scratch, full run", "green_cold": "green: probe, cold cache", "green_warm": "green: probe, warm cache",
              "control": "control: random-init probe"}
    row(labels["red"], rg["runs"]["red"])
    best = rg["red_best_epoch"]
    if best:
        row(f"red: to best epoch {best['epoch']}/{best['epochs']}", best, "estimate")
    for name in ("green_cold", "green_warm", "control"):
        row(labels[name], rg["runs"][name])
    print_table(rows)
    for name, f in rg["runs"].items():
        if f["status"] != "completed":
            print(f"{labels[name]}: {f['status']}: {f['error'] or 'no error given'}")
    if best:
        print(f"red's test accuracy per epoch: {' '.join(f'{a:.4f}' for a in rg['red_per_epoch']['test_accuracy'])}; "
              f"to its best epoch {best['estimated']} (estimated)")
    r = rg["ratios_green_over_red"]
    rows = [("Green / Red", "red to best epoch (est.)", "red full run")]
    for key, label in (("labels", "labels"), ("energy_warm", "energy, warm cache"), ("energy_cold", "energy, cold cache"),
                       ("co2_warm", "CO2, warm cache"), ("co2_cold", "CO2, cold cache"), ("time_warm", "time, warm cache"),
                       ("time_cold", "time, cold cache")):
        rows.append((label, cell(r["red_best_epoch"][key], "{:.2%}"), cell(r["red_full_run"][key], "{:.2%}")))
    rows.append(("accuracy, Green - Red", cell(r["red_best_epoch"]["accuracy_points"], "{:+.1f} points"),
                 cell(r["red_full_run"]["accuracy_points"], "{:+.1f} points")))
    print_table(rows)
    print(f"probe gain, pretrained over random init at {rg['runs']['control']['labels_used'] or 'n/a'} labels: "
          f"{cell(rg['probe_gain_points'], '{:+.1f} points')}")
    peer = rg["peer"]
    if peer:
        print(f"peer (red's training step, throughput section of {peer['date']}, {peer['threads']} threads): engine "
              f"{peer['engine_samples_per_s']:.0f} samples/s, PyTorch eager {peer['pytorch_samples_per_s']:.0f} samples/s, "
              f"engine / PyTorch {peer['ratio_engine_over_pytorch']:.2f}")
    else:
        print("peer: no throughput figures (run the throughput section too)")
    print("goals (marked, never failed on):")
    for text, value, test, spec in red_green_goals:
        mark = "n/a" if value is None else ("met" if test(value) else "NOT met")
        print(f"  [{mark}] {text}: {cell(value, spec)}")
    for note in rg["notes"]:
        print(f"note: {note}")
if document.get("green_frontier"):
    sys.path.insert(0, os.environ.get("GW_BENCH_DIR", ""))
    from green_frontier import format_table as frontier_table
    print()
    print(frontier_table(document["green_frontier"]))
print(f"results: {out}")
PY
