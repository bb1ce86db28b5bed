#!/usr/bin/env python3
"""Federated rounds across real hosts (worker processes on 127.0.0.1) against the same federation
simulated in one process: time per round and bytes per round, side by side in one run; and
data-parallel fine-tuning on one process against two.

  federated_hosts.py WORKBENCH [--hosts N] [--samples N] [--rounds N] [--threads N] [--labels N] [--output FILE.json]

Each of N hosts holds SAMPLES real Fashion-MNIST training images of its own (an IID shard); the
simulation gets a training set of N x SAMPLES images split among N clients the same way, so every
client trains on as many samples in both. FedAvg, all N every round, E = 1, B = 32, SGD 0.1, the
small CNN; the test set is Fashion-MNIST's. Each host process gets one thread; the simulation one.
"""
import argparse, gzip, json, os, statistics, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def write_idx(folder, images, labels):
    os.makedirs(folder, exist_ok=True)
    n = len(labels)
    for split in ("train", "t10k"):
        with gzip.open(os.path.join(folder, f"{split}-images-idx3-ubyte.gz"), "wb") as f:
            f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", n, 28, 28) + images.numpy().tobytes())
        with gzip.open(os.path.join(folder, f"{split}-labels-idx1-ubyte.gz"), "wb") as f:
            f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", n) + labels.numpy().tobytes())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workbench")
    parser.add_argument("--hosts", type=int, default=4)
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--labels", type=int, default=5000, help="labels of the data-parallel fine-tuning")
    parser.add_argument("--output")
    a = parser.parse_args()
    import torch
    images, labels = benchlib.idx("train-images-idx3-ubyte.gz"), benchlib.idx("train-labels-idx1-ubyte.gz")
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(1))[: a.hosts * a.samples]
    tmp = tempfile.mkdtemp(prefix="gw-hosts-bench-")
    # The simulation's data: the hosts' shards together as its training set, the real test set.
    together = os.path.join(tmp, "together")
    write_idx(together, images[order], labels[order])
    test_images, test_labels = benchlib.idx("t10k-images-idx3-ubyte.gz"), benchlib.idx("t10k-labels-idx1-ubyte.gz")
    with gzip.open(os.path.join(together, "t10k-images-idx3-ubyte.gz"), "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + struct.pack(">III", len(test_labels), 28, 28) + test_images.numpy().tobytes())
    with gzip.open(os.path.join(together, "t10k-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + struct.pack(">I", len(test_labels)) + test_labels.numpy().tobytes())
    shards = []
    for h in range(a.hosts):
        part = order[h * a.samples:(h + 1) * a.samples]
        shards.append(os.path.join(tmp, f"host-{h}"))
        write_idx(shards[-1], images[part], labels[part])
    with open(os.path.join(tmp, "token"), "w") as f:
        f.write(os.urandom(24).hex() + "\n")
    always = os.path.join(tmp, "always-on.csv")
    with open(always, "w") as f:
        f.write("device_class,seconds_per_sample,busy_w,idle_w,uplink_mbps,downlink_mbps,network_j_per_byte,available_from_h,available_to_h,region,share\n"
                "host,0.0002,28,5,35,80,1.35e-05,0,24,FRA,1\n")
    federated = {"clients": a.hosts, "per_round": a.hosts, "rounds": a.rounds, "local_epochs": 1, "partition": "iid", "holdout": 0,
                 "algorithm": "fedavg", "selection": "random", "profiles": always, "client_eval_every": 0}
    base = {"kind": "federated", "seed": 1, "model": {"source": "scratch"}, "dataset": {"kind": "fashion-mnist", "path": together},
            "training": {"batch_size": 32, "lr": 0.1, "threads": a.threads}, "energy": {"sample_hz": 2}}

    started = time.time()
    simulated = benchlib.run(a.workbench, os.path.join(tmp, "sim.sqlite"), {**base, "name": "simulated", "federated": federated})
    simulation_wall = time.time() - started

    port = 29000 + os.getpid() % 1000
    hosted_config = {**base, "name": "hosted", "federated": {**federated, "backend": "hosts", "listen": f"127.0.0.1:{port}",
                                                             "token_file": os.path.join(tmp, "token"), "min_hosts": a.hosts}}
    config_path = os.path.join(tmp, "hosted.json")
    with open(config_path, "w") as f:
        json.dump(hosted_config, f)
    coordinator = subprocess.Popen([a.workbench, "run", config_path, "--db", os.path.join(tmp, "coord.sqlite"), "--json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    workers = [subprocess.Popen([a.workbench, "worker", "--coordinator", f"127.0.0.1:{port}", "--token-file", os.path.join(tmp, "token"),
                                 "--name", f"h{h}", "--data", shards[h], "--threads", str(a.threads), "--db", os.path.join(tmp, f"h{h}.sqlite")],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for h in range(a.hosts)]
    out, _ = coordinator.communicate()
    for w in workers:
        w.wait()
    hosted = json.loads(out.strip().splitlines()[-1])
    if hosted.get("status") != "completed":
        sys.exit(f"federated_hosts.py: the hosted run: {hosted.get('status')}: {hosted.get('error')}")

    s, h = simulated["federated"], hosted["federated"]
    host_rounds = [r["duration_s"] for r in h["per_round"]]
    rows = [
        ("seconds per round (median)", statistics.median(r["wall_s"] for r in s["per_round"]), statistics.median(host_rounds)),
        ("bytes per round, down", s["downlink_bytes"] / a.rounds, h["downlink_bytes"] / a.rounds),
        ("bytes per round, up", s["uplink_bytes"] / a.rounds, h["uplink_bytes"] / a.rounds),
        ("test accuracy", s["accuracy"], h["accuracy"]),
        ("this machine's energy, J (hosts: the coordinator only)", s["machine_energy_j"], h["machine_energy_j"]),
        ("the hosts' measured energy, J", None, h["hosts_energy_j"]),
    ]
    print(f"{a.hosts} clients x {a.samples} samples, {a.rounds} rounds, {a.threads} thread(s) each")
    print(f"{'':55} {'simulation':>14} {'hosts':>14} {'hosts/sim':>10}")
    for name, x, y in rows:
        ratio = f"{y / x:10.2f}" if x else f"{'':10}"
        print(f"{name:55} {'-' if x is None else f'{x:.4g}':>14} {y:14.4g} {ratio}")
    print("seconds per round: the simulation's round on this machine (its clients one after another, evaluation included); the "
          "hosts' round from the plan to the evaluated global model (two groups formed, weights broadcast, the hosts training at "
          "once, allreduce). Bytes: the payloads (the global model down, the updates up), the same by construction.")
    # Data-parallel fine-tuning: the same run on one process and on two (this one and a worker).
    finetune = {"kind": "finetune", "seed": 1, "model": {"source": "bundled"}, "dataset": {"kind": "fashion-mnist", "path": benchlib.DATA},
                "labels": {"count": a.labels}, "energy": {"sample_hz": 2},
                "training": {"mode": "finetune-last", "epochs": 1, "batch_size": 64, "lr": 0.01, "validation_fraction": 0, "threads": a.threads}}
    alone = benchlib.run(a.workbench, os.path.join(tmp, "dp1.sqlite"), {**finetune, "name": "dp-1"})
    dp_port = port + 1
    dp_config = {**finetune, "name": "dp-2", "training": {**finetune["training"], "hosts": {"workers": 1, "coordinator": f"127.0.0.1:{dp_port}",
                                                                                          "token_file": os.path.join(tmp, "token")}}}
    with open(os.path.join(tmp, "dp2.json"), "w") as f:
        json.dump(dp_config, f)
    coordinator = subprocess.Popen([a.workbench, "run", os.path.join(tmp, "dp2.json"), "--db", os.path.join(tmp, "dp2.sqlite"), "--json"],
                                   stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    worker = subprocess.Popen([a.workbench, "worker", "--coordinator", f"127.0.0.1:{dp_port}", "--token-file", os.path.join(tmp, "token"),
                               "--name", "second", "--threads", str(a.threads), "--db", os.path.join(tmp, "dpw.sqlite")],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out, _ = coordinator.communicate()
    worker.wait()
    pair = json.loads(out.strip().splitlines()[-1])
    if pair.get("status") != "completed":
        sys.exit(f"federated_hosts.py: the data-parallel run: {pair.get('status')}: {pair.get('error')}")
    both_j = pair["data_parallel"]["energy_all_hosts_kwh"] * 3.6e6
    print(f"\ndata-parallel fine-tuning (finetune-last, {a.labels} labels, 1 epoch, batch 64, {a.threads} thread(s) per process, "
          "the 10,000 test images split between them)")
    print(f"{'':40} {'1 process':>12} {'2 processes':>12} {'2/1':>8}")
    print(f"{'run wall time, s':40} {alone['duration_s']:12.2f} {pair['duration_s']:12.2f} {pair['duration_s'] / alone['duration_s']:8.2f}")
    print(f"{'energy, J (2: both hosts)':40} {alone['energy_kwh'] * 3.6e6:12.1f} {both_j:12.1f} {both_j / (alone['energy_kwh'] * 3.6e6):8.2f}")
    print(f"{'test accuracy':40} {alone['accuracy']:12.4f} {pair['accuracy']:12.4f}")
    document = {"benchmark": "federated_hosts", "hosts": a.hosts, "samples": a.samples, "rounds": a.rounds, "threads": a.threads,
                "simulation": {"seconds_per_round_median": statistics.median(r["wall_s"] for r in s["per_round"]), "wall_s": simulation_wall, **{k: s[k] for k in ("accuracy", "uplink_bytes", "downlink_bytes", "machine_energy_j")}},
                "hosts": {"seconds_per_round_median": statistics.median(host_rounds), "seconds_per_round": host_rounds,
                          **{k: h[k] for k in ("accuracy", "uplink_bytes", "downlink_bytes", "machine_energy_j", "hosts_energy_j", "wall_s")}},
                "data_parallel": {"labels": a.labels, "one_process": {k: alone[k] for k in ("duration_s", "energy_kwh", "accuracy")},
                                  "two_processes": {"duration_s": pair["duration_s"], "energy_all_hosts_kwh": pair["data_parallel"]["energy_all_hosts_kwh"],
                                                    "accuracy": pair["accuracy"], "hosts": pair["data_parallel"]["hosts"]}}}
    if a.output:
        with open(a.output, "w") as f:
            json.dump(document, f, indent=1)


if __name__ == "__main__":
    main()
