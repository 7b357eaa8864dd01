"""The mini-batch engine.

Gradients, agreement with per-sample SGD, shuffling, stopping, divergence.
"""

import json

import numpy as np
import pytest

from fashionlib.backprop import numerical_jacobian, relative_error
from fashionlib.batch import (
    Adam,
    TrainingConfig,
    affine_batch,
    backprop_batch_W,
    batch_accuracy,
    cross_entropy,
    d_cross_entropy_d_Z,
    fit,
    forward_batch,
    homogeneous_batch,
    init_weights,
    l2_batch,
    load_model,
    save_model,
    softmax,
    targets,
)
from fashionlib.layers import affine
from fashionlib.network import architecture
from fashionlib.training import train


def blobs(num_samples=300, num_features=6, num_classes=3, seed=0):
    """Separable Gaussian clusters.

    ``X`` ``(N, num_features)`` float64 and labels ``(N,)``.
    """
    rng = np.random.default_rng(seed)
    y = rng.integers(0, num_classes, num_samples)
    centres = 3 * rng.standard_normal((num_classes, num_features))
    return centres[y] + rng.standard_normal((num_samples, num_features)), y


def test_affine_batch_is_affine_row_by_row():
    rng = np.random.default_rng(1)
    X, W = rng.standard_normal((5, 4)), rng.standard_normal((3, 5))
    X_h = homogeneous_batch(X)
    np.testing.assert_array_equal(X_h[:, -1], 1.0)
    np.testing.assert_allclose(
        affine_batch(X_h, W), [affine(x, W) for x in X], rtol=1e-12
    )
    with pytest.raises(ValueError, match=r"\(B, 5\)"):
        affine_batch(X, W)


def test_adam_step_follows_the_bias_corrected_formula():
    rng = np.random.default_rng(12)
    W, G1, G2 = (
        rng.standard_normal((3, 4)),
        rng.standard_normal((3, 4)),
        rng.standard_normal((3, 4)),
    )
    W_list = [W.copy()]
    adam = Adam(W_list)
    adam.step(W_list, [G1], 0.1)
    adam.step(W_list, [G2], 0.1)
    m = 0.1 * 0.9 * G1 + 0.1 * G2
    v = 0.001 * 0.999 * G1**2 + 0.001 * G2**2
    m_hat, v_hat = m / (1 - 0.9**2), v / (1 - 0.999**2)
    first = W - 0.1 * G1 / (np.abs(G1) + 1e-8)
    np.testing.assert_allclose(
        W_list[0], first - 0.1 * m_hat / (np.sqrt(v_hat) + 1e-8), rtol=1e-10
    )


def test_cross_entropy_is_stable_and_matches_the_definition():
    Z = np.array([[1.0, 2.0, 3.0], [1000.0, 0.0, -1000.0]])
    T = targets([2, 0], 3, dtype=np.float64)
    naive_first_row = -np.log(np.exp(3) / np.exp([1, 2, 3]).sum())
    assert cross_entropy(Z[:1], T[:1]) == pytest.approx(
        naive_first_row, rel=1e-12
    )
    assert np.isfinite(cross_entropy(Z, T))
    np.testing.assert_allclose(softmax(Z).sum(axis=1), 1.0)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
def test_cross_entropy_gradient_is_softmax_minus_target(label_smoothing):
    rng = np.random.default_rng(2)
    Z = rng.standard_normal((4, 5))
    T = targets([0, 3, 4, 1], 5, label_smoothing, np.float64)
    numeric = numerical_jacobian(lambda Z_: cross_entropy(Z_, T), Z).reshape(
        Z.shape
    )
    assert relative_error(d_cross_entropy_d_Z(Z, T), numeric) < 1e-8
    np.testing.assert_allclose(d_cross_entropy_d_Z(Z, T), (softmax(Z) - T) / 4)


