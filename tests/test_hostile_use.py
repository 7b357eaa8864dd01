"""Issue 21's reproduced faults of the core, each one case: checked
arguments, finite numbers, sizes before reading, both-or-neither writes,
every ending signal, failing output streams."""

import gzip
import io
import json
import os
import signal
import subprocess
import sys
import tracemalloc
import zipfile

import numpy as np
import pytest

from fashionlib import _files, batch, checks, data, training
from fashionlib.__main__ import main
from fashionlib._npz import read_npz
from fashionlib.backprop import (
    architecture,
    backprop_nn_W,
    relative_error,
)
from fashionlib.batch import (
    FitResult,
    TrainingConfig,
    batch_accuracy,
    fit,
    load_model,
    save_model,
)


def says(error, *parts):
    """The message of the raised ``error`` holds each of ``parts``: what
    was wrong and what to do, whatever words surround them."""
    message = str(error.value)
    missing = [part for part in parts if part not in message]
    assert not missing, f"{message!r} does not say {missing}"


def blobs(n=80, m=4, k=3, seed=0):
    """``n`` rows of ``m`` features whose label ``0..k-1`` is learnable."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    X = rng.standard_normal((n, m)).astype(np.float32)
    X[np.arange(n), y] += 3
    return X, y


def tiny_result(**config):
    """A one-epoch FitResult of a 4-3 network."""
    X, y = blobs()
    return fit((X, y), TrainingConfig(network_shape=[4, 3], num_epochs=1))


# --- 4: a verify check passed NaN ---------------------------------------


def test_a_check_fails_nan_gradients():
    def nan_gradients(x, label, **architecture):
        return [
            np.full_like(g, np.nan)
            for g in backprop_nn_W(x, label, **architecture)
        ]

    with pytest.raises(AssertionError, match="layer 0 holds nan or inf"):
        checks.check_backprop_nn_W(nan_gradients)


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_relative_error_refuses_non_finite_entries(bad):
    with pytest.raises(ValueError, match="analytic gradient holds 1 nan"):
        relative_error([1.0, bad], [1.0, 2.0])
    with pytest.raises(ValueError, match="numeric gradient holds 2 nan"):
        relative_error([1.0, 2.0], [bad, bad])


# --- 5, 6: misaligned or broadcast labels --------------------------------


@pytest.mark.parametrize(
    "X_rows, y_rows, message",
    [
        (40, 80, "lengths differ \\(images X 40, labels y 80\\)"),
        (80, 40, "lengths differ \\(images X 80, labels y 40\\)"),
    ],
)
def test_fit_refuses_labels_of_another_length(X_rows, y_rows, message):
    X, y = blobs(80)
    config = TrainingConfig(network_shape=[4, 3], num_epochs=1)
    with pytest.raises(ValueError, match=f"training data: {message}"):
        fit((X[:X_rows], y[:y_rows]), config)


@pytest.mark.parametrize("shape", [(80, 1), (1,)])
def test_batch_accuracy_refuses_labels_that_would_broadcast(shape):
    X, y = blobs(80)
    W_list = tiny_result().W_list
    labels = y.reshape(-1, 1) if shape == (80, 1) else y[:1]
    with pytest.raises(ValueError, match="scored data"):
        batch_accuracy(X, labels, W_list, ["identity"])
    config = TrainingConfig(network_shape=[4, 3], num_epochs=1)
    with pytest.raises(ValueError, match="validation data"):
        fit((X, y), config, validation=(X, labels))


def test_fit_refuses_images_of_the_wrong_width_and_non_finite_pixels():
    X, y = blobs(20)
    config = TrainingConfig(network_shape=[5, 3], num_epochs=1)
    with pytest.raises(ValueError, match=r"X has shape \(20, 4\), expected"):
        fit((X, y), config)
    X[3, 1] = np.nan
    config = TrainingConfig(network_shape=[4, 3], num_epochs=1)
    with pytest.raises(ValueError, match="X holds 1 nan or inf values"):
        fit((X, y), config)
    with pytest.raises(ValueError, match="labels must be integers in 0..2"):
        fit((X[:2], [0, 3]), config)


# --- 7: a memory estimate before training --------------------------------


def test_the_memory_estimate_counts_weights_state_and_one_batch():
    config = TrainingConfig(
        network_shape=[4, 5, 3], optimiser="adam", batch_size=7
    )
    weights = 5 * 5 + 3 * 6  # (m_in + 1) * m_out per layer
    rows = batch.PREDICT_ROWS  # above the batch of 7
    expected = 4 * ((3 + 3) * weights + 4 * rows * (4 + 5 + 3))
    assert batch.memory_estimate(config) == expected
    sgd = TrainingConfig(
        network_shape=[4, 5, 3],
        optimiser="sgd",
        batch_size=5000,
        dtype="float64",
    )
    assert batch.memory_estimate(sgd) == 8 * (
        3 * weights + 4 * 5000 * (4 + 5 + 3)
    )
    momentum = TrainingConfig(network_shape=[4, 5, 3], optimiser="momentum")
    assert (
        batch.memory_estimate(momentum)
        - batch.memory_estimate(
            TrainingConfig(network_shape=[4, 5, 3], optimiser="sgd")
        )
        == 4 * weights
    )


def test_a_run_that_would_not_fit_is_refused_with_the_estimate():
    config = TrainingConfig(network_shape=[4, 3], num_epochs=1)
    needed = batch.memory_estimate(config)
    batch.check_memory(config, available=needed)  # just fits
    with pytest.raises(MemoryError, match="needs about .* GB .* but"):
        batch.check_memory(config, available=needed - 1)
    wide = TrainingConfig(network_shape=[784, 100_000_000, 10])
    with pytest.raises(MemoryError, match="needs about 5.11e\\+03 GB"):
        fit(blobs(10, 784, 10), wide)


def test_available_memory_reads_memavailable_and_the_address_limit(
    tmp_path, monkeypatch
):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 9000 kB\nMemAvailable:    2048 kB\n")
    monkeypatch.setattr(
        batch.resource,
        "getrlimit",
        lambda kind: (batch.resource.RLIM_INFINITY,) * 2,
    )
    assert batch.available_memory(str(meminfo)) == 2048 * 1024
    monkeypatch.setattr(batch.resource, "getrlimit", lambda kind: (10**6,) * 2)
    monkeypatch.setattr(batch, "address_space", lambda: 4 * 10**5)
    assert batch.available_memory(str(meminfo)) == 6 * 10**5
    assert 0 < batch.address_space() < 10**11


def test_the_command_refuses_a_huge_layer_in_one_line(tiny_data, capsys):
    status = main(
        ["train", "--data-dir", str(tiny_data), "--no-progress"]
        + ["--layers", "784", "100000000", "10", "--num-epochs", "1"]
    )
    err = capsys.readouterr().err
    assert status == 1 and err.count("\n") == 1
    assert err.startswith("error: training [784, 100000000, 10] with adam")


# --- 8: divergence in the last step --------------------------------------


def test_divergence_in_the_last_step_is_caught():
    X, y = blobs(8)
    config = TrainingConfig(
        network_shape=[4, 3],
        optimiser="sgd",
        learning_rate=1e300,
        batch_size=8,
        num_epochs=1,
    )
    with pytest.raises(FloatingPointError, match="epoch 1, step 1: W_1"):
        fit((X, y), config)


def test_per_sample_training_refuses_a_nan_rate_and_a_last_step_blow_up():
    arch = architecture([4, 3])
    one = {"images": np.ones((1, 2, 2)), "labels": np.eye(3)[[1]]}
    with pytest.raises(ValueError, match="learning rate nan: give a finite"):
        training.train(one, arch, float("nan"))
    with pytest.raises(FloatingPointError, match="step 1: W_1 holds nan"):
        training.train(one, arch, 1e308)


# --- 10, 11: models both-or-neither, and checked when loaded -------------


def test_a_kill_between_the_two_renames_leaves_a_pair_load_refuses(
    tmp_path, monkeypatch
):
    first = tiny_result()
    save_model(tmp_path / "m", first)
    second = FitResult(
        [W * 2 for W in first.W_list], 1, first.history, first.config
    )
    renames = []
    real_replace = os.replace

    def killed_after_one(source, target):
        if renames:
            raise KeyboardInterrupt  # the kill
        renames.append(target)
        real_replace(source, target)

    monkeypatch.setattr(_files.os, "replace", killed_after_one)
    with pytest.raises(KeyboardInterrupt):
        save_model(tmp_path / "m", second)
    monkeypatch.undo()
    assert renames == [tmp_path / "m.json"]  # the JSON goes first
    with pytest.raises(ValueError, match="the two are not from one save"):
        load_model(tmp_path / "m")
    npz = tmp_path / "m.npz"
    npz.write_bytes(b"not a zip")  # damaged, and no digest to compare
    json_path = tmp_path / "m.json"
    stored = json.loads(json_path.read_text())
    stored.pop("weights_sha256")
    json_path.write_text(json.dumps(stored))
    with pytest.raises(ValueError, match="does not hold the weights W0"):
        load_model(npz)


def test_a_sweep_between_creation_and_lock_does_not_lose_the_write(
    tmp_path, monkeypatch
):
    target = tmp_path / "out.bin"
    create, swept = _files.tempfile.NamedTemporaryFile, []

    def created_then_swept(**options):
        file = create(**options)
        if not swept:  # another writer's sweep, before our lock
            swept.extend(_files.sweep(target))
        return file

    monkeypatch.setattr(
        _files.tempfile, "NamedTemporaryFile", created_then_swept
    )
    with _files.atomic_file(target) as f:
        f.write(b"kept")
    assert len(swept) == 1 and target.read_bytes() == b"kept"


def saved_pair(tmp_path):
    """Paths of a saved 4-3 model and its stored JSON dict."""
    npz, json_path = save_model(tmp_path / "m", tiny_result())
    return npz, json_path, json.loads(json_path.read_text())


def rewrite(npz, json_path, stored, **arrays):
    """Store ``arrays`` as the weights, and the JSON without a digest."""
    np.savez(npz, **arrays)
    stored.pop("weights_sha256", None)
    json_path.write_text(json.dumps(stored))


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"W0": np.full((3, 5), np.nan)}, "W_1 holds nan or inf"),
        ({"W0": np.ones((3, 5), np.int8)}, "W_1 is int8 \\(3, 5\\)"),
        ({"W0": np.ones((3, 4))}, "expected floats of shape \\(3, 5\\)"),
        ({"W0": np.ones((3, 5)), "W1": np.ones((3, 4))}, "2 weight matri"),
    ],
)
def test_load_model_refuses_weights_that_do_not_fit(tmp_path, arrays, message):
    npz, json_path, stored = saved_pair(tmp_path)
    rewrite(npz, json_path, stored, **arrays)
    with pytest.raises(ValueError, match=message):
        load_model(npz)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda text: text[: len(text) // 2], "is not a model description"),
        (lambda text: "{}", "no 'config'"),
        (
            lambda text: text.replace('"network_shape"', '"shape"'),
            "no 'network_shape'",
        ),
    ],
)
def test_load_model_explains_a_damaged_description(tmp_path, damage, message):
    npz, json_path, _ = saved_pair(tmp_path)
    json_path.write_text(damage(json_path.read_text()))
    with pytest.raises(ValueError, match=message) as error:
        load_model(npz)
    assert str(json_path) in str(error.value)


def test_save_model_refuses_non_finite_weights(tmp_path):
    result = tiny_result()
    result.W_list[0][0, 0] = np.inf
    with pytest.raises(ValueError, match="the model to save: W_1 holds"):
        save_model(tmp_path / "m", result)
    assert not list(tmp_path.iterdir())


def test_the_stored_models_still_load():
    from pathlib import Path

    models = Path(__file__).resolve().parent.parent / "models"
    for npz in models.glob("*.npz"):
        W_list, stored = load_model(npz)
        shapes = batch.weight_shapes(TrainingConfig(**stored["config"]))
        assert [W.shape for W in W_list] == shapes


# --- 13, 16: sizes before reading, and the cache's content --------------


def test_a_gzip_bomb_is_refused_before_it_fills_the_memory(tmp_path):
    bomb = tmp_path / "t10k-labels-idx1-ubyte.gz"
    bomb.write_bytes(gzip.compress(bytes(50_000_000)))
    tracemalloc.start()
    with pytest.raises(data.DataError, match="decompresses to more than"):
        data.read_gz(bomb, data.idx_size(bomb.stem, 60_000))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1_000_000
    big = tmp_path / "big.gz"
    big.write_bytes(os.urandom(20_000))
    with pytest.raises(data.DataError, match="more than a gzip file of 100"):
        data.read_gz(big, 100)


def test_a_cache_that_inflates_or_declares_too_much_is_refused(
    tmp_path, fake_cache
):
    images = np.zeros((4, 28, 28), np.uint8)
    fake_cache(tmp_path, {"test": (images, np.arange(4, dtype=np.uint8))})
    path = data.npz_path("test", tmp_path)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("labels.npy", npy_header((4,)) + bytes(4))
        archive.writestr(
            "images.npy", npy_header((4, 28, 28)) + bytes(100_000_000)
        )
    tracemalloc.start()
    with pytest.raises(data.DataError, match="other than the 3136 bytes"):
        data.load("test", tmp_path)
    assert tracemalloc.get_traced_memory()[1] < 1_000_000
    tracemalloc.stop()
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("labels.npy", npy_header((4,)) + bytes(4))
        archive.writestr("images.npy", npy_header((10**9, 28, 28)))
    with pytest.raises(data.DataError, match=r"declares uint8 \(1000000000"):
        data.load("test", tmp_path)


def npy_header(shape, dtype=np.uint8):
    """The bytes of a version 1.0 ``.npy`` header for ``shape``."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header,
        {"descr": np.dtype(dtype).str, "fortran_order": False, "shape": shape},
    )
    return header.getvalue()


