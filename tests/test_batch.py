"""The mini-batch engine.

Gradients, agreement with per-sample SGD, shuffling, stopping, divergence.
"""

import hashlib
import json
import math
import os
import stat
import warnings

import numpy as np
import pytest

from fashionlib.backprop import (
    architecture,
    numerical_jacobian,
    relative_error,
)
from fashionlib.batch import (
    HISTORY_KEYS,
    OPTIMISERS,
    Adam,
    EarlyStopping,
    TrainingConfig,
    adam_step,
    affine_batch,
    backprop_batch_W,
    batch_accuracy,
    check_divergence,
    cross_entropy,
    d_cross_entropy_d_Z,
    d_l2_batch_d_Y,
    design_matrix,
    epoch_flops,
    fit,
    forward_batch,
    homogeneous_batch,
    init_weights,
    l2_batch,
    learning_rate_at,
    load_model,
    model_paths,
    predict_scores,
    record,
    run_epoch,
    save_model,
    softmax,
    targets,
    train_step,
)
from fashionlib.layers import affine
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


def test_the_in_place_adam_is_the_formula_of_adam_step():
    rng = np.random.default_rng(13)
    W = rng.standard_normal((3, 4))
    W_list, adam = [W.copy()], Adam([W])
    m, v = np.zeros_like(W), np.zeros_like(W)
    for t in range(1, 4):
        G = rng.standard_normal(W.shape)
        adam.step(W_list, [G], 0.01)
        W, m, v = adam_step(W, G, m, v, t, 0.01)
        np.testing.assert_allclose(W_list[0], W, rtol=1e-12)


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
        ("learning_rate", 0, "learning_rate=0: must be a finite number > 0"),
        ("learning_rate", np.inf, "learning_rate=inf: must be a finite "),
        ("num_epochs", 0, "num_epochs=0: must be a whole number >= 1"),
        ("num_epochs", 1.5, "num_epochs=1.5: must be a whole number"),
        ("batch_size", 0, "batch_size=0: must be a whole number >= 1"),
        ("label_smoothing", 1, "label_smoothing=1: must be a number in"),
        ("label_smoothing", -0.1, "label_smoothing=-0.1: must be a number"),
        ("weight_decay", -1, "weight_decay=-1: must be a finite number >="),
        ("weight_decay", np.inf, "weight_decay=inf: must be a finite "),
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


def test_targets_mix_the_one_hot_rows_with_the_uniform_row():
    T = targets([2, 0], 4, label_smoothing=0.2)
    np.testing.assert_allclose(
        T, [[0.05, 0.05, 0.85, 0.05], [0.85, 0.05, 0.05, 0.05]], rtol=1e-6
    )
    assert T.dtype == np.float32
    np.testing.assert_array_equal(targets([1], 3), [[0, 1, 0]])


def test_fit_trains_against_the_smoothed_targets():
    X, y = blobs(60, 4, 3)
    runs = [
        fit(
            (X, y),
            TrainingConfig(network_shape=[4, 3], num_epochs=1, **options),
        )
        for options in ({}, {"label_smoothing": 0.5})
    ]
    assert not np.allclose(runs[0].W_list[0], runs[1].W_list[0])


def sgd_config(**options):
    """A one-layer identity network trained by plain SGD in float64."""
    return TrainingConfig(
        network_shape=[3, 2],
        optimiser="sgd",
        loss="l2",
        dtype="float64",
        **options,
    )


def test_weight_decay_pulls_the_weights_but_not_the_biases_to_zero():
    rng = np.random.default_rng(5)
    X, T = rng.standard_normal((4, 3)), rng.standard_normal((4, 2))
    W = rng.standard_normal((2, 4))
    plain, decayed = [W.copy()], [W.copy()]
    for W_list, decay in ((plain, 0.0), (decayed, 0.5)):
        config = sgd_config(weight_decay=decay)
        optimiser = OPTIMISERS["sgd"](W_list)
        train_step(X, T, W_list, config, optimiser, 0.1, None)
    # one step of 0.1 * 0.5 * W on the weights, none on the biases
    np.testing.assert_allclose(
        decayed[0][:, :-1], plain[0][:, :-1] - 0.05 * W[:, :-1], rtol=1e-12
    )
    np.testing.assert_allclose(decayed[0][:, -1], plain[0][:, -1])


