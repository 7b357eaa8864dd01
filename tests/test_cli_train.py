"""``python -m fashionlib train``: help, argument checks (exit 2), tiny runs
on synthetic data, output files, divergence and Ctrl-C."""

import subprocess
import sys

import numpy as np
import pytest

from fashionlib.__main__ import main
from fashionlib.batch import load_model


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
        "--num-epochs",
        "--batch-size",
        "--dtype",
        "--seed",
    ):
        assert option in result.stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--num-epochs", "0"], "--num-epochs: 0 must be a whole number >= 1"),
        (["--num-epochs", "two"], "'two' is not a number"),
        (["--optimiser", "adagrad"], "invalid choice: 'adagrad'"),
        (["--layers", "784", "50", "9"], "the last 10"),
        (["--layers", "100", "10"], "the first width must be 784"),
        (["--dtype", "float16"], "invalid choice: 'float16'"),
        (["--lr", "-1"], "--lr: -1 must be a finite number > 0"),
        (["--dropout", "1.5"], "--dropout: 1.5 must be a number in [0, 1)"),
        (["--lr", "inf"], "--lr: inf is not a finite number"),
        (["--weight-decay", "nan"], "nan is not a finite number"),
        (
            ["--weight-decay", "-1"],
            "--weight-decay: -1 must be a finite number >= 0",
        ),
        (["--seed", "-1"], "--seed: -1 must be a whole number >= 0"),
        (["--output", "m.json"], "give a name ending in .npz, or no suffix"),
    ],
)
def test_bad_arguments_exit_2_with_a_clear_message(arguments, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["train", *arguments])
    assert stop.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--jobs", "0"], "--jobs: 0 must be positive"),
        (["--memory", "lots"], "--memory: 'lots' is not a number"),
        (["--cell-timeout", "inf"], "inf is not a finite number"),
    ],
)
def test_grade_takes_the_same_number_types(arguments, message, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["grade", "submissions", *arguments])
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
            "--num-epochs",
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


# --- nothing lost, nothing cryptic ----------------------------------------

TINY = ["--layers", "784", "16", "10", "--batch-size", "32", "--no-progress"]


def train(tiny_data, *arguments):
    """``main(["train", ...])`` on the tiny data set; the exit status."""
    return main(
        ["train", "--data-dir", str(tiny_data), *TINY, *map(str, arguments)]
    )


@pytest.mark.parametrize("given", ["model", "model.npz"])
def test_output_names_a_stem_for_the_weights_and_the_history(
    tiny_data, tmp_path, capsys, given
):
    status = train(
        tiny_data, "--num-epochs", "1", "--output", tmp_path / given
    )
    assert status == 0
    out = capsys.readouterr().out
    npz, json = tmp_path / "model.npz", tmp_path / "model.json"
    assert f"wrote {npz} and {json}" in out
    W_list, stored = load_model(tmp_path / given)
    assert len(W_list) == 2 and stored["best_epoch"] == 1
    assert sorted(p.name for p in tmp_path.iterdir() if "model" in p.name) == [
        "model.json",
        "model.npz",
    ]


def test_unwritable_output_fails_before_training(tiny_data, tmp_path, capsys):
    (tmp_path / "model.json").mkdir()
    assert train(tiny_data, "--output", tmp_path / "model") == 1
    captured = capsys.readouterr()
    assert "epoch" not in captured.out
    assert captured.err.startswith(f"error: cannot use {tmp_path}")
    assert "model.json: is a folder" in captured.err
    assert "choose another path" in captured.err


def test_a_folder_as_output_is_refused(tiny_data, tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        train(tiny_data, "--output", str(tmp_path))
    assert stop.value.code == 2
    assert "is a folder: give a file name" in capsys.readouterr().err


def test_a_read_only_output_folder_fails_before_training(
    tiny_data, tmp_path, monkeypatch, capsys
):
    def read_only(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / "ro"))

    monkeypatch.setattr(
        "fashionlib._files.tempfile.NamedTemporaryFile", read_only
    )
    assert train(tiny_data, "--output", tmp_path / "ro" / "m") == 1
    captured = capsys.readouterr()
    assert "epoch" not in captured.out
    assert captured.err.startswith(f"error: cannot use {tmp_path / 'ro'}: ")


