#!/usr/bin/env python3
"""Compression benchmark: the compression plugin on real Fashion-MNIST, beside PyTorch's own int8.

Two input models are made by the workbench: a fine-tuned gw-mobilenet (the bundled backbone, all
of it fine-tuned on LABELS labels) and the small CNN from scratch (on TRAIN images). Each is compressed
by three runs of kind `compress`: int8 static alone (the like-for-like twin of the peer), 50 %
structured pruning with recovery then int8, and (gw-mobilenet) distillation into gw-mobilenet at a
quarter width with 20,000 teacher-labelled images, beside its CE-only control. Every variant's
accuracy, latency at batch 1, throughput at batch 64, file size, energy per 1,000 inferences and
break-even come from the run's summary.

The peer: the same input model (its safetensors artifact, read here) quantized in Python with
`torch.ao.quantization` (eager mode: conv+BN+ReLU fused, per-channel weights, the engine the
workbench's int8 variant ran on, calibration on the same first training images), traced to TorchScript
and timed the same way (median of the same number of passes after warm-up, same threads). Reported:
latency ratio workbench/peer and the accuracy difference.

Prints a table on stdout and writes the JSON to --output.

    tests/bench/compression.py WORKBENCH --output FILE [--store DIR] [--threads N] [--smoke]
"""
import argparse, json, os, statistics, struct, sys, tempfile, time

from benchlib import idx, run

import torch
import torch.nn as nn
import torch.nn.functional as F

PASSES = 30
WARM_UP = 5


# ---------------------------------------------------------------- the workbench
def artifact(store, run_id, name):
    return os.path.join(os.path.splitext(store)[0] + ".cache", "artifacts", f"run-{run_id}", name)


# ---------------------------------------------------------------- data and the input models in Python
def safetensors(path):
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        body = f.read()
    types = {"F32": torch.float32, "I64": torch.int64, "F16": torch.float16}
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = torch.frombuffer(bytearray(body[start:end]), dtype=types[entry["dtype"]]).reshape(entry["shape"]).clone()
    return tensors, header.get("__metadata__", {})


class Block(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.dw = nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False)
        self.dw_bn = nn.BatchNorm2d(cin)
        self.pw = nn.Conv2d(cin, cout, 1, bias=False)
        self.pw_bn = nn.BatchNorm2d(cout)
        self.r1, self.r2 = nn.ReLU(), nn.ReLU()

    def forward(self, x):
        return self.r2(self.pw_bn(self.pw(self.r1(self.dw_bn(self.dw(x))))))


class GwMobileNetClassifier(nn.Module):
    """Mirror of core/models/GwMobileNet.cpp with the workbench's standardisation folded into the head."""

    def __init__(self, classes):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32), nn.ReLU())
        self.blocks = nn.Sequential(Block(32, 64, 2), Block(64, 128, 1), Block(128, 128, 2), Block(128, 256, 1), Block(256, 256, 2))
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.head = nn.Linear(256, classes)

    def forward(self, x):
        return self.head(torch.flatten(self.pool(self.blocks(self.stem(x))), 1))

    def fuse(self):
        torch.ao.quantization.fuse_modules(self, [["stem.0", "stem.1", "stem.2"]], inplace=True)
        for b in self.blocks:
            torch.ao.quantization.fuse_modules(b, [["dw", "dw_bn", "r1"], ["pw", "pw_bn", "r2"]], inplace=True)


class SmallCnn(nn.Module):
    """Mirror of core/models/SmallCnn.cpp."""

    def __init__(self, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 128)
        self.fc2 = nn.Linear(128, classes)
        self.r1, self.r2, self.r3 = nn.ReLU(), nn.ReLU(), nn.ReLU()

    def forward(self, x):
        x = F.max_pool2d(self.r1(self.conv1(x)), 2)
        x = F.max_pool2d(self.r2(self.conv2(x)), 2)
        return self.fc2(self.r3(self.fc1(torch.flatten(x, 1))))

    def fuse(self):
        torch.ao.quantization.fuse_modules(self, [["conv1", "r1"], ["conv2", "r2"], ["fc1", "r3"]], inplace=True)


