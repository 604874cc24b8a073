"""PyTorch peer of `npm run bench`: the same two workloads as bench/workloads.ts.

Trains the MLP 784-128-64-10 and the CNN conv(32,3x3)-maxpool-conv(64,3x3)-
maxpool-dense(128)-dense(10) with Adam (lr 1e-3), batch 64, cross-entropy, on
random MNIST-shaped data, with 2 threads. The data is generated up front as
tensors (uint8 normalised to float once, as the engine keeps a uint8 set and
normalises per batch), so only training steps are timed; warm-up steps are
excluded. Prints one JSON object on stdout, with the BLAS library this very
process has mapped (see peer_blas.py) and torch's build configuration:

    {"torch": "1.13.0", "threads": 2, "python": "/usr/bin/python3",
     "blas": {"kind": "openblas", "path": "/usr/lib/.../libopenblasp-r0.3.21.so", "detail": "OpenBLAS 0.3.21 ..."},
     "config": "<torch.__config__.show()>", "results": [{"workload", "samplesPerSec", "steps"}]}

Usage: pytorch_bench.py [--workloads mnist-mlp,mnist-cnn] [--steps N] [--threads 2]
"""

import argparse
import json
import re
import sys
import time

import torch
from torch import nn

from peer_blas import blas_of_this_process

BATCH_SIZE = 64
# Must match DEFAULT_STEPS / stepPlan in bench/workloads.ts.
DEFAULT_STEPS = {"mnist-mlp": (20, 400), "mnist-cnn": (10, 60)}


def build(name):
    """The workload's network, layer for layer as bench/workloads.ts specifies it."""
    if name == "mnist-mlp":
        return nn.Sequential(
            nn.Flatten(),
            nn.Linear(784, 128),
            nn.ReLU(),
            nn.Linear(128, 64),
            nn.ReLU(),
            nn.Linear(64, 10),
        )
    if name == "mnist-cnn":
        return nn.Sequential(
            nn.Conv2d(1, 32, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(64 * 5 * 5, 128),
            nn.ReLU(),
            nn.Linear(128, 10),
        )
    raise SystemExit(f"unknown workload '{name}': use mnist-mlp or mnist-cnn")


def step_plan(name, steps):
    """(warm-up, measured) steps; mirrors stepPlan() in bench/workloads.ts."""
    warmup, default_steps = DEFAULT_STEPS[name]
    if steps is None:
        return warmup, default_steps
    return warmup, steps


def measure(name, steps, seed=1234):
    """Samples per second of training `name` for `steps` steps after warm-up."""
    torch.manual_seed(seed)
    warmup, measured = step_plan(name, steps)
    total = warmup + measured
    images = torch.randint(0, 256, (total * BATCH_SIZE, 1, 28, 28), dtype=torch.uint8)
    x = images.float().div_(255.0).sub_(0.1307).div_(0.3081)
    y = torch.randint(0, 10, (total * BATCH_SIZE,), dtype=torch.int64)
    model = build(name)
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def run(first, count):
        for i in range(first, first + count):
            xb = x[i * BATCH_SIZE : (i + 1) * BATCH_SIZE]
            yb = y[i * BATCH_SIZE : (i + 1) * BATCH_SIZE]
            optimizer.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            optimizer.step()
        return loss.item()

    run(0, warmup)
    start = time.perf_counter()
    loss = run(warmup, measured)
    seconds = time.perf_counter() - start
    if loss != loss:
        raise SystemExit(f"{name}: loss became NaN")
    return {"workload": name, "samplesPerSec": measured * BATCH_SIZE / seconds, "steps": measured}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mnist-mlp,mnist-cnn")
    parser.add_argument("--steps", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.steps is not None and args.steps < 1:
        raise SystemExit("--steps must be a positive integer")
    torch.set_num_threads(args.threads)
    names = [n for n in args.workloads.split(",") if n]
    results = []
    for name in names:
        results.append(measure(name, args.steps))
        print(f"pytorch {name}: {results[-1]['samplesPerSec']:.0f} samples/s", file=sys.stderr)
    config = torch.__config__.show()
    blas_info = re.search(r"\bBLAS_INFO=(\w+)", config)
    peer = {
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": sys.executable,
        # Read after training, so a BLAS loaded lazily on first use is mapped by now.
        "blas": blas_of_this_process(blas_info.group(1) if blas_info else ""),
        "config": config.strip(),
        "results": results,
    }
    json.dump(peer, sys.stdout)
    print()


if __name__ == "__main__":
    main()