def test_read_npz_refuses_pickles_and_unexpected_members(tmp_path):
    buffer = io.BytesIO()
    np.savez(buffer, a=np.array([{}], dtype=object), b=np.ones(2))
    with pytest.raises(ValueError, match="pickles are refused"):
        read_npz(io.BytesIO(buffer.getvalue()), 100)
    with pytest.raises(ValueError, match=r"holds \['a', 'b'\], expected"):
        read_npz(io.BytesIO(buffer.getvalue()), 100, {"b": ("f8", (2,))})
    fortran = io.BytesIO()
    np.savez(fortran, f=np.asfortranarray(np.arange(6.0).reshape(2, 3)))
    got = read_npz(io.BytesIO(fortran.getvalue()), 100)["f"]
    np.testing.assert_array_equal(got, np.arange(6.0).reshape(2, 3))


@pytest.mark.parametrize(
    "change",
    [
        lambda images, labels: (images, labels[::-1].copy()),  # shuffled
        lambda images, labels: (np.zeros_like(images), labels),  # blank
    ],
)
def test_a_cache_with_changed_content_is_refused(tmp_path, fake_cache, change):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (6, 28, 28)).astype(np.uint8)
    labels = np.arange(6, dtype=np.uint8)
    fake_cache(tmp_path, {"test": (images, labels)})
    data.load("test", tmp_path)  # as prepared: accepted
    changed = dict(
        zip(("images", "labels"), change(images, labels), strict=True)
    )
    np.savez(data.npz_path("test", tmp_path), **changed)
    with pytest.raises(data.DataError, match="SHA-256 is .* of the test"):
        data.load("test", tmp_path)


