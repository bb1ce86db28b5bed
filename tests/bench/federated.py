#!/usr/bin/env python3
"""Federated-learning benchmark: the federated plugin's simulation on real Fashion-MNIST.

FedAvg, 100 clients, 10 per round, E = 1, B = 32, SGD at 0.1, the small CNN, every run up to
--max-rounds rounds and stopped at the first round whose global model reaches --target (85 %) on the
10,000 test images. For each experiment and seed it reports the rounds, the clients' modelled CO2e
(their devices and networks, as the bundled profiles model them), this machine's energy and wall
time, and the uplink bytes until the target, and the accuracy where the run ended:

- partitions: IID, Dirichlet alpha = 0.5 and 0.1 (random selection, dense updates);
- selection: random, energy-aware and carbon-aware (IID and Dirichlet 0.5);
- updates: top-k at 10 % and 1 %, each with and without error feedback (IID).

Throughput: simulated client updates per second (local training and aggregation, evaluation
excluded) of the workbench beside a plain PyTorch FedAvg loop over the same model, the same client
sizes and the same hyper-parameters, in the same process conditions and thread count, interleaved,
median of --repeats; the ratio is workbench / PyTorch.

Prints a table on stdout and writes the JSON to --output.

    tests/bench/federated.py WORKBENCH --output FILE [--store DIR] [--threads N] [--seeds N] [--resume]
                             [--max-rounds N] [--only partitions,selection,updates,throughput] [--smoke]
"""
import argparse, json, os, random, statistics, sys, tempfile, time

from benchlib import idx, run

EXPERIMENTS = {
    "partitions": [
        ("IID", {"partition": "iid"}),
        ("Dir(0.5)", {"partition": "dirichlet", "alpha": 0.5}),
        ("Dir(0.1)", {"partition": "dirichlet", "alpha": 0.1}),
    ],
    "selection": [
        ("IID energy-aware", {"partition": "iid", "selection": "energy"}),
        ("IID carbon-aware", {"partition": "iid", "selection": "carbon"}),
        ("Dir(0.5) energy-aware", {"partition": "dirichlet", "alpha": 0.5, "selection": "energy"}),
        ("Dir(0.5) carbon-aware", {"partition": "dirichlet", "alpha": 0.5, "selection": "carbon"}),
    ],
    "updates": [
        ("IID top-10 % + EF", {"partition": "iid", "top_k": 0.1, "error_feedback": True}),
        ("IID top-10 %", {"partition": "iid", "top_k": 0.1, "error_feedback": False}),
        ("IID top-1 % + EF", {"partition": "iid", "top_k": 0.01, "error_feedback": True}),
        ("IID top-1 %", {"partition": "iid", "top_k": 0.01, "error_feedback": False}),
    ],
}


def config(name, seed, federated, threads, max_rounds, target, smoke):
    f = {"clients": 100, "per_round": 10, "local_epochs": 1, "rounds": max_rounds, "target_accuracy": target,
         "stop_at_target": True, "client_eval_every": 0, "selection": "random"}
    f.update(federated)
    c = {"name": name, "kind": "federated", "seed": seed, "model": {"source": "scratch"},
         "training": {"batch_size": 32, "lr": 0.1, "threads": threads},
         "federated": f, "energy": {"sample_hz": 1, "country": "FRA"}}
    if smoke:
        c["dataset"] = {"kind": "fashion-mnist", "train_subset": 2000}
    return c


def experiment(workbench, store, label, federated, seeds, a):
    rows = []
    for seed in range(1, seeds + 1):
        s = run(workbench, store, config(label, seed, federated, a.threads, a.max_rounds, a.target, a.smoke))
        f = s["federated"]
        reached = f.get("reached_target")
        rows.append({"seed": seed, "reached": reached is not None, "rounds": reached["round"] if reached else None,
                     "modelled_co2e_g": reached["modelled_co2e_g"] if reached else None,
                     "modelled_energy_j": reached["modelled_energy_j"] if reached else None,
                     "machine_energy_j": reached["machine_energy_j"] if reached else None,
                     "wall_s": reached["wall_s"] if reached else None,
                     "uplink_bytes": reached["uplink_bytes"] if reached else None,
                     "final_accuracy": f["accuracy"], "rounds_run": f["rounds"],
                     "update_bytes": f["update_bytes"], "update_wire_format": f["update_wire_format"],
                     "accuracy_by_round": [r["test_accuracy"] for r in f["per_round"]]})
        print(f"  {label} seed {seed}: " + (f"85 % at round {rows[-1]['rounds']}" if reached else
                                            f"not reached in {f['rounds']} rounds ({f['accuracy']:.4f})"), file=sys.stderr, flush=True)
    return {"experiment": label, "federated": federated, "seeds": rows, "median": medians(rows)}