@pytest.mark.parametrize(
    "optimiser, lr", [("sgd", "100"), ("adam", "1e6"), ("momentum", "50")]
)
def test_divergence_ends_in_one_error_line_and_saves_nothing(
    tiny_data, tmp_path, capsys, optimiser, lr
):
    status = train(
        tiny_data,
        *("--optimiser", optimiser, "--lr", lr, "--num-epochs", "5"),
        *("--output", tmp_path / "m"),
    )
    assert status == 1
    err = capsys.readouterr().err
    assert err.startswith("error: training diverged in epoch ")
    assert err.count("\n") == 1
    assert "learning rate" in err and "weight decay" in err
    assert not (tmp_path / "m.npz").exists()


def test_ctrl_c_saves_the_best_weights_so_far(
    tiny_data, tmp_path, monkeypatch, capsys
):
    def interrupt_in_epoch_3(line):
        print(line)
        if line.startswith("epoch   3"):
            raise KeyboardInterrupt

    from fashionlib import cli_train

    real_fit = cli_train.fit

    def fit_interrupted(*args, log, **kwargs):
        return real_fit(*args, log=interrupt_in_epoch_3, **kwargs)

    monkeypatch.setattr(cli_train, "fit", fit_interrupted)
    status = train(
        tiny_data,
        *("--num-epochs", "5", "--lr", "0.01", "--output", tmp_path / "m"),
    )
    assert status == 130
    err = capsys.readouterr().err
    assert "interrupted: saving the best weights so far (epoch " in err
    W_list, stored = load_model(tmp_path / "m.npz")
    assert stored["best_epoch"] in (1, 2)  # epoch 3 was not yet compared
    assert stored["history"]["epoch"] == [1, 2, 3]  # the epochs that ran


def test_ctrl_c_without_output_says_nothing_was_saved(
    tiny_data, monkeypatch, capsys
):
    from fashionlib import cli_train

    def fit_interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli_train, "fit", fit_interrupted)
    assert train(tiny_data) == 130
    assert "nothing saved (no --output given)" in capsys.readouterr().err


#: A train command in a fresh process that accepts the tiny data.  It sets
#: SIGINT to Python's default first, as a terminal's foreground command has
#: it: started by a pytest-xdist worker, it once inherited SIGINT ignored
#: (SigIgn in /proc/PID/status), as a background job does.
SIGINT_RUN = """
import signal
import sys
signal.signal(signal.SIGINT, signal.default_int_handler)
from fashionlib import data
from fashionlib.__main__ import main
data.SPLIT_SIZES = {"train": 300, "validation": 100, "test": 100}
data.SPLIT_SHA256 = {
    split: data.split_digest(data.read_npz(
        data.npz_path(split, sys.argv[1]), 10**6,
    )) for split in data.SPLITS
}
sys.exit(main(sys.argv[2:]))
"""


def test_a_real_sigint_exits_130_without_traceback(tiny_data, tmp_path):
    import signal

    command = [sys.executable, "-c", SIGINT_RUN, str(tiny_data), "train"]
    command += ["--data-dir", str(tiny_data), *TINY, "--num-epochs", "100000"]
    command += ["--output", str(tmp_path / "m")]
    run = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    for line in run.stdout:  # wait until two epochs are done
        if line.startswith("epoch   2"):
            break
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=60)
    assert run.returncode == 130
    assert "Traceback" not in err
    assert "interrupted: saving the best weights so far" in err
    assert f"wrote {tmp_path / 'm.npz'} and {tmp_path / 'm.json'}" in out
    assert load_model(tmp_path / "m")[1]["best_epoch"] >= 1


@pytest.mark.parametrize("blow_up, stops", [(250.0, True), (150.0, False)])
def test_fit_stops_a_loss_grown_far_beyond_its_start(
    monkeypatch, blow_up, stops
):
    """Losses 2, 3, then ``blow_up``: above 100 times the first (200) is
    divergence even though every loss is finite."""
    from fashionlib import batch
    from fashionlib.batch import TrainingConfig, fit

    losses = iter([2.0, 3.0, blow_up] + [1.0] * 100)
    monkeypatch.setattr(batch, "train_step", lambda *a: next(losses))
    config = TrainingConfig(
        network_shape=[784, 10], num_epochs=2, batch_size=10, weight_decay=0.5
    )
    X, y = np.zeros((40, 784)), np.zeros(40, dtype=int)
    if not stops:
        assert fit((X, y), config).history["epoch"] == [1, 2]
        return
    with pytest.raises(
        FloatingPointError,
        match=r"epoch 1, step 3 \(loss 250, first step 2\) with learning "
        r"rate 0.001 and weight decay 0.5",
    ):
        fit((X, y), config)
