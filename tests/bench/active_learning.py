#!/usr/bin/env python3
"""Active-learning benchmark: every query strategy with the simulated oracle on real Fashion-MNIST,
bundled backbone, linear probe, 20 initial labels, 20 more per round up to 1,000, over several seeds.

For each strategy: the mean test-accuracy curve over labels, the labels needed to reach 80 % and 85 %
test accuracy (per seed and mean; "not reached" counts), energy and CO2 per round and in all (from the
rounds the store keeps: train + eval + query + label_wait), and the query time per round on the full
pool. Prints a table on stdout and writes the JSON to --output.

    tests/bench/active_learning.py WORKBENCH --output FILE [--seeds 1,2,3] [--strategies a,b] [--store DIR]
                                   [--budget N] [--threads N]
"""
import argparse, json, os, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
STRATEGIES = ["random", "least-confidence", "margin", "entropy", "bald", "core-set", "badge", "cold-start"]
THRESHOLDS = (0.80, 0.85)


def run(workbench, store, config):
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(config, f)
        path = f.name
    try:
        done = subprocess.run([workbench, "run", path, "--db", store, "--json"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    finally:
        os.unlink(path)
    try:
        return json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, ValueError):
        return {"status": "failed", "error": done.stderr.strip().splitlines()[-1:] or f"exit {done.returncode}"}


def labels_to_reach(rounds, threshold):
    for r in rounds:
        if r.get("test_accuracy") is not None and r["test_accuracy"] >= threshold:
            return r["labels"]
    return None


def summarise(strategy, summaries):
    good = [s for s in summaries if s.get("status") == "completed"]
    out = {"strategy": strategy, "seeds": len(summaries), "completed": len(good)}
    if not good:
        out["errors"] = [s.get("error") for s in summaries]
        return out
    curves = {}
    for s in good:
        for r in s["rounds"]:
            if r.get("test_accuracy") is not None:
                curves.setdefault(r["labels"], []).append(r["test_accuracy"])
    out["curve"] = [{"labels": k, "test_accuracy": statistics.mean(v), "seeds": len(v)} for k, v in sorted(curves.items())]
    out["final_accuracy"] = statistics.mean(s["accuracy"] for s in good)
    for t in THRESHOLDS:
        per_seed = [labels_to_reach(s["rounds"], t) for s in good]
        reached = [n for n in per_seed if n is not None]
        key = f"labels_to_{int(t * 100)}"
        out[key] = {"per_seed": per_seed, "mean": statistics.mean(reached) if reached else None, "reached": len(reached)}
    round_j, loop_j, query_s, co2 = [], [], [], []
    for s in good:
        rounds = s["rounds"]
        phases = [r["train_energy_j"] + r["eval_energy_j"] + r["query_energy_j"] + r["label_wait_energy_j"] for r in rounds]
        round_j += phases
        loop_j.append(sum(phases))
        query_s += [r["query_s"] for r in rounds if r["round"] > 0 and r["query_s"] > 0]
        co2.append(s["emissions_g"])
    out["energy_per_round_j"] = statistics.mean(round_j)
    out["loop_energy_wh"] = statistics.mean(loop_j) / 3600
    out["run_emissions_g"] = statistics.mean(co2)
    out["loop_emissions_g"] = out["loop_energy_wh"] / 1000 * good[0]["intensity_g_per_kwh"]
    out["query_s_mean"] = statistics.mean(query_s) if query_s else None
    out["query_s_max"] = max(query_s) if query_s else None
    out["duration_s"] = statistics.mean(s["duration_s"] for s in good)
    out["energy_source"] = good[0]["energy_source"]
    return out


def table(results, random_row):
    rows = [("strategy", "acc@1000", "labels->80%", "labels->85%", "vs random (85%)", "J/round", "loop Wh", "loop g CO2",
             "query s mean", "query s max", "run s")]

    def reach(r, key):
        v = r.get(key)
        if not v or v["mean"] is None:
            return f"not reached (0/{r['completed']})"
        return f"{v['mean']:.0f} ({v['reached']}/{r['completed']})"

    base = random_row.get("labels_to_85", {}).get("mean") if random_row else None
    for r in results:
        if not r["completed"]:
            rows.append((r["strategy"], "failed") + ("",) * 9)
            continue
        mine = r["labels_to_85"]["mean"]
        ratio = f"{mine / base:.2f}" if mine and base else "n/a"
        rows.append((r["strategy"], f"{r['final_accuracy']:.4f}", reach(r, "labels_to_80"), reach(r, "labels_to_85"), ratio,
                     f"{r['energy_per_round_j']:.2f}", f"{r['loop_energy_wh']:.4f}", f"{r['loop_emissions_g']:.5f}",
                     "n/a" if r["query_s_mean"] is None else f"{r['query_s_mean']:.3f}",
                     "n/a" if r["query_s_max"] is None else f"{r['query_s_max']:.3f}", f"{r['duration_s']:.0f}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("workbench")
    parser.add_argument("--output", required=True)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--store", help="folder of the store (and its embedding cache); default: a fresh one")
    parser.add_argument("--budget", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    store_dir = args.store or tempfile.mkdtemp(prefix="gw-al-bench-")
    os.makedirs(store_dir, exist_ok=True)
    store = os.path.join(store_dir, "store.sqlite")
    with open(os.path.join(HERE, "configs", "active.json")) as f:
        base = json.load(f)
    results, raw = [], {}
    for strategy in args.strategies.split(","):
        summaries = []
        for seed in [int(s) for s in args.seeds.split(",")]:
            config = json.loads(json.dumps(base))
            config["name"] = f"bench-al-{strategy}-seed{seed}"
            config["seed"] = seed
            config["training"]["threads"] = args.threads
            config["active_learning"]["strategy"] = strategy
            config["active_learning"]["budget"] = args.budget
            print(f"== active learning: {strategy}, seed {seed}", file=sys.stderr, flush=True)
            summary = run(args.workbench, store, config)
            print(f"   {summary.get('status')}: accuracy {summary.get('accuracy', 0):.4f} with {summary.get('labels_used', 0)} labels, "
                  f"{summary.get('duration_s', 0):.0f} s, embedding cache {summary.get('embedding_cache')}", file=sys.stderr, flush=True)
            summaries.append(summary)
        raw[strategy] = summaries
        results.append(summarise(strategy, summaries))
    random_row = next((r for r in results if r["strategy"] == "random"), None)
    best = min((r for r in results if r.get("labels_to_85", {}).get("mean")), key=lambda r: r["labels_to_85"]["mean"], default=None)
    goal = None
    if best and random_row and random_row.get("labels_to_85", {}).get("mean"):
        goal = {"best_strategy": best["strategy"], "ratio_labels_to_85": best["labels_to_85"]["mean"] / random_row["labels_to_85"]["mean"]}
    query_goal = [{"strategy": r["strategy"], "query_s_max": r.get("query_s_max"),
                   "limit_s": 5.0 if r["strategy"] in ("badge", "core-set") else 1.0,
                   "met": r.get("query_s_max") is not None and r["query_s_max"] < (5.0 if r["strategy"] in ("badge", "core-set") else 1.0)}
                  for r in results if r["completed"]]
    document = {"benchmark": "active_learning", "seeds": args.seeds, "budget": args.budget, "strategies": results,
                "goal_half_the_labels_of_random_to_85": goal, "query_time_goals": query_goal,
                "runs": {k: [{kk: vv for kk, vv in s.items()} for s in v] for k, v in raw.items()}}
    with open(args.output, "w") as f:
        json.dump(document, f, indent=2)
    print(table(results, random_row))
    if goal:
        print(f"best to 85 %: {goal['best_strategy']}, {goal['ratio_labels_to_85']:.2f} x random's labels (goal <= 0.5)")
    else:
        print("labels to 85 %: random or every strategy did not reach it within the budget; see the labels->80% column")
    for q in query_goal:
        print(f"query time {q['strategy']}: max {q['query_s_max']} s (goal < {q['limit_s']:g} s): {'met' if q['met'] else 'NOT met'}")


if __name__ == "__main__":
    main()