def test_momentum_accumulates_the_velocity():
    W, G = np.ones((1, 2)), np.array([[1.0, -2.0]])
    optimiser = OPTIMISERS["momentum"]([W])
    optimiser.step([W], [G], 0.1)
    np.testing.assert_allclose(W, 1 - 0.1 * G)
    optimiser.step([W], [G], 0.1)  # velocity 0.9 G + G
    np.testing.assert_allclose(W, 1 - 0.1 * G - 0.19 * G)
    plain = np.ones((1, 2))
    OPTIMISERS["sgd"]([plain]).step([plain], [G], 0.1)
    np.testing.assert_allclose(plain, 1 - 0.1 * G)


def test_cosine_schedule_falls_from_the_learning_rate_to_zero():
    config = TrainingConfig(
        network_shape=[4, 3], learning_rate=0.2, schedule="cosine"
    )
    rates = [learning_rate_at(config, step, 8) for step in (0, 2, 4, 8)]
    np.testing.assert_allclose(
        rates, [0.2, 0.1 * (1 + np.cos(np.pi / 4)), 0.1, 0.0], atol=1e-15
    )
    constant = TrainingConfig(network_shape=[4, 3], learning_rate=0.2)
    assert learning_rate_at(constant, 5, 8) == 0.2


def test_fit_records_the_scheduled_learning_rate():
    X, y = blobs(40, 4, 3)
    config = TrainingConfig(
        network_shape=[4, 3],
        num_epochs=2,
        batch_size=10,
        schedule="cosine",
        learning_rate=0.1,
    )
    history = fit((X, y), config).history
    # the last step of epoch 1 is step 3 of 8
    np.testing.assert_allclose(
        history["learning_rate"],
        [
            0.05 * (1 + np.cos(3 * np.pi / 8)),
            0.05 * (1 + np.cos(7 * np.pi / 8)),
        ],
    )
    assert history["epoch"] == [1, 2] and history["validation_accuracy"] == []


def test_l2_batch_gradient_is_the_mean_of_the_per_sample_gradients():
    rng = np.random.default_rng(3)
    Y, T = rng.standard_normal((5, 3)), rng.standard_normal((5, 3))
    assert l2_batch(Y, T) == pytest.approx(np.mean(np.sum((Y - T) ** 2, 1)))
    np.testing.assert_allclose(d_l2_batch_d_Y(Y, T), 2 * (Y - T) / 5)
    numeric = numerical_jacobian(lambda Y_: l2_batch(Y_, T), Y)
    np.testing.assert_allclose(
        d_l2_batch_d_Y(Y, T), numeric.reshape(Y.shape), atol=1e-7
    )


def test_dropout_masks_hidden_layers_only_and_rescales():
    X = np.ones((400, 5))
    W_list = init_weights([5, 50, 3], ["relu", "identity"], seed=2)
    W_list = [W.astype(np.float64) for W in W_list]
    rng = np.random.default_rng(0)
    _, cache = forward_batch(X, W_list, ["relu", "identity"], 0.25, rng)
    mask = cache[0][2]
    assert set(np.unique(mask)) == {0.0, np.float64(1 / 0.75)}
    assert np.mean(mask == 0) == pytest.approx(0.25, abs=0.02)
    assert cache[1][2] is None  # never on the output layer
    _, no_rng = forward_batch(X, W_list, ["relu", "identity"], 0.25)
    assert no_rng[0][2] is None


