"""The per-sample convolution layer (fashionlib.convolution): forward pass
against scipy, the weight matrix, every derivative against finite
differences, max pooling, initialisation, and the link to the engine."""

import numpy as np
import pytest
from scipy.signal import correlate2d

from fashionlib import cnn
from fashionlib import convolution as cv
from fashionlib.backprop import numerical_jacobian, relative_error
from fashionlib.layers import affine

# (input shape, C_out, k, padding, stride); the last two drop pixels
CASES = [
    ((1, 5, 5), 1, 3, 0, 1),
    ((2, 6, 5), 3, 3, 1, 1),
    ((3, 7, 7), 2, 3, 1, 2),
    ((2, 6, 6), 2, 3, 0, 2),
    ((1, 8, 8), 2, 5, 2, 3),
]


def draw(case, seed=0):
    """Input, kernel and biases of ``case``."""
    shape, C_out, k, _, _ = case
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal(shape),
        rng.standard_normal((C_out, shape[0], k, k)),
        rng.standard_normal(C_out),
    )


def scipy_conv2d(U, K, b, padding, stride):
    """The layer from scipy's valid cross-correlation, channel by channel,
    then every stride-th output pixel."""
    U = np.pad(U, ((0, 0), (padding, padding), (padding, padding)))
    V = [
        sum(correlate2d(U[q], K[o, q], mode="valid") for q in range(len(U)))
        + b[o]
        for o in range(len(K))
    ]
    return np.array(V)[:, ::stride, ::stride]


@pytest.mark.parametrize("case", CASES)
def test_forward_pass_matches_scipy(case):
    U, K, b = draw(case)
    padding, stride = case[3:]
    V = cv.conv2d(U, K, b, padding, stride)
    sides = [cv.output_size(n, case[2], padding, stride) for n in U.shape[1:]]
    assert V.shape == (case[1], *sides)
    assert np.allclose(V, scipy_conv2d(U, K, b, padding, stride))


def test_worked_example_by_hand():
    U = np.arange(9.0).reshape(1, 3, 3)
    K = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    # each output is the top-left pixel minus the bottom-right one: -4
    assert np.array_equal(cv.conv2d(U, K, [0.5]), np.full((1, 2, 2), -3.5))


def test_output_size_and_errors():
    assert cv.output_size(28, 3, 1, 1) == 28
    assert cv.output_size(28, 5, 0, 2) == 12
    with pytest.raises(ValueError, match="does not fit a side of 2"):
        cv.output_size(2, 3)
    with pytest.raises(ValueError, match="stride >= 1"):
        cv.output_size(5, 3, stride=0)
    with pytest.raises(ValueError, match=r"expected \(C_out, 2, k, k\)"):
        cv.conv2d(np.zeros((2, 4, 4)), np.zeros((1, 3, 3, 3)), [0.0])
    with pytest.raises(ValueError, match=r"expected \(1,\)"):
        cv.conv2d(np.zeros((1, 4, 4)), np.zeros((1, 1, 3, 3)), [0.0, 1.0])
    with pytest.raises(ValueError, match="U\\[None\\]"):
        cv.conv2d(np.zeros((4, 4)), np.zeros((1, 1, 3, 3)), [0.0])


@pytest.mark.parametrize("case", CASES)
def test_weight_matrix_is_the_layer(case):
    U, K, b = draw(case, seed=1)
    padding, stride = case[3:]
    W = cv.conv_weights(K, b, U.shape, padding, stride)
    V = cv.conv2d(U, K, b, padding, stride)
    assert W.shape == (V.size, U.size + 1)
    assert np.allclose(affine(U.ravel(), W), V.ravel())
    # each output pixel sees at most C_in k k inputs
    T = W[:, :-1]
    assert np.count_nonzero(T, axis=1).max() <= K[0].size


def test_weight_matrix_shares_the_kernel_entries():
    K = np.arange(1.0, 10.0).reshape(1, 1, 3, 3)  # nine distinct values
    T = cv.conv_matrix(K, (1, 4, 4))
    for value in K.ravel():  # no padding: each weight once per output
        assert np.count_nonzero(T == value) == 4


@pytest.mark.parametrize("case", CASES)
def test_jacobians_match_finite_differences(case):
    U, K, b = draw(case, seed=2)
    padding, stride = case[3:]

    def of_U(V):
        return cv.conv2d(V, K, b, padding, stride)

    def of_K(L):
        return cv.conv2d(U, L, b, padding, stride)

    J_U = cv.conv_matrix(K, U.shape, padding, stride)
    J_K = cv.d_conv2d_d_K(U, K, padding, stride)
    assert relative_error(J_U, numerical_jacobian(of_U, U)) < 1e-8
    assert relative_error(J_K, numerical_jacobian(of_K, K)) < 1e-8