def test_the_digests_are_those_of_the_real_cache():
    for split in data.SPLITS:
        path = data.npz_path(split)
        if not path.is_file():
            pytest.skip("no data cache here")
        with np.load(path) as stored:
            arrays = {key: stored[key] for key in ("images", "labels")}
        assert data.split_digest(arrays) == data.SPLIT_SHA256[split]


# --- 9, 12: failing output streams and every ending signal ---------------



#: The train command in a fresh process that accepts the tiny data.
TRAIN = """
import sys
from fashionlib import data
from fashionlib.__main__ import main
data.SPLIT_SIZES = {"train": 300, "validation": 100, "test": 100}
data.SPLIT_SHA256 = {
    split: data.split_digest(
        data.read_npz(data.npz_path(split, sys.argv[1]), 10**6)
    )
    for split in data.SPLITS
}
sys.exit(main(sys.argv[2:]))
"""


def train_command(folder, output, *options):
    """The command line of a tiny training run in a fresh process."""
    return [
        sys.executable,
        "-c",
        TRAIN,
        str(folder),
        "train",
        *("--data-dir", str(folder), "--layers", "784", "16", "10"),
        *("--no-progress", "--output", str(output), *options),
    ]


@pytest.mark.slow  # a training run in a fresh process
def test_a_full_stdout_does_not_lose_the_model(tiny_data, tmp_path):
    with open("/dev/full", "w") as full:
        run = subprocess.run(
            train_command(tiny_data, tmp_path / "m", "--num-epochs", "2"),
            stdout=full,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    assert run.returncode == 1
    assert run.stderr.startswith("error: could not write to stdout")
    assert run.stderr.count("\n") == 1, run.stderr
    assert load_model(tmp_path / "m")[1]["best_epoch"] >= 1


@pytest.mark.slow  # a training run in a fresh process
def test_a_closed_pipe_and_a_failing_stderr_do_not_lose_the_model(
    tiny_data, tmp_path
):
    command = train_command(tiny_data, tmp_path / "m", "--num-epochs", "2")
    with open("/dev/full", "w") as full:
        run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=full)
        run.stdout.readline()
        run.stdout.close()  # as `| head -1` does
        assert run.wait(timeout=120) == 1
    assert load_model(tmp_path / "m")[1]["best_epoch"] >= 1


