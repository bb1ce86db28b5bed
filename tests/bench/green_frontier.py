#!/usr/bin/env python3
"""The green frontier: every green recipe on the bundled backbone at 250, 500 and 1,000 labels of the
real Fashion-MNIST, beside Red (the small CNN from scratch on all 60,000 labels), over several seeds.

Recipes: the linear probe (L-BFGS, penalty chosen by cross-validation), the probe on labels
that margin active learning asked for, fine-tuning of the last block and of everything,
semi-supervised (FixMatch) training of the head on the frozen backbone and of the last block, and
fine-tuning everything on the labels margin active learning gathered (both runs' energy). For each recipe and label count: test
accuracy (mean and spread over the seeds), labels, energy and CO2 per run with a warm embedding cache,
the share of Red's energy, and whether the point is on the Pareto frontier of accuracy against energy
(no other point is at least as accurate for at most the energy). The backbone's pretraining is shown
apart, with its energy amortised over 10 and 100 runs and the runs after which it is paid back
against Red. Prints a table on stdout and writes the JSON to --output.

    tests/bench/green_frontier.py WORKBENCH --output FILE [--seeds 1,2,3] [--labels 250,500,1000]
                                  [--costly-seeds 1] [--recipes a,b] [--store DIR] [--keep FILE] [--threads N] [--red-epochs N] [--smoke]
"""
import argparse, json, os, re, statistics, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import benchlib  # noqa: E402

CARD = os.path.join(HERE, "..", "..", "resources", "models", "gw-mobilenet-fmnist.md")


def dotted(document, overrides):
    for key, value in overrides.items():
        *parents, last = key.split(".")
        node = document
        for parent in parents:
            node = node.setdefault(parent, {})
        node[last] = value
    return document


def base(name, seed, threads):
    return {"name": name, "seed": seed, "dataset": {"kind": "fashion-mnist", "path": None},
            "model": {"source": "bundled", "cache_dtype": "float16"},
            "training": {"threads": threads}, "energy": {"country": "FRA"}}


def probe(labels, seed, threads):
    return dotted(base(f"probe-{labels}", seed, threads), {
        "kind": "finetune", "labels.count": labels, "training.mode": "linear-probe", "training.probe_solver": "lbfgs",
        "training.validation_fraction": 0.2})