@pytest.mark.parametrize("case", CASES)
def test_backprop_matches_finite_differences(case):
    U, K, b = draw(case, seed=3)
    padding, stride = case[3:]
    G = np.random.default_rng(4).standard_normal(
        cv.conv2d(U, K, b, padding, stride).shape
    )

    def loss(U, K, b):  # E = sum(G * V): dE/dV = G
        return np.sum(G * cv.conv2d(U, K, b, padding, stride))

    G_U = cv.backprop_conv2d_U(G, K, U.shape, padding, stride)
    G_K = cv.backprop_conv2d_K(G, U, K, padding, stride)
    G_b = cv.backprop_conv2d_b(G)
    for analytic, numeric in (
        (G_U, numerical_jacobian(lambda V: loss(V, K, b), U)),
        (G_K, numerical_jacobian(lambda L: loss(U, L, b), K)),
        (G_b, numerical_jacobian(lambda c: loss(U, K, c), b)),
    ):
        assert relative_error(analytic.reshape(1, -1), numeric) < 1e-8
    # the same as the row times the Jacobians
    J_U = cv.conv_matrix(K, U.shape, padding, stride)
    assert np.allclose(G_U.ravel(), G.ravel() @ J_U)
    J_K = cv.d_conv2d_d_K(U, K, padding, stride)
    assert np.allclose(G_K.ravel(), G.ravel() @ J_K)


def test_max_pool_and_its_selection_matrix():
    U = np.array([[[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 2, 1, 1]]])
    assert np.array_equal(cv.max_pool(U, 2), [[[5, 8], [9, 1]]])
    S = cv.d_max_pool_d_U(U, 2)
    assert S.shape == (4, 16) and np.array_equal(S.sum(axis=1), np.ones(4))
    assert np.array_equal(S @ U.ravel(), cv.max_pool(U, 2).ravel())
    # the tie of four ones: the first of its block, row by row
    assert np.flatnonzero(S[3]) == [10]
    G = np.array([[[1.0, 2], [3, 4]]])
    assert np.array_equal(cv.backprop_max_pool(G, U, 2).ravel(), G.ravel() @ S)
    with pytest.raises(ValueError, match="divides both sides"):
        cv.max_pool(np.zeros((1, 5, 4)), 2)


def test_max_pool_backprop_matches_finite_differences():
    rng = np.random.default_rng(5)
    U, G = rng.standard_normal((3, 6, 4)), rng.standard_normal((3, 3, 2))
    numeric = numerical_jacobian(lambda V: np.sum(G * cv.max_pool(V)), U)
    analytic = cv.backprop_max_pool(G, U).reshape(1, -1)
    assert relative_error(analytic, numeric) < 1e-8
    assert (
        relative_error(
            cv.d_max_pool_d_U(U), numerical_jacobian(cv.max_pool, U)
        )
        < 1e-8
    )


def test_kernel_initialisation_keeps_the_variance():
    kernels = [cv.conv_kernel(8, 1, 3, seed=0)]
    kernels += [cv.conv_kernel(8, 8, 3, seed=s) for s in range(1, 4)]
    assert np.abs(kernels[1]).max() <= np.sqrt(3 / 72)
    images = np.random.default_rng(6).standard_normal((4, 1, 14, 14))
    spreads = cv.conv_spreads(images, kernels, lambda v: v)
    assert len(spreads) == 4
    assert all(0.8 < s < 1.2 for s in spreads), spreads


def test_engine_weights_give_the_engine_the_same_layer():
    U, K, b = draw(CASES[2], seed=7)
    layer = cnn.parse_token("conv2x3p1s2")
    Y, _ = cnn.conv_forward(
        U.transpose(1, 2, 0)[None], cv.engine_weights(K, b), layer
    )
    assert np.allclose(Y[0].transpose(2, 0, 1), cv.conv2d(U, K, b, 1, 2))


def coloured_cells(ax):
    """The face colours of an axis' cells that are not white (non-zeros)."""
    return [
        p.get_facecolor()
        for p in ax.patches
        if p.get_facecolor()[:3] != (1.0, 1.0, 1.0)
    ]


def test_weight_matrix_figure_gives_each_kernel_entry_one_colour():
    from fashionlib import plots

    fig = plots.plot_conv_matrix(np.arange(1.0, 10.0).reshape(1, 1, 3, 3), 5)
    ax_kernel, ax_T = fig.axes
    kernel_colours = coloured_cells(ax_kernel)
    assert len(set(kernel_colours)) == 9
    T_colours = coloured_cells(ax_T)
    assert len(T_colours) == 9 * 9  # 9 outputs, 9 weights each
    assert set(T_colours) == set(kernel_colours)
    assert len(ax_T.patches) == 9 * 25


def test_selection_matrix_figure_labels_columns_with_the_values():
    from fashionlib import plots

    U = np.arange(16.0).reshape(1, 4, 4)
    fig = plots.plot_selection_matrix(U, cv.d_max_pool_d_U(U, 2))
    ax = fig.axes[0]
    assert len(coloured_cells(ax)) == 4 and len(ax.patches) == 4 * 16
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[5] == "5\n5" and len(labels) == 16
