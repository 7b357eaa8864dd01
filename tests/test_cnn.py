"""The batched CNN layers (fashionlib.cnn): forward against SciPy's
correlate2d, gradients against centred differences, the token syntax, and
training through ``fit`` and the command line."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from fashionlib import cnn
from fashionlib.batch import (
    FitResult,
    TrainingConfig,
    cross_entropy,
    d_cross_entropy_d_Z,
    fit,
    load_model,
    memory_estimate,
    network_accuracy,
    network_forward,
    network_init,
    save_model,
    targets,
)

#: A small network that uses every kind of layer, strides and no padding.
TOKENS = [
    "flip", "conv3x3", "relu", "pool2", "conv4x3p0s2", "sigmoid",
    "dropout0.5", "dense5", "relu", "dense10",
]  # fmt: skip


def test_convolution_is_scipy_correlate2d_summed_over_channels():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(2, 7, 6, 3))
    layer = cnn.parse_token("conv4x3p1")
    W = rng.normal(size=(4, 3 * 3 * 3 + 1))
    Y, _ = cnn.conv_forward(X, W, layer)
    kernels = W[:, :-1].reshape(4, 3, 3, 3)  # (out, row, column, channel)
    for b in range(2):
        for o in range(4):
            padded = np.pad(X[b], ((1, 1), (1, 1), (0, 0)))
            expected = W[o, -1] + sum(
                correlate2d(padded[..., c], kernels[o, ..., c], mode="valid")
                for c in range(3)
            )
            np.testing.assert_allclose(Y[b, ..., o], expected, atol=1e-12)


def test_stride_and_padding_give_the_output_shape():
    _, shapes = cnn.parse_layers(["conv8x5p0s2", "pool2", "dense10"])
    assert shapes == [(28, 28, 1), (12, 12, 8), (6, 6, 8), (10,)]


def test_pooling_takes_the_window_maximum_and_routes_to_the_first():
    X = np.array([[1.0, 3.0], [3.0, 0.0]]).reshape(1, 2, 2, 1)
    Y, saved = cnn.pool_forward(X, 2)
    assert Y.item() == 3.0
    G_in = cnn.pool_backward(np.ones((1, 1, 1, 1)), saved)
    assert G_in.ravel().tolist() == [0.0, 1.0, 0.0, 0.0]


def loss_of(X, T, W_list):
    """Cross-entropy of the prediction-mode network (no dropout, flips)."""
    tokens = [t for t in TOKENS if t not in ("flip", "dropout0.5")]
    return cross_entropy(cnn.forward(X, W_list, tokens)[0], T)


def test_gradients_match_centred_differences():
    rng = np.random.default_rng(1)
    tokens = [t for t in TOKENS if t not in ("flip", "dropout0.5")]
    X = rng.normal(size=(3, 784))
    T = targets(np.array([1, 4, 9]), 10, 0.0, np.float64)
    W_list = cnn.init_weights(tokens, seed=2, dtype=np.float64)
    output, cache = cnn.forward(X, W_list, tokens)
    grads = cnn.backward(d_cross_entropy_d_Z(output, T), cache, W_list, tokens)
    assert [G.shape for G in grads] == [W.shape for W in W_list]
    h = 1e-6
    for k, W in enumerate(W_list):
        for index in zip(
            *(rng.integers(0, n, 6) for n in W.shape), strict=True
        ):
            plus = [V.copy() for V in W_list]
            minus = [V.copy() for V in W_list]
            plus[k][index] += h
            minus[k][index] -= h
            numeric = (loss_of(X, T, plus) - loss_of(X, T, minus)) / (2 * h)
            assert grads[k][index] == pytest.approx(numeric, abs=1e-7)


def test_prediction_ignores_dropout_and_flips():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(4, 784))
    W_list = cnn.init_weights(TOKENS, seed=0, dtype=np.float64)
    first, _ = cnn.forward(X, W_list, TOKENS)
    again, _ = cnn.forward(X, W_list, TOKENS)
    np.testing.assert_array_equal(first, again)
    trained, _ = cnn.forward(X, W_list, TOKENS, np.random.default_rng(0))
    assert not np.allclose(first, trained)


def test_flip_mirrors_some_images_left_right():
    X = np.arange(4 * 28 * 28, dtype=float).reshape(4, 28, 28, 1)
    flipped = cnn.flip_forward(X, np.random.default_rng(0))
    for original, image in zip(X, flipped, strict=True):
        assert np.array_equal(image, original) or np.array_equal(
            image, original[:, ::-1]
        )
    assert not np.array_equal(flipped, X)


@pytest.mark.parametrize(
    ("tokens", "words"),
    [
        (["conv8x3", "tanh", "dense10"], "unknown layer 'tanh'"),
        (["pool3", "dense10"], "cannot pool 28 x 28"),
        (["dense10", "conv4x3"], "needs images"),
        (["relu"], "no conv or dense layer"),
    ],
)
def test_bad_layers_are_refused_with_the_reason(tokens, words):
    with pytest.raises(ValueError, match=words):
        cnn.parse_layers(tokens)


def test_a_config_must_end_in_a_dense_layer():
    with pytest.raises(ValueError, match="end with a dense layer"):
        TrainingConfig(layers=["conv4x3"])


def test_fit_trains_a_small_cnn_above_chance():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 2, 200)
    images = rng.normal(size=(200, 28, 28)) * 0.1
    images[labels == 1, 10:18, 10:18] += 1.0  # class 1: a bright square
    X = images.reshape(200, -1)
    config = TrainingConfig(
        layers=["conv4x3", "relu", "pool2", "dense2"],
        num_epochs=3,
        batch_size=20,
        dtype="float64",
    )
    result = fit((X, labels), config, validation=(X, labels))
    assert network_accuracy(X, labels, result.W_list, config) > 90.0
    assert config.network_shape == [784, 2]


def test_the_engine_runs_a_config_with_layers_through_the_cnn():
    config = TrainingConfig(layers=TOKENS, seed=4, dtype="float64")
    W_list = network_init(config, np.float64)
    same = cnn.init_weights(TOKENS, seed=4, dtype=np.float64)
    assert all(W.dtype == np.float64 for W in W_list)
    for W, V in zip(W_list, same, strict=True):
        np.testing.assert_array_equal(W, V)
    other = network_init(TrainingConfig(layers=TOKENS, seed=5), np.float32)
    assert not np.array_equal(W_list[0], other[0])
    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 784))
    # training mode (dropout, flips) with a Generator, prediction without
    trained, _ = network_forward(X, W_list, config, np.random.default_rng(1))
    expected, _ = cnn.forward(X, W_list, TOKENS, np.random.default_rng(1))
    np.testing.assert_array_equal(trained, expected)
    scores = cnn.forward(X, W_list, TOKENS)[0]
    y = scores.argmax(axis=1)
    y[:12] = (y[:12] + 1) % 10  # 18 of 30 right
    assert network_accuracy(X, y, W_list, config) == pytest.approx(60.0)


def test_cnn_parameters_and_flops_count_conv_and_dense_layers():
    tokens = ["conv8x3", "relu", "pool2", "dense10"]
    assert cnn.count_parameters(tokens) == 8 * 10 + 10 * (14 * 14 * 8 + 1)
    assert cnn.flops_per_image(tokens) == 2 * (9 * 28 * 28 * 8 + 1568 * 10)


def test_a_cnn_is_saved_and_loaded_with_its_layers(tmp_path):
    config = TrainingConfig(layers=["conv2x3", "relu", "pool2", "dense10"])
    W_list = cnn.init_weights(config.layers)
    result = FitResult(W_list, 1, {}, config)
    save_model(tmp_path / "m", result)
    loaded, stored = load_model(tmp_path / "m")
    assert stored["config"]["layers"] == config.layers
    assert [W.shape for W in loaded] == [(2, 10), (10, 14 * 14 * 2 + 1)]
    with pytest.raises(ValueError, match="expected floats of shape"):
        save_model(tmp_path / "n", FitResult(W_list[::-1], 1, {}, config))


def test_the_memory_estimate_of_a_cnn_counts_its_window_matrices():
    tokens = ["conv2x3", "relu", "dense10"]
    config = TrainingConfig(layers=tokens, optimiser="sgd", batch_size=1)
    per_image = 2 * (28 * 28 * 2) * 2 + 2 * 10 + 2 * 28 * 28 * 9
    assert cnn.values_per_image(tokens) == per_image
    weights = 2 * 10 + 10 * (28 * 28 * 2 + 1)
    expected = 4 * (3 * weights + cnn.PREDICT_ROWS * per_image)
    assert memory_estimate(config) == expected


def test_the_memory_check_works_without_getrlimit(monkeypatch):
    """Pyodide (the in-browser run) has a resource module without it."""
    import resource

    from fashionlib import batch

    monkeypatch.delattr(resource, "getrlimit")
    assert batch.address_space_limit() is None
    assert batch.available_memory() > 0