def probe_active(labels, seed, threads):
    step = max(10, labels // 20)
    return dotted(base(f"probe-margin-{labels}", seed, threads), {
        "kind": "active-learning", "training.mode": "linear-probe",
        "active_learning": {"strategy": "margin", "initial": step, "batch": step, "budget": labels, "oracle": "simulated", "noise": 0.0,
                            "stop": {"kappa": None, "target_accuracy": None, "emissions_g": None}}})


def finetune(mode):
    def make(labels, seed, threads):
        return dotted(base(f"{mode}-{labels}", seed, threads), {
            "kind": "finetune", "labels.count": labels, "training.mode": mode, "training.epochs": 30, "training.batch_size": 32,
            "training.lr": 0.001, "training.weight_decay": 0.0005, "training.optimizer": "adam", "training.patience": 8,
            "training.validation_fraction": 0.2})
    return make


def semi_supervised(labels, seed, threads):
    document = finetune("finetune-last")(labels, seed, threads)
    document["name"] = f"fixmatch-last-{labels}"
    return dotted(document, {"training.epochs": 12, "training.patience": 0, "training.semi_supervised.ratio": 3,
                             "training.semi_supervised.threshold": 0.95, "training.semi_supervised.weight": 1.0})


def semi_supervised_probe(labels, seed, threads):
    """FixMatch on a frozen backbone: only the head learns, from the labels and the pool's confident views."""
    return dotted(base(f"fixmatch-probe-{labels}", seed, threads), {
        "kind": "finetune", "labels.count": labels, "training.mode": "linear-probe", "training.probe_solver": "epochs",
        "training.epochs": 12, "training.batch_size": 32, "training.lr": 0.003, "training.weight_decay": 0.0005, "training.optimizer": "adam",
        "training.patience": 0, "training.validation_fraction": 0.2, "training.semi_supervised.ratio": 3,
        "training.semi_supervised.threshold": 0.95, "training.semi_supervised.weight": 1.0})


def finetune_on_active_labels(labels, seed, threads):
    """Margin active learning picks the labels on cached features; one fine-tuning of everything on them makes
    the final model (labels.run_id). Two runs: the recipe's energy is both of theirs."""
    def then(gathered):
        document = finetune("finetune-full")(labels, seed, threads)
        document["name"] = f"finetune-full-on-margin-{labels}"
        document["labels"] = {"count": 0, "run_id": gathered["run_id"]}
        return document
    return [probe_active(labels, seed, threads), then]


RECIPES = {
    "probe": ("linear probe (L-BFGS)", probe),
    "probe+al": ("linear probe, margin active learning", probe_active),
    "finetune-last": ("fine-tune last block", finetune("finetune-last")),
    "finetune-full": ("fine-tune everything", finetune("finetune-full")),
    "fixmatch-probe": ("semi-supervised (FixMatch), head on the frozen backbone", semi_supervised_probe),
    "fixmatch-last": ("semi-supervised (FixMatch), last block", semi_supervised),
    "al+finetune-full": ("fine-tune everything on margin active learning's labels", finetune_on_active_labels),
}
# The recipes that pass images through the backbone in every step (minutes a run, not seconds).
COSTLY = {"finetune-last", "finetune-full", "fixmatch-probe", "fixmatch-last", "al+finetune-full"}


def run_recipe(workbench, store, steps):
    """Runs a recipe's config, or its configs in turn (a step may be a function of the previous run's summary);
    the last run's summary, with the energy, CO2 and time of them all."""
    steps = steps if isinstance(steps, list) else [steps]
    summary, spent = None, {"energy_kwh": 0.0, "emissions_g": 0.0, "duration_s": 0.0}
    for step in steps:
        summary = benchlib.run(workbench, store, step(summary) if callable(step) else step)
        for key in spent:
            spent[key] += summary.get(key) or 0.0
    return dict(summary, **spent)


def pretraining_energy_wh():
    """The bundled backbone's pretraining energy from its model card (every part of it, summed)."""
    try:
        text = open(CARD).read()
    except OSError:
        return None
    # A continued pretraining's card states the whole (its parts summed); a single one's, its total.
    match = re.search(r"the whole pretraining used \*\*([0-9.]+) Wh", text) or re.search(r"\| Total energy \| ([0-9.]+) Wh", text)
    return float(match.group(1)) if match else None


def pareto(points):
    """Indices of the points no other point dominates (accuracy at least as high for energy at most as high, one strictly)."""
    front = []
    for i, p in enumerate(points):
        dominated = any(q["accuracy"] >= p["accuracy"] and q["energy_wh"] <= p["energy_wh"] and
                        (q["accuracy"] > p["accuracy"] or q["energy_wh"] < p["energy_wh"]) for j, q in enumerate(points) if j != i)
        if not dominated:
            front.append(i)
    return front


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbench")
    parser.add_argument("--output", required=True)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--costly-seeds", default=None, help="seeds of the recipes that train through the backbone (default: --seeds)")
    parser.add_argument("--labels", default="250,500,1000")
    parser.add_argument("--recipes", default=",".join(RECIPES))
    parser.add_argument("--store", default=None, help="folder for the store (default: a fresh temporary one)")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--red-epochs", type=int, default=8)
    parser.add_argument("--keep", default=None, help="an earlier document of this script: its Red and its rows of the recipes not "
                        "run now are kept (run again with the same --store, so the embedding cache stays warm)")
    parser.add_argument("--smoke", action="store_true", help="one seed, 250 labels, Red on 2,000 samples for 1 epoch: checks the script")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    costly_seeds = [int(s) for s in args.costly_seeds.split(",")] if args.costly_seeds else seeds
    label_counts = [int(n) for n in args.labels.split(",")]
    recipes = args.recipes.split(",")
    for r in recipes:
        if r not in RECIPES:
            sys.exit(f"green_frontier.py: unknown recipe '{r}' ({', '.join(RECIPES)})")
    if args.smoke:
        seeds, costly_seeds, label_counts = [1], [1], [250]
    folder = args.store or tempfile.mkdtemp(prefix="green-frontier-")
    os.makedirs(folder, exist_ok=True)
    store = os.path.join(folder, "store.sqlite")

    def say(text):
        print(text, file=sys.stderr, flush=True)

    # Red, and a first probe that fills the embedding cache: every green run after it is warm.
    red_config = dotted(base("red", 1, args.threads), {"kind": "train", "model.source": "scratch", "training.mode": "scratch",
                                                       "training.epochs": args.red_epochs, "training.batch_size": 128,
                                                       "training.lr": 0.001, "training.optimizer": "adam"})
    if args.smoke:
        dotted(red_config, {"dataset.train_subset": 2000, "training.epochs": 1})
    kept = json.load(open(args.keep)) if args.keep else None
    if kept and not COSTLY & set(recipes):
        costly_seeds = kept.get("costly_seeds", costly_seeds)
    if kept:
        red = {"accuracy": kept["red"]["accuracy"], "energy_kwh": kept["red"]["energy_wh"] / 1e3, "emissions_g": kept["red"]["co2_g"],
               "labels_used": kept["red"]["labels"]}
        red_config["training"]["epochs"] = kept["red"]["epochs"]
        say(f"== green frontier: red and the rows of {', '.join(sorted({r['recipe'] for r in kept['rows']} - set(recipes)))} kept from {args.keep}")
    else:
        say(f"== green frontier: red (small CNN, all labels, {red_config['training']['epochs']} epochs)")
        red = benchlib.run(args.workbench, store, red_config)
    red_wh = red["energy_kwh"] * 1e3
    say(f"   accuracy {red['accuracy']:.4f}, {red_wh:.3f} Wh")
    warm = benchlib.run(args.workbench, store, probe(label_counts[0], 1, args.threads))
    embedding_wh = warm.get("embedding_energy_kwh", 0) * 1e3 if warm.get("embedding_cache") == "miss" or not kept else kept["embedding_energy_wh"]
    say(f"== embeddings cached ({warm.get('embedding_cache')}, {embedding_wh:.3f} Wh, once)")

    rows = []
    for recipe in recipes:
        title, make = RECIPES[recipe]
        for labels in label_counts:
            runs = []
            for seed in (costly_seeds if recipe in COSTLY else seeds):
                s = run_recipe(args.workbench, store, make(labels, seed, args.threads))
                runs.append({"seed": seed, "accuracy": s["accuracy"], "labels": s.get("labels_used"), "energy_wh": s["energy_kwh"] * 1e3,
                             "co2_g": s.get("emissions_g", 0), "duration_s": s.get("duration_s"),
                             "embedding_cache": s.get("embedding_cache"), "run_id": s.get("run_id"),
                             "semi_supervised": s.get("semi_supervised")})
                say(f"   {recipe} {labels} seed {seed}: accuracy {s['accuracy']:.4f}, {runs[-1]['energy_wh']:.3f} Wh, "
                    f"{s.get('duration_s', 0):.0f} s")
            accuracies = [r["accuracy"] for r in runs]
            rows.append({"recipe": recipe, "title": title, "labels": labels, "runs": runs,
                         "seeds": len(runs), "accuracy": statistics.mean(accuracies),
                         "accuracy_sd": statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0,
                         "energy_wh": statistics.mean(r["energy_wh"] for r in runs),
                         "co2_g": statistics.mean(r["co2_g"] for r in runs),
                         "duration_s": statistics.mean(r["duration_s"] or 0 for r in runs)})
    if kept:
        rows = [r for r in kept["rows"] if r["recipe"] not in recipes] + rows
        rows.sort(key=lambda r: (list(RECIPES).index(r["recipe"]), r["labels"]))
        for r in rows:
            r.pop("pareto", None)
    for i in pareto(rows):
        rows[i]["pareto"] = True
    pretrain_wh = pretraining_energy_wh()
    best = max(rows, key=lambda r: r["accuracy"])
    document = {"benchmark": "green_frontier", "seeds": seeds, "costly_seeds": costly_seeds, "labels": label_counts, "smoke": args.smoke,
                "red": {"accuracy": red["accuracy"], "energy_wh": red_wh, "co2_g": red.get("emissions_g", 0),
                        "labels": red.get("labels_used"), "epochs": red_config["training"]["epochs"]},
                "embedding_energy_wh": embedding_wh,
                "pretraining_energy_wh": pretrain_wh, "rows": rows}
    if pretrain_wh is not None:
        saving = red_wh - best["energy_wh"]
        document["pretraining"] = {"energy_wh": pretrain_wh, "per_run_over_10": pretrain_wh / 10, "per_run_over_100": pretrain_wh / 100,
                                   "paid_back_after_runs": pretrain_wh / saving if saving > 0 else None,
                                   "against": f"{best['recipe']} at {best['labels']} labels"}
    with open(args.output, "w") as f:
        json.dump(document, f, indent=2)
    print(format_table(document))


def format_table(document):
    red = document["red"]
    lines = [f"Green frontier (real Fashion-MNIST, bundled backbone, warm embedding cache; mean ± sd over the seeds)",
             "",
             "| recipe | labels | test accuracy | seeds | energy per run | CO2e per run | of Red's energy | Pareto |",
             "|---|---:|---:|---:|---:|---:|---:|:---:|"]
    for r in document["rows"]:
        lines.append(f"| {r['title']} | {r['labels']:,} | {r['accuracy']:.4f} ± {r['accuracy_sd']:.4f} | {r.get('seeds', 1)} | {r['energy_wh']:.3f} Wh | "
                     f"{r['co2_g']:.4f} g | {100 * r['energy_wh'] / red['energy_wh']:.1f} % | {'✓' if r.get('pareto') else ''} |")
    lines.append(f"| Red: small CNN from scratch, {red['epochs']} epochs | {red['labels'] or 0:,} | {red['accuracy']:.4f} | 1 | "
                 f"{red['energy_wh']:.3f} Wh | {red['co2_g']:.4f} g | 100 % | |")
    lines.append("")
    lines.append(f"Embeddings of the pool and the test set, computed once and cached: {document['embedding_energy_wh']:.3f} Wh.")
    p = document.get("pretraining")
    if p:
        payback = f"{p['paid_back_after_runs']:.1f}" if p["paid_back_after_runs"] is not None else "never"
        lines.append(f"Pretraining of the bundled backbone (its model card): {p['energy_wh']:.2f} Wh once; {p['per_run_over_10']:.3f} Wh a run "
                     f"over 10 runs, {p['per_run_over_100']:.4f} Wh over 100; paid back against Red after {payback} runs of {p['against']}.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