class Quantized(nn.Module):
    """Images in 0..1 -> normalised -> int8 model -> float logits, as the workbench's files take them."""

    def __init__(self, model, mean, std):
        super().__init__()
        self.mean, self.std = mean, std
        self.quant, self.model, self.dequant = torch.ao.quantization.QuantStub(), model, torch.ao.quantization.DeQuantStub()

    def forward(self, images):
        return self.dequant(self.model(self.quant((images - self.mean) / self.std)))


def python_model(path):
    tensors, meta = safetensors(path)
    state = {k[len("backbone."):]: v for k, v in tensors.items() if k.startswith("backbone.")}
    architecture = meta["architecture"]
    spec = json.loads(meta["input"])
    if architecture == "small-cnn":
        model = SmallCnn(state["fc2.bias"].numel())
    else:
        weight, bias = tensors["head.weight"], tensors["head.bias"]
        if "features.mean" in tensors:  # W (x - m) / s + b, folded as the workbench folds it
            weight = weight / tensors["features.std"].view(1, -1)
            bias = bias - weight @ tensors["features.mean"]
        state["head.weight"], state["head.bias"] = weight, bias
        model = GwMobileNetClassifier(weight.shape[0])
    model.load_state_dict(state, strict=False)
    return model.eval(), spec["mean"][0], spec["std"][0]


def median_ms(module, x, passes):
    with torch.no_grad():
        for _ in range(WARM_UP):
            module(x)
        times = []
        for _ in range(passes):
            t = time.perf_counter()
            module(x)
            times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def peer(path, engine, calibration_images, test_x, test_y, threads):
    torch.set_num_threads(threads)
    torch.backends.quantized.engine = engine
    model, mean, std = python_model(path)
    model.fuse()
    wrapped = Quantized(model, mean, std).eval()
    wrapped.qconfig = torch.ao.quantization.get_default_qconfig(engine)
    prepared = torch.ao.quantization.prepare(wrapped)
    with torch.no_grad():
        for first in range(0, calibration_images.shape[0], 64):
            prepared(calibration_images[first:first + 64])
    quantized = torch.ao.quantization.convert(prepared)
    traced = torch.jit.freeze(torch.jit.trace(quantized, test_x[:64]).eval())
    with torch.no_grad():
        correct = sum(int(traced(test_x[i:i + 256]).argmax(1).eq(test_y[i:i + 256]).sum()) for i in range(0, test_x.shape[0], 256))
    return {"accuracy": correct / test_x.shape[0], "latency_ms_batch1": median_ms(traced, test_x[:1], PASSES),
            "throughput_batch64": 64 / (median_ms(traced, test_x[:64], PASSES) / 1000), "engine": engine}


