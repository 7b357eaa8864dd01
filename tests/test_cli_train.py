"""``python -m fashionlib train``: help, argument checks (exit 2) and a tiny run on synthetic data."""

import subprocess
import sys

import numpy as np
import pytest

from fashionlib import data
from fashionlib.__main__ import main
from fashionlib.batch import load_model


@pytest.fixture
def tiny_data(tmp_path, monkeypatch):
    """A data folder holding 300/100/100 synthetic images whose class shows as a bright row."""
    monkeypatch.setattr(
        data, "SPLIT_SIZES", {"train": 300, "validation": 100, "test": 100}
    )
    rng = np.random.default_rng(0)
    for split, count in (("train", 300), ("validation", 100), ("test", 100)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
        images[np.arange(count), 2 * labels + 4, :] = 255
        data.save_split(data.npz_path(split, tmp_path), images, labels)
    return tmp_path


def test_help_documents_the_options():
    result = subprocess.run(
        [sys.executable, "-m", "fashionlib", "train", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    for option in (
        "--layers",
        "--optimiser",
        "--lr",
        "--epochs",
        "--batch-size",
        "--dtype",
        "--seed",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--epochs", "0"], "--epochs: 0 must be positive"),
        (["--epochs", "two"], "'two' is not a number"),
        (["--optimiser", "adagrad"], "invalid choice: 'adagrad'"),
        (["--layers", "784", "50", "9"], "the last 10"),
        (["--layers", "100", "10"], "the first width must be 784"),
        (["--dtype", "float16"], "invalid choice: 'float16'"),
        (["--lr", "-1"], "--lr: -1 must be positive"),
        (["--dropout", "1.5"], "must be a fraction in [0, 1)"),
        (["--lr", "inf"], "--lr: inf is not a finite number"),
        (["--weight-decay", "nan"], "nan is not a finite number"),
        (["--weight-decay", "-1"], "--weight-decay: -1 must be 0 or more"),
        (["--seed", "-1"], "--seed: -1 must be 0 or more"),
        (["--output", "m.json"], "give a name ending in .npz, or no suffix"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(arguments, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", *arguments])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


def test_tiny_run_reports_epochs_and_test_accuracy(
    tiny_data, tmp_path, capsys
):
    output = tmp_path / "model.npz"
    status = main(
        [
            "train",
            "--data-dir",
            str(tiny_data),
            "--layers",
            "784",
            "16",
            "10",
            "--epochs",
            "3",
            "--batch-size",
            "32",
            "--lr",
            "0.01",
            "--no-progress",
            "--output",
            str(output),
        ]
    )
    assert status == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert sum(line.startswith("epoch") for line in lines) == 3
    assert lines[-1].startswith("test accuracy: ") and lines[-1].endswith(" %")
    assert float(lines[-1].split()[2]) > 50
    W_list, stored = load_model(output)
    assert [W.shape for W in W_list] == [(16, 785), (10, 17)] and W_list[
        0
    ].dtype == np.float32
    assert (
        stored["config"]["network_shape"] == [784, 16, 10]
        and len(stored["history"]["epoch"]) == 3
    )