@pytest.mark.parametrize("loss", ["cross_entropy", "l2"])
def test_network_gradients_match_finite_differences(loss):
    X, y = blobs(7, 5, 4, seed=3)
    config = TrainingConfig(
        network_shape=[5, 6, 5, 4],
        activations=["relu", "sigmoid", "identity"],
        loss=loss,
    )
    W_list = init_weights(
        config.network_shape, config.activations, seed=4, dtype=np.float64
    )
    T = targets(y, 4, dtype=np.float64)
    loss_fn, d_loss = (
        (cross_entropy, d_cross_entropy_d_Z)
        if loss == "cross_entropy"
        else (l2_batch, None)
    )
    output, cache = forward_batch(X, W_list, config.activations)
    grad_out = (
        d_cross_entropy_d_Z(output, T) if d_loss else 2 * (output - T) / len(X)
    )
    grads = backprop_batch_W(grad_out, cache, W_list, config.activations)
    for i, W in enumerate(W_list):

        def loss_with(W_i, i=i):
            return loss_fn(
                forward_batch(
                    X, W_list[:i] + [W_i] + W_list[i + 1 :], config.activations
                )[0],
                T,
            )

        numeric = numerical_jacobian(loss_with, W).reshape(W.shape)
        assert grads[i].shape == W.shape
        assert relative_error(grads[i], numeric) < 1e-7


def test_dropout_gradient_matches_finite_differences_for_a_fixed_mask():
    X, y = blobs(6, 5, 3, seed=5)
    activations = ["relu", "identity"]
    W_list = init_weights([5, 8, 3], activations, seed=6, dtype=np.float64)
    T = targets(y, 3, dtype=np.float64)
    output, cache = forward_batch(
        X, W_list, activations, dropout=0.5, rng=np.random.default_rng(7)
    )
    assert cache[0][2] is not None and set(np.unique(cache[0][2])) <= {
        0.0,
        2.0,
    }
    grads = backprop_batch_W(
        d_cross_entropy_d_Z(output, T), cache, W_list, activations
    )
    numeric = numerical_jacobian(
        lambda W0: cross_entropy(
            forward_batch(
                X, [W0, W_list[1]], activations, 0.5, np.random.default_rng(7)
            )[0],
            T,
        ),
        W_list[0],
    )
    assert relative_error(grads[0], numeric.reshape(W_list[0].shape)) < 1e-7