@pytest.mark.slow  # a training run in a fresh process
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_save_what_ctrl_c_saves(
    tiny_data, tmp_path, signum
):
    command = train_command(
        tiny_data, tmp_path / "m", "--num-epochs", "100000"
    )
    run = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in run.stdout:  # wait until two epochs are done
        if line.startswith("epoch   2"):
            break
    run.send_signal(signum)
    out, err = run.communicate(timeout=60)
    name = signal.Signals(signum).name
    assert run.returncode == 128 + signum
    assert err == (
        f"interrupted by {name}: saving the best weights so far (epoch "
        f"{load_model(tmp_path / 'm')[1]['best_epoch']})\n"
    )
    assert f"wrote {tmp_path / 'm.npz'}" in out


# --- the new checks' exact behaviour (mutation testing) ------------------


@pytest.mark.parametrize("data", ["not a pair", (np.ones((2, 4)),)])
def test_checked_data_names_what_is_not_a_pair(data):
    with pytest.raises(ValueError) as error:
        batch.checked_data(data, (4, 3), "training data")
    says(error, "training data", "pair (X, y)", "(N, 4)",
         f"got {type(data).__name__}")


def test_checked_data_messages_say_what_is_wrong_and_what_to_do():
    X, y = blobs(20)
    with pytest.raises(ValueError) as error:
        batch.checked_data((X, y), (5, 3), "training data")
    says(error, "training data", "(20, 4)", "expected (N, 5)",
         "design_matrix")
    with pytest.raises(ValueError, match="^validation data: labels must be"):
        batch.checked_data((X[:2], [0, 3]), (4, 3), "validation data")
    W_list = tiny_result().W_list  # 3 outputs, 5 columns
    with pytest.raises(ValueError, match="^scored data: labels .* 0..2,"):
        batch_accuracy(X[:2], [0, 4], W_list, ["identity"])