def test_fit_applies_dropout():
    X, y = blobs(60, 4, 3)
    runs = [
        fit(
            (X, y),
            TrainingConfig(network_shape=[4, 8, 3], num_epochs=1, **options),
        )
        for options in ({}, {"dropout": 0.5})
    ]
    assert not np.allclose(runs[0].W_list[0], runs[1].W_list[0])


def test_without_validation_the_last_epoch_is_the_best():
    X, y = blobs(60, 4, 3)
    config = TrainingConfig(network_shape=[4, 3], num_epochs=3, patience=1)
    result = fit((X, y), config)
    assert result.best_epoch == 3 and len(result.history["epoch"]) == 3
    again = fit((X, y), TrainingConfig(network_shape=[4, 3], num_epochs=3))
    np.testing.assert_array_equal(result.W_list[0], again.W_list[0])


def test_with_validation_the_first_best_epoch_is_kept():
    X, y = blobs(90, 4, 3)
    config = TrainingConfig(network_shape=[4, 3], num_epochs=4)
    result = fit((X[:60], y[:60]), config, (X[60:], y[60:]))
    accuracies = result.history["validation_accuracy"]
    assert result.best_epoch == 1 + int(np.argmax(accuracies))
    assert len(accuracies) == 4
    assert batch_accuracy(
        X[60:], y[60:], result.W_list, config.activations
    ) == max(accuracies)


def test_early_stopping_bookkeeping():
    stop = EarlyStopping(patience=2)
    W = [np.zeros(2)]
    assert not stop.update(1, 50.0, W)
    W[0] += 1  # the kept weights are a copy
    assert not stop.update(2, 40.0, W)
    assert not stop.update(3, 60.0, W)
    assert (stop.best_epoch, stop.accuracy) == (3, 60.0)
    assert not stop.update(4, 60.0, W)  # equal is not better
    assert stop.update(5, 10.0, W)
    assert stop.best_epoch == 3
    np.testing.assert_array_equal(stop.W_list[0], [1.0, 1.0])
    patient = EarlyStopping()
    assert not any(patient.update(e, 0.0, W) for e in range(1, 9))


def test_batch_accuracy_is_the_percentage_of_right_rows():
    W = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])  # scores = inputs
    X = np.array([[2.0, 1.0], [0.0, 3.0], [5.0, 4.0], [1.0, 2.0]])
    y = np.array([0, 1, 1, 0])
    assert batch_accuracy(X, y, [W], ["identity"]) == 50.0
    assert batch_accuracy(X, [0, 1, 0, 1], [W], ["identity"]) == 100.0
    np.testing.assert_array_equal(
        predict_scores(X, [W], ["identity"], batch_size=3), X
    )


def test_init_weights_he_for_relu_seeded_zero_biases():
    W_relu, W_out = init_weights([400, 300, 3], ["relu", "identity"], seed=4)
    assert W_relu.shape == (300, 401) and W_out.shape == (3, 301)
    assert W_relu.dtype == np.float32
    np.testing.assert_array_equal(W_relu[:, -1], 0)
    np.testing.assert_array_equal(W_out[:, -1], 0)
    # He: uniform on +-sqrt(6 / m_in); the others +-sqrt(3 / m_in)
    assert np.abs(W_relu[:, :-1]).max() == pytest.approx(
        np.sqrt(6 / 400), rel=0.01
    )
    assert np.abs(W_out[:, :-1]).max() <= np.sqrt(3 / 300)
    (W_sigmoid,) = init_weights([400, 300], ["sigmoid"], seed=4)
    assert np.abs(W_sigmoid[:, :-1]).max() == pytest.approx(
        np.sqrt(3 / 400), rel=0.01
    )
    same = init_weights([400, 300, 3], ["relu", "identity"], seed=4)
    other = init_weights([400, 300, 3], ["relu", "identity"], seed=5)
    np.testing.assert_array_equal(same[1], W_out)
    assert not np.array_equal(other[0], W_relu)
    assert not np.array_equal(W_relu[:, :-1], same[1][:3, :-1])