def test_batch_of_one_with_plain_sgd_matches_per_sample_train_step_for_step():
    X, y = blobs(40, 4, 3, seed=8)
    per_sample = architecture([4, 6, 3], seed=9)
    W_start = [W.copy() for W in per_sample["W_list"]]
    data_train = {
        "images": X.reshape(-1, 2, 2),
        "labels": targets(y, 3, dtype=np.float64),
    }
    losses = np.concatenate(
        [
            train(data_train, per_sample, 0.01, seed=rng)
            for rng in [np.random.default_rng(11)] * 2
        ]
    )
    config = TrainingConfig(
        network_shape=[4, 6, 3],
        optimiser="sgd",
        learning_rate=0.01,
        num_epochs=2,
        batch_size=1,
        loss="l2",
        seed=11,
        dtype="float64",
    )
    batch = fit((X, y), config, W_list=W_start)
    for W_batch, W_sample in zip(
        batch.W_list, per_sample["W_list"], strict=True
    ):
        np.testing.assert_allclose(W_batch, W_sample, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(
        batch.history["train_loss"],
        [losses[:40].mean(), losses[40:].mean()],
        rtol=1e-10,
    )


def test_float32_by_default_and_float64_on_request():
    X, y = blobs()
    config = TrainingConfig(network_shape=[6, 8, 3], num_epochs=1)
    assert all(W.dtype == np.float32 for W in fit((X, y), config).W_list)
    config64 = TrainingConfig(
        network_shape=[6, 8, 3], num_epochs=1, dtype="float64"
    )
    assert all(W.dtype == np.float64 for W in fit((X, y), config64).W_list)


def test_shuffling_is_reproducible_from_the_seed_and_differs_across_epochs(
    monkeypatch,
):
    import fashionlib.batch as batch

    seen = []
    original = batch.train_step

    def spy(X, T, *args):
        seen.append(X[:, 0].copy())
        return original(X, T, *args)

    monkeypatch.setattr(batch, "train_step", spy)
    X = np.arange(20, dtype=float).reshape(20, 1) * np.ones((1, 2))
    y = np.arange(20) % 2
    config = TrainingConfig(
        network_shape=[2, 2],
        activations=["identity"],
        num_epochs=2,
        batch_size=20,
        seed=3,
    )
    fit((X, y), config)
    first_run, seen[:] = list(seen), []
    fit((X, y), config)
    np.testing.assert_array_equal(first_run, seen)
    assert sorted(first_run[0]) == list(range(20))
    assert not np.array_equal(first_run[0], first_run[1])
    seen[:] = []
    fit(
        (X, y),
        TrainingConfig(
            network_shape=[2, 2],
            activations=["identity"],
            num_epochs=1,
            batch_size=20,
            seed=4,
        ),
    )
    assert not np.array_equal(first_run[0], seen[0])


def test_training_learns_and_history_is_complete():
    X, y = blobs(600, 6, 3)
    config = TrainingConfig(
        network_shape=[6, 16, 3],
        num_epochs=5,
        batch_size=32,
        schedule="cosine",
        weight_decay=1e-4,
        dropout=0.1,
        label_smoothing=0.05,
    )
    result = fit((X[:500], y[:500]), config, (X[500:], y[500:]))
    assert result.history["train_loss"][-1] < result.history["train_loss"][0]
    assert result.history["validation_accuracy"][-1] > 90
    assert (
        len(result.history["seconds"]) == 5
        and result.history["learning_rate"][-1] < 1e-4
    )
    assert batch_accuracy(
        X[500:], y[500:], result.W_list, config.activations
    ) == max(result.history["validation_accuracy"])


def test_early_stopping_keeps_the_best_epoch():
    X, y = blobs(200, 6, 3)
    noise = np.random.default_rng(0).integers(
        0, 3, 100
    )  # labels unrelated to X: nothing to learn
    config = TrainingConfig(
        network_shape=[6, 32, 3],
        num_epochs=30,
        batch_size=16,
        learning_rate=0.01,
        patience=3,
    )
    result = fit((X[:100], noise), config, (X[100:], y[100:]))
    epochs_run = len(result.history["epoch"])
    assert epochs_run < 30 and epochs_run == result.best_epoch + 3
    assert result.history["validation_accuracy"][result.best_epoch - 1] == max(
        result.history["validation_accuracy"]
    )
    assert batch_accuracy(
        X[100:], y[100:], result.W_list, config.activations
    ) == max(result.history["validation_accuracy"])


def test_divergence_names_epoch_step_and_learning_rate():
    X, y = blobs(64, 6, 3)
    config = TrainingConfig(
        network_shape=[6, 8, 3],
        optimiser="sgd",
        loss="l2",
        learning_rate=1e3,
        num_epochs=3,
        batch_size=8,
    )
    with pytest.raises(
        FloatingPointError, match=r"epoch 1, step \d+ .*learning rate 1000"
    ):
        with np.errstate(all="ignore"):
            fit((X * 100, y), config)


def test_bad_architecture_is_refused():
    with pytest.raises(ValueError, match="need as many activations"):
        TrainingConfig(network_shape=[4, 3], activations=["relu", "relu"])
    with pytest.raises(ValueError, match=r"\['tanh'\].*relu, identity"):
        TrainingConfig(network_shape=[4, 3], activations=["tanh"])


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("optimiser", "adagrad", "optimiser='adagrad': choose from sgd, "),
        ("schedule", "step", "schedule='step': choose from constant, cos"),
        ("loss", "hinge", "loss='hinge': choose from cross_entropy, l2"),
        ("dtype", "float16", "dtype='float16': choose from float32, float"),
        ("learning_rate", 0, "learning_rate=0: must be a number > 0"),
        ("num_epochs", 0, "num_epochs=0: must be a whole number >= 1"),
        ("num_epochs", 1.5, "num_epochs=1.5: must be a whole number"),
        ("batch_size", 0, "batch_size=0: must be a whole number >= 1"),
        ("label_smoothing", 1, "label_smoothing=1: must be a number in"),
        ("label_smoothing", -0.1, "label_smoothing=-0.1: must be a number"),
        ("weight_decay", -1, "weight_decay=-1: must be a number >= 0"),
        ("dropout", 1, "dropout=1: must be a number in \\[0, 1\\)"),
        ("patience", 0, "patience=0: must be None or a whole number >= 1"),
    ],
)
def test_each_bad_field_is_named_with_its_valid_values(field, value, message):
    with pytest.raises(ValueError, match=f"^TrainingConfig {message}"):
        TrainingConfig(network_shape=[4, 3], **{field: value})