def medians(rows):
    out = {}
    for key in ("rounds", "modelled_co2e_g", "modelled_energy_j", "machine_energy_j", "wall_s", "uplink_bytes", "final_accuracy"):
        values = [r.get(key) for r in rows if r.get(key) is not None]
        out[key] = statistics.median(values) if values and len(values) == len(rows) else None
    out["reached"] = sum(1 for r in rows if r["reached"])
    return out


# ---------------------------------------------------------------- the PyTorch peer for throughput
def pytorch_fedavg(rounds, threads, seed):
    """Client updates per second of a plain PyTorch FedAvg loop: 100 IID clients of 540 images
    (the workbench's IID split after its 10 % held-out share), 10 per round, E = 1, B = 32, SGD 0.1."""
    import torch
    import torch.nn.functional as F
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from pytorch_small_cnn import SmallCnn
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    x = idx("train-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    x = (x - x.mean()) / x.std()
    y = idx("train-labels-idx1-ubyte.gz").long()
    order = torch.randperm(x.shape[0])
    clients = [order[c * 600:c * 600 + 540] for c in range(100)]
    model = SmallCnn(28, 28, 10)
    params = list(model.parameters())
    global_w = torch.nn.utils.parameters_to_vector(params).detach().clone()
    rng = random.Random(seed)
    updates_done, spent = 0, 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        chosen = rng.sample(range(100), 10)
        total, weight = torch.zeros_like(global_w), 0.0
        for c in chosen:
            torch.nn.utils.vector_to_parameters(global_w, params)
            sgd = torch.optim.SGD(params, lr=0.1)
            cx, cy = x.index_select(0, clients[c]), y.index_select(0, clients[c])
            perm = torch.randperm(cx.shape[0])
            for b in range(0, cx.shape[0], 32):
                i = perm[b:b + 32]
                sgd.zero_grad()
                F.cross_entropy(model(cx.index_select(0, i)), cy.index_select(0, i)).backward()
                sgd.step()
            with torch.no_grad():
                total += (torch.nn.utils.parameters_to_vector(params) - global_w) * cx.shape[0]
            weight += cx.shape[0]
            updates_done += 1
        global_w += total / weight
        spent += time.perf_counter() - start
    return updates_done / spent


def workbench_throughput(workbench, store, rounds, threads, seed, smoke):
    c = config("throughput", seed, {"partition": "iid", "rounds": rounds, "eval_every": rounds, "stop_at_target": False}, threads,
               rounds, 1.0, smoke)
    f = run(workbench, store, c)["federated"]
    return f["updates_kept"] / f["client_training_and_aggregation_s"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("workbench")
    p.add_argument("--output", required=True)
    p.add_argument("--store", default=None)
    p.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    p.add_argument("--seeds", type=int, default=3)
    p.add_argument("--max-rounds", type=int, default=100)
    p.add_argument("--target", type=float, default=0.85)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--only", default="partitions,selection,updates,throughput")
    p.add_argument("--resume", action="store_true", help="keep the experiments the output file already holds")
    p.add_argument("--table-only", action="store_true", help="print the table of the output file and stop")
    p.add_argument("--smoke", action="store_true", help="tiny inputs: checks the script, not the figures")
    a = p.parse_args()
    if a.table_only:
        with open(a.output) as f:
            print(table(json.load(f)))
        return
    if a.smoke:
        a.seeds, a.max_rounds, a.repeats = 1, 2, 1
    wanted = a.only.split(",")
    store_dir = a.store or tempfile.mkdtemp(prefix="gw-federated-bench-")
    store = os.path.join(store_dir, "federated.db")
    result = {"benchmark": "federated", "threads": a.threads, "seeds": a.seeds, "max_rounds": a.max_rounds, "target": a.target,
              "experiments": []}
    # Most telling first, so a run stopped early still answers the main questions: the results file
    # is written after every experiment, and --resume keeps the experiments it already holds.
    order = ["IID", "Dir(0.5)", "IID carbon-aware", "IID energy-aware", "IID top-1 % + EF", "IID top-1 %", "Dir(0.1)",
             "Dir(0.5) carbon-aware", "Dir(0.5) energy-aware", "IID top-10 % + EF", "IID top-10 %"]
    sections = {label: section for section, entries in EXPERIMENTS.items() for label, _ in entries}
    settings = {label: federated for entries in EXPERIMENTS.values() for label, federated in entries}
    baselines = {"selection": ["IID", "Dir(0.5)"], "updates": ["IID"]}
    needed = [label for label in order if sections[label] in wanted]
    for section, labels in baselines.items():
        if section in wanted:
            needed += [label for label in labels if label not in needed]
    needed = [label for label in order if label in needed]
    kept = {}
    if a.resume and os.path.exists(a.output):
        with open(a.output) as f:
            previous = json.load(f)
        kept = {e["experiment"]: e for e in previous.get("experiments", []) if len(e["seeds"]) == a.seeds}
        if "throughput" in previous and "throughput" not in wanted:
            result["throughput"] = previous["throughput"]
    for label in order:  # the sections not run keep their experiments
        if label in needed:
            result["experiments"].append(kept.get(label) or experiment(a.workbench, store, label, settings[label], a.seeds, a))
        elif label in kept:
            result["experiments"].append(kept[label])
        with open(a.output, "w") as f:
            json.dump(result, f, indent=1)
    if "throughput" in wanted:
        rounds = 2 if a.smoke else 10
        ours, theirs = [], []
        for r in range(a.repeats):
            ours.append(workbench_throughput(a.workbench, store, rounds, a.threads, 1, a.smoke))
            theirs.append(pytorch_fedavg(rounds, a.threads, 1))
        result["throughput"] = {"rounds": rounds, "workbench_updates_per_s": ours, "pytorch_updates_per_s": theirs,
                                "ratio": statistics.median(ours) / statistics.median(theirs)}
    with open(a.output, "w") as f:
        json.dump(result, f, indent=1)
    print(table(result))


def table(result):
    lines = [f"Federated (FedAvg, 100 clients, 10 per round, E=1, B=32; to {result['target'] * 100:.0f} % test accuracy; medians of "
             f"{result['seeds']} seeds; at most {result['max_rounds']} rounds)",
             f"{'experiment':<24}{'reached':>8}{'rounds':>8}{'CO2e g (model)':>16}{'kJ (model)':>12}{'machine J':>11}{'wall s':>8}{'uplink MB':>11}"
             f"{'acc at end':>11}"]
    fmt = lambda v, spec: format("-", spec.split(".")[0]) if v is None else format(v, spec)
    byname = {e["experiment"]: e["median"] for e in result["experiments"]}
    for e in result["experiments"]:
        m = e["median"]
        modelled_kj = None if m.get("modelled_energy_j") is None else m["modelled_energy_j"] / 1e3
        lines.append(f"{e['experiment']:<24}{m['reached']:>5}/{len(e['seeds']):<2}{fmt(m['rounds'], '>8.0f')}{fmt(m['modelled_co2e_g'], '>16.2f')}"
                     f"{fmt(modelled_kj, '>12.1f')}"
                     f"{fmt(m['machine_energy_j'], '>11.0f')}{fmt(m['wall_s'], '>8.1f')}"
                     f"{fmt(None if m['uplink_bytes'] is None else m['uplink_bytes'] / 1e6, '>11.2f')}{fmt(m['final_accuracy'], '>11.4f')}")
    for base in ("IID", "Dir(0.5)"):
        for other in (f"{base} carbon-aware", f"{base} energy-aware"):
            if base in byname and other in byname and byname[base]["modelled_co2e_g"] and byname[other]["modelled_co2e_g"]:
                lines.append(f"{other} vs random: CO2e x{byname[other]['modelled_co2e_g'] / byname[base]['modelled_co2e_g']:.2f}, "
                             f"rounds x{byname[other]['rounds'] / byname[base]['rounds']:.2f}")
    experiments = {e["experiment"]: e for e in result["experiments"]}

    def accuracy_at(label, round_):
        """Median over seeds of the test accuracy after ROUND rounds (the last one when a run stopped before)."""
        curves = [s.get("accuracy_by_round") for s in experiments[label]["seeds"]]
        if not all(curves):
            return None
        return statistics.median(curve[min(round_, len(curve)) - 1] for curve in curves)

    for other in ("IID top-1 % + EF", "IID top-1 %", "IID top-10 % + EF", "IID top-10 %"):
        if "IID" not in byname or other not in byname or not byname["IID"]["rounds"]:
            continue
        dense_rounds = int(byname["IID"]["rounds"])
        line = f"{other} vs dense: "
        if byname[other]["uplink_bytes"] and byname["IID"]["uplink_bytes"]:
            line += (f"uplink bytes to target x{byname['IID']['uplink_bytes'] / byname[other]['uplink_bytes']:.1f} fewer, "
                     f"rounds x{byname[other]['rounds'] / byname['IID']['rounds']:.2f}; ")
        mine, dense = accuracy_at(other, dense_rounds), accuracy_at("IID", dense_rounds)
        if mine is not None and dense is not None:
            line += f"after dense's {dense_rounds} rounds {mine:.4f} vs {dense:.4f} ({(mine - dense) * 100:+.1f} points)"
        lines.append(line.rstrip("; "))
    if "throughput" in result:
        t = result["throughput"]
        lines.append(f"Throughput: workbench {statistics.median(t['workbench_updates_per_s']):.2f} client updates/s, PyTorch FedAvg loop "
                     f"{statistics.median(t['pytorch_updates_per_s']):.2f}; ratio {t['ratio']:.2f}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