def test_divergence_and_memory_messages_in_full():
    W_list = [np.ones((3, 5)), np.array([[1.0, np.inf]])]
    config = TrainingConfig(network_shape=[4, 3, 1], learning_rate=0.5)
    with pytest.raises(FloatingPointError) as error:
        batch.check_finite_weights(W_list, config, "epoch 2, step 7")
    says(error, "diverged in epoch 2, step 7", "W_2", "learning rate 0.5",
         "10 times smaller")
    needed = batch.memory_estimate(config)
    with pytest.raises(MemoryError) as error:
        batch.check_memory(config, available=needed / 2)
    says(error, "[4, 3, 1]", f"about {needed / 10**9:.3g} GB",
         f"{needed / 2e9:.3g} GB are available", "smaller batch")


def test_available_memory_falls_back_and_heeds_the_soft_limit(
    tmp_path, monkeypatch
):
    meminfo = tmp_path / "meminfo"
    meminfo.write_text("MemTotal: 9000 kB\n")  # no MemAvailable line
    free = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    infinite = batch.resource.RLIM_INFINITY
    monkeypatch.setattr(
        batch.resource, "getrlimit", lambda kind: (infinite, infinite)
    )
    assert abs(batch.available_memory(str(meminfo)) - free) < 2**26
    assert abs(batch.available_memory(str(tmp_path / "none")) - free) < 2**26
    assert batch.available_memory() == batch.available_memory("/proc/meminfo")
    monkeypatch.setattr(
        batch.resource, "getrlimit", lambda kind: (10**6, infinite)
    )
    monkeypatch.setattr(batch, "address_space", lambda: 4 * 10**5)
    assert batch.available_memory(str(meminfo)) == 6 * 10**5