def test_edge_values_of_the_fields_are_accepted():
    config = TrainingConfig(
        network_shape=[4, 3],
        num_epochs=1,
        batch_size=1,
        label_smoothing=0,
        weight_decay=0,
        dropout=0,
        patience=1,
    )
    assert config.activations == ["identity"]


def test_momentum_and_adam_learn(tmp_path):
    X, y = blobs(400, 6, 3)
    for optimiser in ("momentum", "adam"):
        config = TrainingConfig(
            network_shape=[6, 16, 3],
            optimiser=optimiser,
            learning_rate=0.01,
            num_epochs=6,
        )
        result = fit((X[:300], y[:300]), config, (X[300:], y[300:]))
        assert result.history["validation_accuracy"][-1] > 90
    save_model(tmp_path / "model.npz", result)
    W_list, stored = load_model(tmp_path / "model.npz")
    for W, W_saved in zip(result.W_list, W_list, strict=True):
        np.testing.assert_array_equal(W, W_saved)
    assert stored["config"]["optimiser"] == "adam" and stored["history"][
        "epoch"
    ] == [1, 2, 3, 4, 5, 6]


def test_plot_epoch_history_draws_loss_and_accuracy_per_run():
    import matplotlib

    matplotlib.use("Agg")
    from fashionlib import plots

    histories = {
        f"run {k}": {
            "epoch": [1, 2, 3],
            "train_loss": [1.0, 0.5, 0.4],
            "validation_accuracy": [80.0, 85.0, 86.0 + k],
        }
        for k in range(2)
    }
    ax_loss, ax_accuracy = plots.plot_epoch_history(histories).axes
    assert len(ax_loss.lines) == 2 and len(ax_accuracy.lines) == 2
    assert list(ax_accuracy.lines[1].get_ydata()) == [80.0, 85.0, 87.0]
    assert ax_loss.get_yscale() == "log"


def test_plot_mistakes_names_prediction_and_true_label():
    import matplotlib

    matplotlib.use("Agg")
    from fashionlib import plots

    fig = plots.plot_mistakes(np.zeros((2, 28, 28)), [6, 0], [0, 6])
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert labels == [
        "\u2717 Shirt (6)\ntrue: T-shirt/top",
        "\u2717 T-shirt/top (0)\ntrue: Shirt",
    ]


def test_load_model_reads_the_old_epochs_key(tmp_path):
    X, y = blobs(30, 6, 3)
    result = fit((X, y), TrainingConfig(network_shape=[6, 3], num_epochs=1))
    save_model(tmp_path / "m.npz", result)
    stored = json.loads((tmp_path / "m.json").read_text())
    stored["config"]["epochs"] = stored["config"].pop("num_epochs")
    (tmp_path / "m.json").write_text(json.dumps(stored))
    _, loaded = load_model(tmp_path / "m.npz")
    assert loaded["config"]["num_epochs"] == 1
    assert "epochs" not in loaded["config"]
    assert TrainingConfig(**loaded["config"]) == result.config
