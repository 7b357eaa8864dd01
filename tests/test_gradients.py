"""Every Jacobian and backprop function against centred finite differences, on
random sizes.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fashionlib as fl

sizes = st.integers(1, 7)
seeds = st.integers(0, 2**32 - 1)


def away_from_zero(rng, size):
    """Normal entries with no kink of relu within finite-difference reach."""
    x = rng.standard_normal(size)
    return np.where(np.abs(x) < 1e-2, 0.5, x)


@pytest.mark.parametrize("name", ["relu", "identity", "sigmoid"])
@given(m=sizes, seed=seeds)
def test_activation_jacobians_match_finite_differences(name, m, seed):
    x = away_from_zero(np.random.default_rng(seed), m)
    J = getattr(fl, f"d_{name}_d_x")(x)
    assert J.shape == (m, m)
    assert np.allclose(J, np.diag(np.diag(J)))
    assert (
        fl.relative_error(J, fl.numerical_jacobian(getattr(fl, name), x))
        < 1e-7
    )


@given(m_in=sizes, m_out=sizes, seed=seeds)
def test_affine_jacobians_match_finite_differences(m_in, m_out, seed):
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal(m_in), rng.standard_normal((m_out, m_in + 1))
    J_x, J_W = fl.d_affine_d_x(W), fl.d_affine_d_W(x, W)
    assert J_x.shape == (m_out, m_in) and J_W.shape == (
        m_out,
        m_out * (m_in + 1),
    )
    assert (
        fl.relative_error(
            J_x, fl.numerical_jacobian(lambda v: fl.affine(v, W), x)
        )
        < 1e-8
    )
    assert (
        fl.relative_error(
            J_W, fl.numerical_jacobian(lambda V: fl.affine(x, V), W)
        )
        < 1e-8
    )


def test_d_affine_d_x_homework_example():
    W = np.array([[1, -2, -3, -4], [-5, -6, 7, 8]])
    assert np.array_equal(fl.d_affine_d_x(W), [[1, -2, -3], [-5, -6, 7]])


@given(m=sizes, seed=seeds)
def test_l2_gradient_matches_finite_differences(m, seed):
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal(m), rng.standard_normal(m)
    assert (
        fl.relative_error(
            fl.d_l2_d_x(x, y), fl.numerical_jacobian(lambda v: fl.l2(v, y), x)
        )
        < 1e-8
    )


@pytest.mark.parametrize("name", ["relu", "identity", "sigmoid"])
@given(m=sizes, seed=seeds)
def test_fast_and_naive_activation_backprop_agree(name, m, seed):
    rng = np.random.default_rng(seed)
    x, Jx_E = away_from_zero(rng, m), rng.standard_normal((1, m))
    fast = getattr(fl, f"backprop_{name}_x")(Jx_E, x)
    naive = getattr(fl, f"backprop_{name}_x_naive")(Jx_E, x)
    assert fast.shape == naive.shape == (1, m)
    assert np.allclose(fast, naive)


@given(m_in=sizes, m_out=sizes, seed=seeds)
def test_fast_and_naive_affine_backprop_agree(m_in, m_out, seed):
    rng = np.random.default_rng(seed)
    x, W, Jx_E = (
        rng.standard_normal(m_in),
        rng.standard_normal((m_out, m_in + 1)),
        rng.standard_normal((1, m_out)),
    )
    assert np.allclose(
        fl.backprop_affine_x(Jx_E, W), fl.backprop_affine_x_naive(Jx_E, W)
    )
    fast_W = fl.backprop_affine_W(Jx_E, x, W)
    assert fast_W.shape == W.shape
    assert np.allclose(
        fast_W.reshape(1, -1), fl.backprop_affine_W_naive(Jx_E, x, W)
    )


@settings(max_examples=30, deadline=None)
@given(
    widths=st.lists(st.integers(1, 6), min_size=2, max_size=4),
    seed=seeds,
    activation=st.sampled_from(["relu", "sigmoid", "identity"]),
)
def test_backprop_nn_W_matches_numerical_gradient(widths, seed, activation):
    rng = np.random.default_rng(seed)
    architecture = fl.architecture(widths, activation, seed=rng)
    for W in architecture["W_list"]:
        W[:, -1] = rng.standard_normal(W.shape[0]) * 0.1
    x, label = away_from_zero(rng, widths[0]), rng.standard_normal(widths[-1])
    analytic = fl.backprop_nn_W(x, label, **architecture)
    numeric = fl.numerical_gradient_W(x, label, **architecture)
    assert [g.shape for g in analytic] == [
        (1, W.size) for W in architecture["W_list"]
    ]
    for a, n in zip(analytic, numeric, strict=True):
        assert fl.relative_error(a, n) < 1e-6


@given(seed=seeds)
def test_naive_and_fast_network_gradients_agree(seed):
    rng = np.random.default_rng(seed)
    fast = fl.architecture([5, 4, 3], seed=seed)
    naive = fl.architecture([5, 4, 3], seed=seed, naive=True)
    x, label = rng.standard_normal(5), rng.standard_normal(3)
    for a, b in zip(
        fl.backprop_nn_W(x, label, **fast),
        fl.backprop_nn_W(x, label, **naive),
        strict=True,
    ):
        assert np.allclose(a, b)


def test_numerical_jacobian_of_a_known_function():
    J = fl.numerical_jacobian(
        lambda v: np.array([v[0] * v[1], np.sin(v[1])]), np.array([2.0, 0.5])
    )
    assert np.allclose(J, [[0.5, 2.0], [0.0, np.cos(0.5)]], atol=1e-8)


def test_relative_error_is_zero_for_equal_and_rejects_shape_mismatch():
    assert fl.relative_error(np.zeros(3), np.zeros(3)) == 0
    assert fl.relative_error([1.0], [1.0]) == 0
    with pytest.raises(ValueError, match="shapes"):
        fl.relative_error(np.zeros(3), np.zeros(4))


def test_relative_error_of_small_vectors():
    assert fl.relative_error([0.1], [0.2]) == pytest.approx(1 / 3)
    assert fl.relative_error([1, 0], [0, 1]) == pytest.approx(2**0.5 / 2)


def test_numerical_jacobian_of_integer_input():
    J = fl.numerical_jacobian(lambda v: 2 * v, [1, 2])
    np.testing.assert_allclose(J, 2 * np.eye(2), atol=1e-8)


def test_relu_backprop_passes_nothing_at_the_kink():
    # the book's subgradient of relu at 0 is 0, as in d_relu_d_x
    x, Jx_E = np.array([-1.0, 0.0, 2.0]), np.array([[1.0, 2.0, 3.0]])
    np.testing.assert_array_equal(fl.backprop_relu_x(Jx_E, x), [[0, 0, 3]])
    np.testing.assert_array_equal(
        fl.backprop_relu_x_naive(Jx_E, x), [[0, 0, 3]]
    )
    np.testing.assert_array_equal(np.diag(fl.d_relu_d_x(x)), [0, 0, 1])


def test_identity_backprop_of_an_integer_row_is_a_float_copy():
    Jx_E = np.array([[1, -2, 3]])
    fast = fl.backprop_identity_x(Jx_E, np.zeros(3))
    assert fast.dtype == float
    np.testing.assert_array_equal(
        fast, fl.backprop_identity_x_naive(Jx_E, np.zeros(3))
    )
    fast[0, 0] = 7
    assert Jx_E[0, 0] == 1


def test_backprop_nn_W_names_the_lists_whose_lengths_differ():
    arch = fl.architecture([3, 4, 2])
    x, label = np.ones(3), np.zeros(2)
    cases = {
        "h_list": "(W_list 2, h_list 1, back_h_list 2)",
        "back_h_list": "(W_list 2, h_list 2, back_h_list 1)",
        "W_list": "(W_list 1, h_list 2, back_h_list 2)",
    }
    for shortened, listed in cases.items():
        broken = {**arch, shortened: arch[shortened][:1]}
        with pytest.raises(ValueError) as error:
            fl.backprop_nn_W(x, label, **broken)
        assert f"lengths differ {listed}" in str(error.value)
        assert "give one entry of each per item" in str(error.value)


def test_numerical_jacobian_of_a_matrix_function_of_a_matrix():
    # f(X) = X^T for X (2, 3): d vec(X^T) / d vec(X) permutes the entries
    X = np.arange(6.0).reshape(2, 3)
    J = fl.numerical_jacobian(lambda V: V.T, X)
    expected = np.zeros((6, 6))
    for i in range(2):
        for j in range(3):
            expected[j * 2 + i, i * 3 + j] = 1
    np.testing.assert_allclose(J, expected, atol=1e-8)


def test_numerical_jacobian_default_step_is_one_millionth():
    def f(v):
        return np.exp(3 * v)

    x = np.array([0.3, -1.2])
    np.testing.assert_array_equal(
        fl.numerical_jacobian(f, x), fl.numerical_jacobian(f, x, eps=1e-6)
    )
    assert not np.array_equal(
        fl.numerical_jacobian(f, x), fl.numerical_jacobian(f, x, eps=1e-5)
    )


def test_relative_error_is_computed_in_double_precision():
    # float32 gradients are compared in float64, not rounded to float32
    rng = np.random.default_rng(0)
    a, n = rng.standard_normal(50), rng.standard_normal(50)
    a32, n32 = a.astype(np.float32), n.astype(np.float32)
    assert fl.relative_error(a32, n) == fl.relative_error(a32.astype(float), n)
    assert fl.relative_error(a, n32) == fl.relative_error(a, n32.astype(float))


def test_numerical_jacobian_is_float64_whatever_precision_f_uses():
    J = fl.numerical_jacobian(lambda v: np.longdouble(v) ** 2, [0.5, -1.0])
    assert J.dtype == np.float64
    np.testing.assert_allclose(J, np.diag([1.0, -2.0]), atol=1e-8)