def test_epoch_flops_counts_the_three_products_but_the_first_dx():
    # per sample: forward 2 (784*50 + 50*10), dE/dW the same, dE/dx only
    # for the second layer, 2 * 50 * 10
    assert epoch_flops([784, 50, 10], 3) == 3 * (
        2 * 2 * (784 * 50 + 50 * 10) + 2 * 50 * 10
    )


def test_saved_files_get_the_usual_file_mode(tmp_path):
    X, y = blobs(30, 4, 3)
    result = fit((X, y), TrainingConfig(network_shape=[4, 3], num_epochs=1))
    mask = os.umask(0o022)
    try:
        save_model(tmp_path / "m.npz", result)
    finally:
        os.umask(mask)
    for name in ("m.npz", "m.json"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json", "m.npz"]


def test_design_matrix_whitens_flattens_and_keeps_the_dtype():
    dataset = {
        "images": np.arange(8, dtype=np.uint8).reshape(2, 2, 2),
        "labels": np.array([3, 1], dtype=np.uint8),
    }
    X, y = design_matrix(dataset, 2.0, 4.0)
    np.testing.assert_array_equal(
        X, [[-0.5, -0.25, 0, 0.25], [0.5, 0.75, 1, 1.25]]
    )
    assert X.dtype == np.float32 and y.dtype == int
    np.testing.assert_array_equal(y, [3, 1])
    assert design_matrix(dataset, 2.0, 4.0, np.float64)[0].dtype == np.float64


def test_stored_json_holds_config_best_epoch_and_history(tmp_path):
    X, y = blobs(30, 4, 3)
    config = TrainingConfig(network_shape=[4, 3], num_epochs=2)
    result = fit((X, y), config)
    save_model(tmp_path / "m.npz", result)
    stored = json.loads((tmp_path / "m.json").read_text())
    assert set(stored) == {"config", "best_epoch", "history", "weights_sha256"}
    weights = (tmp_path / "m.npz").read_bytes()
    assert stored["weights_sha256"] == hashlib.sha256(weights).hexdigest()
    assert stored["best_epoch"] == 2 and stored["config"]["num_epochs"] == 2
    assert stored["history"]["epoch"] == [1, 2]


def test_fit_shows_a_bar_per_epoch_only_on_request(capsys):
    X, y = blobs(20, 4, 3)
    config = TrainingConfig(network_shape=[4, 3], num_epochs=2)
    fit((X, y), config)
    assert capsys.readouterr().err == ""
    fit((X, y), config, progress=True)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err


def test_fit_works_in_the_configured_dtype_whatever_it_is_given():
    X, y = blobs(40, 4, 3)
    config = TrainingConfig(network_shape=[4, 3], num_epochs=1)
    given64 = fit((X, y), config)
    given32 = fit((X.astype(np.float32), y), config)
    np.testing.assert_array_equal(given64.W_list[0], given32.W_list[0])
    start = [np.zeros((3, 5))]  # float64 weights
    assert fit((X, y), config, W_list=start).W_list[0].dtype == np.float32
    assert 0 <= given64.history["seconds"][0] < 60


def test_dropout_is_reproducible_from_the_seed():
    X, y = blobs(40, 4, 3)
    config = TrainingConfig(network_shape=[4, 8, 3], num_epochs=1, dropout=0.5)
    first, second = fit((X, y), config), fit((X, y), config)
    np.testing.assert_array_equal(first.W_list[0], second.W_list[0])


def test_forward_batch_without_dropout_ignores_the_generator():
    X = np.random.default_rng(1).standard_normal((6, 4))
    W_list = init_weights([4, 5, 2], ["relu", "identity"], dtype=np.float64)
    plain, _ = forward_batch(X, W_list, ["relu", "identity"])
    with_rng, cache = forward_batch(
        X, W_list, ["relu", "identity"], rng=np.random.default_rng(0)
    )
    np.testing.assert_array_equal(plain, with_rng)
    assert cache[0][2] is None


def test_first_epoch_is_kept_even_at_zero_accuracy():
    stop = EarlyStopping()
    assert not stop.update(1, 0.0, [np.ones(1)])
    assert stop.best_epoch == 1 and stop.W_list is not None


def test_shape_messages_in_full():
    with pytest.raises(ValueError) as error:
        affine_batch(np.ones((2, 3)), np.ones((1, 5)))
    assert str(error.value).endswith(
        "expected (B, 5), the inputs plus a column of ones"
    )
    with pytest.raises(ValueError, match=r"2 layers .* got \['relu'\]"):
        TrainingConfig(network_shape=[4, 3, 2], activations=["relu"])


# --- the contracts the mutation run showed unchecked -----------------------


def test_mismatched_lists_are_refused_not_truncated():
    W_list = init_weights([3, 4, 2], ["relu", "identity"], dtype=np.float64)
    grads = [np.zeros_like(W) for W in W_list]
    X = np.ones((2, 3))
    with pytest.raises(ValueError, match="zip"):
        forward_batch(X, W_list, ["relu"])
    with pytest.raises(ValueError, match="zip"):
        init_weights([3, 4, 2], ["relu"])
    for name in OPTIMISERS:
        optimiser = OPTIMISERS[name](W_list)
        with pytest.raises(ValueError, match="zip"):
            optimiser.step(W_list, grads[:1], 0.1)
    with pytest.raises(ValueError, match="zip"):
        Adam(W_list[:1]).step(W_list, grads, 0.1)
    history = {key: [] for key in HISTORY_KEYS}
    with pytest.raises(ValueError, match="zip"):
        record(history, 1, 0.5, None, 0.1)


def test_record_appends_in_the_order_of_the_keys_and_skips_none():
    history = {key: [] for key in HISTORY_KEYS}
    record(history, 1, 0.5, None, 0.1, 2.0)
    record(history, 2, 0.25, 80.0, 0.05, 3.0)
    assert history == {
        "epoch": [1, 2],
        "train_loss": [0.5, 0.25],
        "validation_accuracy": [80.0],
        "learning_rate": [0.1, 0.05],
        "seconds": [2.0, 3.0],
    }


def divergence_config():
    return TrainingConfig(network_shape=[4, 3], weight_decay=0.25)


def test_divergence_starts_above_100_times_the_first_loss_or_1():
    config = divergence_config()
    # at most 100 times the first loss, itself counted as at least 1
    check_divergence(100.0, 1.0, config, 0.1, "here")
    check_divergence(100.0, 0.5, config, 0.1, "here")
    check_divergence(300.0, 3.0, config, 0.1, "here")
    for loss, start in ((100.5, 1.0), (150.0, 0.5), (301.0, 3.0)):
        with pytest.raises(FloatingPointError):
            check_divergence(loss, start, config, 0.1, "here")
    for loss in (math.inf, math.nan):
        with pytest.raises(FloatingPointError):
            check_divergence(loss, 1.0, config, 0.1, "here")


def test_divergence_message_names_where_and_what_to_try():
    with pytest.raises(FloatingPointError) as error:
        check_divergence(
            250.0, 2.0, divergence_config(), 0.5, "epoch 3, step 7"
        )
    message = str(error.value)
    for part in ("diverged in epoch 3, step 7", "loss 250", "first step 2"):
        assert part in message
    assert "learning rate 0.5" in message and "weight decay 0.25" in message
    assert "10 times smaller" in message and "smaller weight decay" in message


def test_model_paths_messages_say_what_to_name(tmp_path):
    assert model_paths(tmp_path / "m") == (
        tmp_path / "m.npz",
        tmp_path / "m.json",
    )
    assert model_paths(tmp_path / "m.npz")[1] == tmp_path / "m.json"
    with pytest.raises(ValueError) as error:
        model_paths(tmp_path / "m.json")
    assert str(tmp_path / "m.json") in str(error.value)
    assert "a name ending in .npz, or no suffix" in str(error.value)
    with pytest.raises(ValueError) as error:
        model_paths(tmp_path)
    assert f"{tmp_path} is a folder: give a file name" in str(error.value)


def test_init_weights_default_seed_is_zero():
    shape, activations = [5, 4, 2], ["relu", "identity"]
    for default, zero in zip(
        init_weights(shape, activations),
        init_weights(shape, activations, seed=0),
        strict=True,
    ):
        np.testing.assert_array_equal(default, zero)


def test_homogeneous_batch_keeps_the_dtype():
    for dtype in (np.float32, np.float64):
        X_h = homogeneous_batch(np.full((2, 3), 0.1, dtype=dtype))
        assert X_h.dtype == dtype
        np.testing.assert_array_equal(
            X_h, [[dtype(0.1)] * 3 + [1], [dtype(0.1)] * 3 + [1]]
        )


def test_dropout_keeps_an_output_when_its_draw_is_at_least_dropout():
    # each hidden output draws u uniform on [0, 1) (float32); it is kept
    # when u >= dropout, so it is dropped with probability dropout
    draws = np.random.default_rng(3).random((4, 6), dtype=np.float32)
    dropout = float(draws[0, 0])  # a draw equal to the rate: kept
    X = np.ones((4, 2))
    W_list = [np.full((6, 3), 0.5), np.ones((2, 7))]
    _, cache = forward_batch(
        X, W_list, ["relu", "identity"], dropout, np.random.default_rng(3)
    )
    mask = cache[0][2]
    np.testing.assert_array_equal(mask, (draws >= dropout) / (1 - dropout))
    assert mask[0, 0] > 0 and mask.dtype == np.float64


def test_fit_starts_from_init_weights_in_the_configured_dtype():
    # on_epoch sees, before epoch 1, the starting weights as the best ones
    X, y = blobs(40, 4, 3)
    config = TrainingConfig(
        network_shape=[4, 5, 3], num_epochs=2, dtype="float64", seed=6
    )
    seen = []
    fit((X, y), config, on_epoch=seen.append)
    start = init_weights([4, 5, 3], config.activations, 6, np.float64)
    assert seen[0].best_epoch == 0 and len(seen) == 2
    for W_seen, W_start in zip(seen[0].W_list, start, strict=True):
        assert W_seen.dtype == np.float64
        np.testing.assert_array_equal(W_seen, W_start)


def test_early_stopping_starts_from_copies_of_the_given_weights():
    W = [np.zeros(2)]
    stop = EarlyStopping(W_list=W)
    W[0] += 1
    assert stop.best_epoch == 0
    np.testing.assert_array_equal(stop.W_list[0], [0.0, 0.0])
    assert EarlyStopping().W_list is None


def test_fit_trains_against_targets_in_the_configured_dtype():
    # one full batch: the first epoch's loss is the loss of the start
    X, y = blobs(30, 4, 3)
    one_batch = dict(num_epochs=1, batch_size=30, label_smoothing=0.1)
    config = TrainingConfig(network_shape=[4, 3], dtype="float64", **one_batch)
    W_list = init_weights([4, 3], ["identity"], dtype=np.float64)
    T = targets(y, 3, 0.1, np.float64)
    expected = cross_entropy(forward_batch(X, W_list, ["identity"])[0], T)
    loss = fit((X, y), config).history["train_loss"][0]
    assert loss == pytest.approx(expected, rel=1e-13)


def test_divergence_is_measured_against_the_first_step_of_the_run():
    # one step per epoch on l2 with a zero start: loss 1 in epoch 1, then
    # the error is multiplied by 1 - 4 * 5 = -19, the loss by 361 per step
    config = TrainingConfig(
        network_shape=[1, 1],
        optimiser="sgd",
        loss="l2",
        learning_rate=5.0,
        num_epochs=3,
    )
    with pytest.raises(FloatingPointError) as error:
        fit(([[1.0]], [0]), config, W_list=[np.zeros((1, 2))])
    assert str(error.value).startswith(
        "training diverged in epoch 2, step 1 (loss 361, first step 1) "
    )


def test_run_epoch_returns_the_first_loss_it_was_given():
    X, y = blobs(20, 4, 3)
    config = TrainingConfig(network_shape=[4, 3], batch_size=20)
    W_list = init_weights([4, 3], ["identity"])
    T = targets(y, 3)
    rngs = np.random.default_rng(0), np.random.default_rng(1)
    optimiser = OPTIMISERS["adam"](W_list)
    expected = cross_entropy(
        forward_batch(X.astype(np.float32), W_list, ["identity"])[0], T
    )
    loss, _, first = run_epoch(
        X.astype(np.float32), T, W_list, config, optimiser, 1, rngs, False
    )
    assert first == loss == pytest.approx(expected, rel=1e-6)
    _, _, given = run_epoch(
        X, T, W_list, config, optimiser, 2, rngs, False, first_loss=0.5
    )
    assert given == 0.5


def test_dropout_mask_has_the_dtype_of_the_layer():
    X = np.ones((3, 2), dtype=np.float32)
    W_list = init_weights([2, 4, 2], ["relu", "identity"])
    output, cache = forward_batch(
        X, W_list, ["relu", "identity"], 0.5, np.random.default_rng(0)
    )
    assert cache[0][2].dtype == np.float32 and output.dtype == np.float32
    assert set(np.unique(cache[0][2])) <= {0.0, 2.0}


def test_plain_sgd_keeps_no_velocity():
    W_list = [np.ones((2, 3))]
    assert OPTIMISERS["sgd"](W_list).velocity is None
    (velocity,) = OPTIMISERS["momentum"](W_list).velocity
    np.testing.assert_array_equal(velocity, np.zeros((2, 3)))


def test_dropout_draws_from_its_own_stream_of_the_seed(monkeypatch):
    # shuffling uses Generator(seed), dropout Generator([seed, 1]): the
    # stored config reproduces a run, and the two streams are independent
    import fashionlib.batch as batch

    states, original = [], batch.train_step

    def spy(*args):
        states.append(args[-1].bit_generator.state)
        return original(*args)

    monkeypatch.setattr(batch, "train_step", spy)
    X, y = blobs(20, 4, 3)
    config = TrainingConfig(
        network_shape=[4, 8, 3], num_epochs=1, batch_size=20, dropout=0.5
    )
    fit((X, y), config)
    config.seed = 7
    fit((X, y), config)
    assert states == [
        np.random.default_rng([seed, 1]).bit_generator.state for seed in (0, 7)
    ]


def test_predict_scores_in_chunks_equal_one_forward_pass():
    X = np.random.default_rng(0).standard_normal((2001, 20), np.float32)
    W_list = init_weights([20, 32, 10], ["relu", "identity"])
    activations = ["relu", "identity"]
    default = predict_scores(X, W_list, activations)
    np.testing.assert_allclose(
        predict_scores(X, W_list, activations, batch_size=7),
        default,
        rtol=1e-5,
        atol=1e-5,
    )
    np.testing.assert_allclose(
        default,
        forward_batch(X, W_list, activations)[0],
        rtol=1e-5,
        atol=1e-5,
    )


def test_backprop_does_not_compute_the_input_gradient_of_the_first_layer():
    # nothing needs dE/dx of layer 1 (epoch_flops does not count it): with
    # weights so large that it would overflow, the gradients come quietly
    W_list = [np.array([[1e308, 1e308, 0.0]])]
    X, T = np.zeros((1, 2)), np.ones((1, 1))
    output, cache = forward_batch(X, W_list, ["identity"])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (grad,) = backprop_batch_W(
            d_l2_batch_d_Y(output, T), cache, W_list, ["identity"]
        )
    np.testing.assert_array_equal(grad, [[0.0, 0.0, -2.0]])
