"""Benchmark: the CNN of fashionlib's engine against PyTorch (CPU).

Both train the book's stored CNN architecture (``models/cnn*.json``, or
``--cnn``) with Adam at 1e-3, batches of 128, float32, on the same
whitened training images, one after the other in one process, first with
1 BLAS thread, then with 2.  Each times ``--steps`` mini-batch steps
after one warm-up step and scales them to an epoch of 50,000 images.
Printed per thread count: seconds per epoch of both, their ratio, and
fashionlib's achieved GFLOP/s as a share of NumPy's float32 matrix-product
peak measured under the same thread limit.  Dropout and flips are left
out of both (they cost little and PyTorch would draw other masks).

Run it with ``make bench``; it writes bench/cnn-results.json.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

from fashionlib import cnn, data
from fashionlib._files import atomic_file
from fashionlib.batch import TrainingConfig, design_matrix, fit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EPOCH_IMAGES = 50_000


def stored_tokens():
    """The layer tokens of the stored CNN in models/."""
    stored = sorted((ROOT / "models").glob("cnn*.json"))
    config = json.loads(stored[0].read_text())["config"]
    return config["layers"]


def timed_tokens(tokens):
    """``tokens`` without the layers that only act in training."""
    return [t for t in tokens if t != "flip" and not t.startswith("dropout")]


def run_fashionlib(X, y, tokens, steps, batch_size):
    """Seconds per step of :func:`fashionlib.batch.fit` (median of 3)."""
    config = TrainingConfig(
        layers=tokens, num_epochs=1, batch_size=batch_size, seed=0
    )
    rows = (steps + 1) * batch_size
    fit((X[:batch_size], y[:batch_size]), config)  # warm-up step
    times = []
    for _ in range(3):
        start = time.perf_counter()
        fit((X[:rows], y[:rows]), config)
        times.append((time.perf_counter() - start) / (steps + 1))
    return statistics.median(times)


def torch_model(tokens):
    """The same layers in PyTorch (channels first, as it expects)."""
    import torch

    layers, shapes = cnn.parse_layers(tokens)
    modules = []
    for layer, shape in zip(layers, shapes, strict=False):
        if layer.kind == "conv":
            modules.append(
                torch.nn.Conv2d(
                    shape[2],
                    layer.size,
                    layer.kernel,
                    layer.stride,
                    layer.padding,
                )
            )
        elif layer.kind == "pool":
            modules.append(torch.nn.MaxPool2d(layer.size))
        elif layer.kind == "dense":
            if len(shape) == 3:
                modules.append(torch.nn.Flatten())
            modules.append(torch.nn.Linear(int(np.prod(shape)), layer.size))
        elif layer.kind == "activation" and layer.name == "relu":
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def run_torch(X, y, tokens, steps, batch_size):
    """Seconds per step of the same network and optimiser in PyTorch."""
    import torch

    torch.manual_seed(0)
    model = torch_model(tokens)
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    images = torch.from_numpy(X).reshape(-1, 1, 28, 28)
    labels = torch.from_numpy(y).long()

    def step(i):
        rows = slice(i * batch_size, (i + 1) * batch_size)
        optimiser.zero_grad()
        loss_fn(model(images[rows]), labels[rows]).backward()
        optimiser.step()

    step(0)  # warm-up
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for i in range(steps + 1):
            step(i)
        times.append((time.perf_counter() - start) / (steps + 1))
    return statistics.median(times)


def matmul_peak(seconds=1.0):
    """Best float32 GFLOP/s of NumPy's ``A @ B`` over a few square sizes."""
    rng = np.random.default_rng(0)
    best = 0.0
    for n in (256, 512, 1024):
        A = rng.standard_normal((n, n)).astype(np.float32)
        A @ A
        start, count = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            A @ A
            count += 1
        elapsed = time.perf_counter() - start
        best = max(best, 2 * n**3 * count / elapsed / 1e9)
    return best


def training_flops(tokens):
    """FLOPs of one image's training step: forward, dE/dW and dE/dx of
    every weighted layer but the first (which needs no dE/dx)."""
    layers, shapes = cnn.parse_layers(tokens)
    products = [
        2 * cnn.fan_in(layer, shape) * int(np.prod(out))
        for layer, shape, out in zip(layers, shapes, shapes[1:], strict=False)
        if layer.has_weights
    ]
    return 3 * sum(products) - products[0]


def measure(threads, X, y, tokens, steps, batch_size):
    """One row of the table: both frameworks under ``threads`` threads."""
    import torch

    torch.set_num_threads(threads)
    with threadpool_limits(limits=threads):
        ours = run_fashionlib(X, y, tokens, steps, batch_size)
        theirs = run_torch(X, y, tokens, steps, batch_size)
        peak = matmul_peak()
    steps_per_epoch = EPOCH_IMAGES / batch_size
    gflops = training_flops(tokens) * batch_size / ours / 1e9
    return {
        "threads": threads,
        "fashionlib_seconds_per_epoch": ours * steps_per_epoch,
        "torch_seconds_per_epoch": theirs * steps_per_epoch,
        "ratio": ours / theirs,
        "fashionlib_gflops": gflops,
        "matmul_peak_gflops": peak,
        "share_of_peak": gflops / peak,
    }


def main():
    """Measure at 1 and 2 threads, print the table, write the JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cnn", nargs="+", help="layer tokens")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--output", default=str(HERE / "cnn-results.json"))
    args = parser.parse_args()
    tokens = timed_tokens(args.cnn or stored_tokens())
    train = data.load("train")
    mean, std = data.whitening_stats(train["images"])
    rows = (args.steps + 1) * args.batch_size
    X, y = design_matrix(
        {k: v[:rows] for k, v in train.items()}, mean, std, np.float32
    )
    load_start = os.getloadavg()[0]
    table = [
        measure(n, X, y, tokens, args.steps, args.batch_size) for n in (1, 2)
    ]
    load = [load_start, os.getloadavg()[0]]
    print(f"CNN {' '.join(tokens)}; Adam, batch {args.batch_size}, float32")
    print(
        f"{'threads':>7} {'fashionlib s/epoch':>19} {'PyTorch s/epoch':>16} "
        f"{'ratio':>6} {'GFLOP/s':>8} {'of matmul peak':>15}"
    )
    for row in table:
        print(
            f"{row['threads']:7d} {row['fashionlib_seconds_per_epoch']:19.1f}"
            f" {row['torch_seconds_per_epoch']:16.1f} {row['ratio']:5.2f}x"
            f" {row['fashionlib_gflops']:8.1f}"
            f" {100 * row['share_of_peak']:14.0f}%"
        )
    print(
        f"load average {load[0]:.1f} at the start, {load[1]:.1f} at the end "
        f"({os.cpu_count()} cores): other processes slow both frameworks"
    )
    with atomic_file(args.output) as f:
        f.write(
            json.dumps(
                {"layers": tokens, "rows": table, "load": load}
            ).encode()
        )
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