def test_save_model_sweeps_what_killed_runs_left_beside_both_files(
    tmp_path,
):
    stale = [tmp_path / ".m.npz.dead1.part", tmp_path / ".m.json.dead2.part"]
    for path in stale:
        path.write_bytes(b"left by a killed run")
    save_model(tmp_path / "m", tiny_result())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.npz"]


def test_gzip_sizes_at_the_limit(tmp_path):
    assert data.gz_limit(10**6) == 10**6 + 1000 + 1024
    path = tmp_path / "x.gz"
    path.write_bytes(bytes(data.gz_limit(100)))  # as large as allowed
    with pytest.raises(data.DataError, match="not a gzip file"):
        data.read_gz(path, 100)
    path.write_bytes(bytes(data.gz_limit(100) + 1))
    with pytest.raises(data.DataError, match="more than a gzip file of 100"):
        data.read_gz(path, 100)


def test_a_download_reads_no_more_than_the_limit(tmp_path, monkeypatch):
    asked = []

    class Response(io.BytesIO):
        def read(self, size=-1):
            asked.append(size)
            return super().read(size)

        def __enter__(self):
            return self

    monkeypatch.setattr(
        data.urllib.request,
        "urlopen",
        lambda url, timeout: Response(bytes(10**6)),
    )
    messages = []
    assert data.download("x", "0" * 64, tmp_path, messages.append, 100) is None
    assert asked == [data.gz_limit(100) + 1]
    assert "more than a gzip file of 100 bytes" in messages[-1]


def test_relative_error_says_what_is_not_finite():
    with pytest.raises(ValueError) as error:
        relative_error([np.nan, 1.0, np.inf], [1.0, 1.0, 1.0])
    says(error, "analytic gradient", "2 nan or inf", "finite numbers")


@pytest.mark.parametrize("rate", [0.0, -1.0, np.inf, np.nan])
def test_per_sample_training_refuses_each_bad_rate_in_full(rate):
    one = {"images": np.ones((1, 2, 2)), "labels": np.eye(3)[[1]]}
    with pytest.raises(ValueError) as error:
        training.train(one, architecture([4, 3]), rate)
    says(error, f"learning rate {rate}", "finite number > 0")


def test_per_sample_blow_up_says_where_and_what_to_try():
    one = {"images": np.ones((1, 2, 2)), "labels": np.eye(3)[[1]]}
    with pytest.raises(FloatingPointError) as error:
        training.train(one, architecture([4, 3]), 1e308)
    says(error, "diverged in step 1", "W_1", "learning rate 1e+308",
         "10 times smaller")


def test_idx_sizes_and_the_model_size_limit(tmp_path):
    assert data.idx_size("t10k-images-idx3-ubyte", 3) == 16 + 3 * 784
    assert data.idx_size("t10k-labels-idx1-ubyte", 3) == 8 + 3
    path = tmp_path / "f"
    path.write_bytes(bytes(10))
    assert batch.read_limited(path, 10) == bytes(10)  # at the limit
    with pytest.raises(ValueError) as error:
        batch.read_limited(path, 9)
    says(error, str(path), "10 bytes", "the 9 a model may have")


@pytest.mark.parametrize("shape", [[4], [4, 0], [4, 1]])
def test_load_model_names_the_file_and_the_fix(tmp_path, shape):
    npz, json_path, stored = saved_pair(tmp_path)
    stored["config"]["network_shape"] = shape
    json_path.write_text(json.dumps(stored))
    if shape == [4, 1]:  # a valid shape the weights contradict
        with pytest.raises(ValueError) as error:
            load_model(npz)
        says(error, str(npz), "W_1", "(3, 5)", "shape (1, 5)")
        return
    with pytest.raises(ValueError) as error:
        load_model(npz)
    says(error, str(json_path), f"network_shape {shape}",
         "save the model again")


def test_load_model_says_which_pair_does_not_match(tmp_path):
    npz, json_path, stored = saved_pair(tmp_path)
    npz.write_bytes(b"not a zip")
    with pytest.raises(ValueError) as error:
        load_model(npz)
    says(error, str(npz), f"SHA-256 that {json_path} records",
         "save the model again")
    stored.pop("weights_sha256")
    json_path.write_text(json.dumps(stored))
    with pytest.raises(ValueError) as error:
        load_model(npz)
    says(error, str(npz), "weights W0, W1", "save the model again")