# ---------------------------------------------------------------- the benchmark
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("workbench")
    parser.add_argument("--output", required=True)
    parser.add_argument("--store", default=None)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--smoke", action="store_true", help="tiny inputs: checks the script, not the figures")
    a = parser.parse_args()
    work = a.store or tempfile.mkdtemp(prefix="gw-compress-bench-")
    os.makedirs(work, exist_ok=True)
    store = os.path.join(work, "store.sqlite")
    labels, train, epochs = (500, 2000, 1) if a.smoke else (5000, 20000, 3)
    energy = {"sample_hz": 5, "country": "FRA"}
    measure = {"passes": PASSES, "energy_samples": 5 if a.smoke else 20}

    inputs = {
        "gw-mobilenet (fine-tuned)": {"name": "bench-gw-mobilenet", "kind": "finetune", "model": {"source": "bundled"},
                                      "labels": {"count": labels}, "training": {"mode": "finetune-full", "epochs": epochs, "threads": a.threads,
                                                                               "batch_size": 64, "lr": 0.001, "patience": 0},
                                      "energy": energy},
        "small CNN (from scratch)": {"name": "bench-small-cnn", "kind": "train", "dataset": {"train_subset": train},
                                     "training": {"epochs": epochs, "threads": a.threads}, "energy": energy},
    }
    test_x = idx("t10k-images-idx3-ubyte.gz").float().div(255).unsqueeze(1)
    test_y = idx("t10k-labels-idx1-ubyte.gz").long()
    calibration = idx("train-images-idx3-ubyte.gz")[:512].float().div(255).unsqueeze(1)

    results = []
    for title, config in inputs.items():
        print(f"== {title}: training the input model", file=sys.stderr, flush=True)
        trained = run(a.workbench, store, config)
        model_file = artifact(store, trained["run_id"], "model.safetensors")
        pipelines = [("int8 static", "quantize", {}), ("prune 50 % + int8", "prune, quantize", {"prune": {"recovery_epochs": 1 if a.smoke else 3}})]
        if "gw-mobilenet" in title:
            pipelines.append(("distil into gw-mobilenet-0.25", "distil",
                              {"distil": {"student": "gw-mobilenet-0.25", "epochs": 1 if a.smoke else 8, "unlabelled": 2000 if a.smoke else 20000}}))
        entry = {"input": title, "input_run": trained["run_id"], "input_accuracy": trained.get("accuracy"), "pipelines": []}
        for label, steps, extra in pipelines:
            print(f"== {title}: {label}", file=sys.stderr, flush=True)
            compress = {"name": f"bench-{label}", "kind": "compress", "model": {"source": "run", "run_id": trained["run_id"]},
                        "training": {"threads": a.threads, "batch_size": 64, "lr": 0.001, "patience": 2},
                        "compress": {"steps": steps, "measure": measure, **extra}, "energy": energy}
            summary = run(a.workbench, store, compress)
            entry["pipelines"].append({"pipeline": label, "run_id": summary["run_id"], "variants": summary["variants"]})
        int8 = entry["pipelines"][0]["variants"][-1]
        print(f"== {title}: the peer (torch.ao.quantization, {int8.get('quantized_engine')})", file=sys.stderr, flush=True)
        theirs = peer(model_file, int8.get("quantized_engine", "onednn"), calibration, test_x, test_y, a.threads)
        theirs["latency_ratio_workbench_over_peer"] = int8["latency_ms_batch1"] / theirs["latency_ms_batch1"]
        theirs["throughput_ratio_workbench_over_peer"] = int8["throughput_batch64"] / theirs["throughput_batch64"]
        theirs["accuracy_difference_workbench_minus_peer"] = int8["accuracy"] - theirs["accuracy"]
        entry["peer"] = theirs
        results.append(entry)

    print(f"{'input / pipeline / variant':56} {'acc':>6} {'b1 ms':>7} {'img/s b64':>9} {'KB':>7} {'J/1k':>7} {'break-even':>11}")
    for entry in results:
        for p in entry["pipelines"]:
            for v in p["variants"]:
                if v["reference"] and p is not entry["pipelines"][0]:
                    continue
                even = v.get("break_even_inferences")
                print(f"{(entry['input'] + ' / ' + p['pipeline'] + ' / ' + v['name'])[:56]:56} {v['accuracy']:6.4f} {v['latency_ms_batch1']:7.3f} "
                      f"{v['throughput_batch64']:9.0f} {v['file_bytes'] / 1024:7.0f} {v['energy_per_1k_inferences_j']:7.3f} "
                      f"{('%.0f' % even) if even is not None else '–':>11}")
        q = entry["peer"]
        print(f"{(entry['input'] + ' / torch.ao int8 (' + q['engine'] + ')')[:56]:56} {q['accuracy']:6.4f} {q['latency_ms_batch1']:7.3f} "
              f"{q['throughput_batch64']:9.0f}")
        print(f"   workbench int8 / peer: latency x{q['latency_ratio_workbench_over_peer']:.2f}, throughput x{q['throughput_ratio_workbench_over_peer']:.2f}, "
              f"accuracy {q['accuracy_difference_workbench_minus_peer'] * 100:+.2f} points")
    with open(a.output, "w") as f:
        json.dump({"benchmark": "compression", "smoke": a.smoke, "threads": a.threads, "inputs": results}, f, indent=2)


if __name__ == "__main__":
    main()
