"""Benchmark: fashionlib's mini-batch engine, PyTorch (CPU), scikit-learn.

They run one after the other, in one process.

All three train the same multilayer perceptron (default 784-512-512-10, ReLU,
softmax cross-entropy, Adam at 1e-3, batch 128, float32, no dropout or weight
decay) on the 50,000 training images for a few epochs.  Reported per framework:
median seconds per epoch, test accuracy, achieved GFLOP/s (the matrix products
of one epoch divided by its time) and that rate as a fraction of NumPy's own
float32 matrix-multiply peak measured in the same run.  Also timed: the
per-sample homework path (784-50-10, one epoch of 10,000 images, plain SGD),
with naive (explicit Jacobians) and fast backpropagation.

Run it with ``make bench``; it prints a table and writes bench/results.json.
"""

import argparse
import json
import os
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from fashionlib import data
from fashionlib.batch import (
    TrainingConfig,
    batch_accuracy,
    design_matrix,
    epoch_flops,
    fit,
)
from fashionlib.network import architecture as make_architecture
from fashionlib.training import train

HERE = Path(__file__).resolve().parent


def matmul_peak(dtype=np.float32, sizes=(512, 1024, 2048), seconds=1.0):
    """Best GFLOP/s of ``A @ B`` over square sizes, each repeated for about
    ``seconds``.
    """
    rng = np.random.default_rng(0)
    best = 0.0
    for n in sizes:
        A, B = (
            rng.standard_normal((n, n)).astype(dtype),
            rng.standard_normal((n, n)).astype(dtype),
        )
        A @ B
        start, count = time.perf_counter(), 0
        while time.perf_counter() - start < seconds:
            A @ B
            count += 1
        best = max(
            best, 2 * n**3 * count / (time.perf_counter() - start) / 1e9
        )
    return best


def run_fashionlib(train_set, test_set, shape, num_epochs, batch_size, seed):
    """Seconds per epoch and test accuracy of :func:`fashionlib.batch.fit`."""
    config = TrainingConfig(
        network_shape=shape,
        optimiser="adam",
        learning_rate=1e-3,
        num_epochs=num_epochs,
        batch_size=batch_size,
        seed=seed,
        dtype="float32",
    )
    result = fit(train_set, config)
    return result.history["seconds"], batch_accuracy(
        *test_set, result.W_list, config.activations
    )


def run_torch(train_set, test_set, shape, num_epochs, batch_size, seed):
    """The same network and optimiser in PyTorch on the CPU.

    Seconds per epoch and test accuracy.
    """
    import torch

    torch.manual_seed(seed)
    layers = []
    for m_in, m_out in zip(shape[:-1], shape[1:], strict=True):
        layers += [torch.nn.Linear(m_in, m_out), torch.nn.ReLU()]
    model = torch.nn.Sequential(*layers[:-1])
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    X, y = (
        torch.from_numpy(train_set[0]),
        torch.from_numpy(train_set[1]).long(),
    )
    generator = torch.Generator().manual_seed(seed)
    seconds = []
    for _ in range(num_epochs):
        start = time.perf_counter()
        order = torch.randperm(len(X), generator=generator)
        for i in range(0, len(X), batch_size):
            rows = order[i : i + batch_size]
            optimiser.zero_grad()
            loss_fn(model(X[rows]), y[rows]).backward()
            optimiser.step()
        seconds.append(time.perf_counter() - start)
    with torch.no_grad():
        predicted = model(torch.from_numpy(test_set[0])).argmax(dim=1).numpy()
    return seconds, 100.0 * float(np.mean(predicted == test_set[1]))


def run_sklearn(train_set, test_set, shape, num_epochs, batch_size, seed):
    """scikit-learn's MLPClassifier, one ``partial_fit`` per epoch.

    Seconds per epoch and test accuracy.
    """
    from sklearn.neural_network import MLPClassifier

    model = MLPClassifier(
        hidden_layer_sizes=tuple(shape[1:-1]),
        activation="relu",
        solver="adam",
        learning_rate_init=1e-3,
        batch_size=batch_size,
        alpha=0.0,
        shuffle=True,
        random_state=seed,
    )
    classes, seconds = np.arange(shape[-1]), []
    for _ in range(num_epochs):
        start = time.perf_counter()
        model.partial_fit(*train_set, classes=classes)
        seconds.append(time.perf_counter() - start)
    return seconds, 100.0 * float(model.score(*test_set))


def time_per_sample_epoch(variant, train_set, num_samples, seed=0):
    """Seconds of one epoch of per-sample ``train`` (784-50-10) on
    ``num_samples`` images, naive or fast.
    """
    architecture = make_architecture(
        [784, 50, 10], seed=seed, naive=variant == "naive"
    )
    subset = {key: value[:num_samples] for key, value in train_set.items()}
    start = time.perf_counter()
    train(subset, architecture, 0.001)
    return time.perf_counter() - start


def blas_info():
    """What threadpoolctl reports about the BLAS libraries loaded now, and the
    OpenBLAS variables.
    """
    from threadpoolctl import threadpool_info

    libraries = [
        {
            key: lib.get(key)
            for key in (
                "internal_api",
                "version",
                "architecture",
                "num_threads",
                "filepath",
            )
        }
        for lib in threadpool_info()
    ]
    variables = {
        name: os.environ.get(name)
        for name in (
            "OPENBLAS_CORETYPE",
            "OPENBLAS_L2_SIZE",
            "OPENBLAS_NUM_THREADS",
            "OMP_NUM_THREADS",
        )
    }
    return {"libraries": libraries, "environment": variables}


