#!/usr/bin/python3
"""Training throughput of the engine's SmallCnn in PyTorch eager, step for step what gw::Trainer does.

Run it with Debian's /usr/bin/python3: that interpreter has python3-torch, which calls the same
system BLAS as the engine's LibTorch, so the comparison is between the two front ends, not two BLAS.
Prints one JSON object of the same shape as bench_train_throughput.
"""

import argparse
import json
import os
import platform
import re
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

SIDE = 28
CLASSES = 10


class SmallCnn(nn.Module):
    """Mirror of core/models/SmallCnn.cpp; keep the two in step."""

    def __init__(self, rows, cols, classes):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * (rows // 4) * (cols // 4), 128)
        self.fc2 = nn.Linear(128, classes)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)


def cpu_facts():
    model, flags = "unknown", []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                key, _, value = line.partition(":")
                key = key.strip()
                if key == "model name" and model == "unknown":
                    model = value.strip()
                elif key == "flags" and not flags:
                    flags = value.split()
    except OSError:
        pass
    # The same notable set HardwareInfo reports, in the same order, so the table lines up.
    notable = ["sse4_2", "avx", "avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni",
               "amx_tile", "amx_bf16", "amx_int8"]
    return model, [n for n in notable if n in flags]


def mapped_blas_library():
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                slash = line.find("/")
                if slash < 0:
                    continue
                path = line[slash:].strip()
                name = os.path.basename(path)
                if "blas" in name or "mkl_rt" in name:
                    return os.path.realpath(path)
    except OSError:
        pass
    return ""


def openblas_core_type(blas_library):
    # OpenBLAS tells which kernel set it picked; that is what decides its speed on this CPU. Torch
    # loads it privately (RTLD_LOCAL), so ask the mapped library itself, not the global namespace.
    if not blas_library:
        return ""
    try:
        import ctypes
        fn = ctypes.CDLL(blas_library).openblas_get_corename
        fn.restype = ctypes.c_char_p
        return fn().decode()
    except (AttributeError, OSError):
        return ""


def torch_blas_info():
    match = re.search(r"BLAS_INFO=([^,\s]+)", torch.__config__.show())
    return match.group(1) if match else ""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=0, help="intra-op threads (0: all cores)")
    parser.add_argument("--batches", type=int, default=60, help="batches to run, warm-up included")
    parser.add_argument("--warmup", type=int, default=10, help="batches left out of the timing")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.threads < 0 or args.batches < 1 or args.batch_size < 1 or not 0 <= args.warmup < args.batches:
        parser.error("need threads >= 0, batches >= 1, batch-size >= 1 and 0 <= warmup < batches")

    # Debian's torch starts with one intra-op thread, like the engine's LibTorch.
    torch.set_num_threads(args.threads if args.threads > 0 else (os.cpu_count() or 1))
    torch.manual_seed(args.seed)

    samples = args.batches * args.batch_size
    generator = torch.Generator().manual_seed(args.seed)
    pixels = torch.randint(0, 256, (samples, 1, SIDE, SIDE), dtype=torch.uint8, generator=generator)
    labels = torch.randint(0, CLASSES, (samples,), dtype=torch.int64, generator=generator)

    # Normalised once up front with the training set's statistics, as the engine's Trainer does.
    scaled = pixels.to(torch.float64) / 255.0
    mean, std = scaled.mean().item(), scaled.std(unbiased=False).item()
    train_x = ((pixels.to(torch.float32) / 255.0 - mean) / std).contiguous()
    train_y = labels

    model = SmallCnn(SIDE, SIDE, CLASSES)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    order = torch.randperm(samples, dtype=torch.int64)
    start = time.perf_counter() if args.warmup == 0 else None
    end = start
    samples_done = samples_at_start = 0
    loss_sum = 0.0
    correct = 0
    for batch, first in enumerate(range(0, samples, args.batch_size), start=1):
        index = order[first:first + args.batch_size]
        x = train_x.index_select(0, index)
        y = train_y.index_select(0, index)
        optimizer.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        optimizer.step()
        # The engine reads the loss and counts correct predictions after every batch; so must we.
        loss_sum += loss.item() * index.numel()
        correct += logits.argmax(1).eq(y).sum().item()
        samples_done += index.numel()
        if batch == args.warmup:
            start = time.perf_counter()
            samples_at_start = samples_done
        end = time.perf_counter()

    seconds = end - start
    cpu_model, instruction_sets = cpu_facts()
    blas_library = mapped_blas_library()
    result = {
        "impl": "pytorch-eager",
        "samples_per_s": (samples_done - samples_at_start) / seconds if seconds > 0 else 0.0,
        "batches": args.batches - args.warmup,
        "warmup_batches": args.warmup,
        "batch_size": args.batch_size,
        "threads": torch.get_num_threads(),
        "seconds": seconds,
        "hardware": {
            "cpu_model": cpu_model,
            "logical_cores": os.cpu_count() or 0,
            "instruction_sets": instruction_sets,
            "blas_library": blas_library,
            "blas_core_type": openblas_core_type(blas_library),
            "blas_core_type_override": os.environ.get("OPENBLAS_CORETYPE", ""),
            "torch_threads": torch.get_num_threads(),
            "torch_version": torch.__version__,
            "torch_blas_info": torch_blas_info(),
            "python": f"{sys.executable} {platform.python_version()}",
        },
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