def parse_args():
    """Command-line options of the benchmark."""
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--num-epochs",
        type=int,
        default=3,
        help="epochs per framework (median time reported)",
    )
    parser.add_argument(
        "--layers", type=int, nargs="+", default=[784, 512, 512, 10]
    )
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument(
        "--naive-samples",
        type=int,
        default=1000,
        help=(
            "images for the naive per-sample epoch, scaled to 10,000 (it is "
            "slow)"
        ),
    )
    parser.add_argument(
        "--skip",
        nargs="*",
        default=[],
        choices=["torch", "sklearn", "per-sample"],
    )
    parser.add_argument(
        "--threads",
        type=int,
        help=(
            "limit BLAS, OpenMP and PyTorch to this many threads (default: "
            "as configured)"
        ),
    )
    parser.add_argument("--output", default=str(HERE / "results.json"))
    return parser.parse_args()


def main():
    """Run every measurement (with ``--threads``, under that thread limit),
    print the table, write the JSON.
    """
    args = parse_args()
    if args.threads is None:
        return measure(args)
    from threadpoolctl import threadpool_limits

    if "torch" not in args.skip:
        import torch

        torch.set_num_threads(args.threads)
    with threadpool_limits(limits=args.threads):
        return measure(args)


def measure(args):
    """Every measurement of the benchmark.

    Prints the table and writes ``args.output``.
    """
    splits = {split: data.load(split) for split in ("train", "test")}
    mean, std = data.whitening_stats(splits["train"]["images"])
    train_set, test_set = (
        design_matrix(splits[s], mean, std, np.float32)
        for s in ("train", "test")
    )
    load_start = os.getloadavg()[0]
    peak = matmul_peak()
    flops = epoch_flops(args.layers, len(train_set[0]))
    runners = {
        "fashionlib": run_fashionlib,
        "PyTorch (CPU)": run_torch,
        "scikit-learn": run_sklearn,
    }
    skipped = {
        "PyTorch (CPU)": "torch" in args.skip,
        "scikit-learn": "sklearn" in args.skip,
    }
    rows = {}
    for name, runner in runners.items():
        if skipped.get(name):
            continue
        seconds, test_accuracy = runner(
            train_set,
            test_set,
            args.layers,
            args.num_epochs,
            args.batch_size,
            0,
        )
        median = statistics.median(seconds)
        rows[name] = {
            "seconds_per_epoch": median,
            "all_seconds": seconds,
            "test_accuracy": test_accuracy,
            "gflops": flops / median / 1e9,
            "fraction_of_peak": flops / median / 1e9 / peak,
        }
    reference = rows.get("PyTorch (CPU)", rows["fashionlib"])[
        "seconds_per_epoch"
    ]
    for row in rows.values():
        row["time_vs_torch"] = row["seconds_per_epoch"] / reference
    per_sample = {}
    if "per-sample" not in args.skip:
        fashion = data.prepare_classification(data.load("train"), mean, std)
        per_sample["fast"] = time_per_sample_epoch("fast", fashion, 10000)
        per_sample["naive"] = (
            time_per_sample_epoch("naive", fashion, args.naive_samples)
            * 10000
            / args.naive_samples
        )
    results = {
        "network": args.layers,
        "num_epochs": args.num_epochs,
        "batch_size": args.batch_size,
        "dtype": "float32",
        "optimiser": "adam, learning rate 1e-3",
        "epoch_gflop": flops / 1e9,
        "numpy_matmul_peak_gflops": peak,
        "frameworks": rows,
        "per_sample_epoch_seconds": per_sample,
        "naive_samples_timed": args.naive_samples,
        "threads": args.threads,
        "load_average": [load_start, os.getloadavg()[0]],
        "cpu_count": os.cpu_count(),
        "machine": platform.processor() or platform.machine(),
        "blas": blas_info(),
    }
    print_table(results)
    with data.atomic_file(args.output) as f:
        f.write(json.dumps(results, indent=1).encode())
    print(f"wrote {args.output}")


def print_table(results):
    """The results as a plain-text table."""
    print(
        f"network {'-'.join(map(str, results['network']))}, Adam 1e-3, batch "
        f"{results['batch_size']}, float32, "
        f"{results['num_epochs']} epochs; {results['epoch_gflop']:.0f} GFLOP "
        "per epoch; "
        f"NumPy float32 matmul peak {results['numpy_matmul_peak_gflops']:.1f} "
        "GFLOP/s"
    )
    print(
        f"{'framework':<15} {'s/epoch':>8} {'vs torch':>9} {'test %':>7} "
        f"{'GFLOP/s':>8} {'of peak':>8}"
    )
    for name, row in results["frameworks"].items():
        print(
            f"{name:<15} {row['seconds_per_epoch']:8.2f} "
            f"{row['time_vs_torch']:8.2f}x "
            f"{row['test_accuracy']:7.2f} {row['gflops']:8.1f} "
            f"{100 * row['fraction_of_peak']:7.0f}%"
        )
    per_sample = results["per_sample_epoch_seconds"]
    if per_sample:
        print(
            "per-sample homework epoch (784-50-10, 10,000 images, SGD): fast "
            f"{per_sample['fast']:.1f} s, "
            f"naive {per_sample['naive']:.0f} s (timed on "
            f"{results['naive_samples_timed']} images, scaled), "
            f"{per_sample['naive'] / per_sample['fast']:.0f}x"
        )
    print(
        f"threads: {results['threads'] or 'as configured'}; load average "
        f"{results['load_average'][0]:.1f} at the start, "
        f"{results['load_average'][1]:.1f} at the end; "
        f"BLAS: "
        + ", ".join(
            f"{lib['internal_api']} {lib['version']} {lib['architecture']} "
            f"{lib['num_threads']} threads"
            for lib in results["blas"]["libraries"]
        )
    )


if __name__ == "__main__":
    main()
