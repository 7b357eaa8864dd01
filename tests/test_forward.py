"""Activations, the neuron, the affine layer, the forward pass and
initialisation.
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fashionlib as fl


def test_activations_on_the_homework_example():
    assert np.array_equal(fl.relu([-1, 0, 1]), [0, 0, 1])
    assert np.array_equal(fl.identity([-1, 0, 1]), [-1, 0, 1])
    assert np.allclose(fl.sigmoid([0.0]), [0.5])


def test_activations_do_not_alias_their_input():
    x = np.array([-1.0, 2.0])
    y = fl.identity(x)
    y[0] = 5
    assert x[0] == -1


def test_activations_reject_matrices():
    with pytest.raises(ValueError, match="ravel") as error:
        fl.relu(np.zeros((2, 2)))
    assert str(error.value).endswith(
        "; flatten an image with .ravel() before passing it in"
    )


def test_sigmoid_does_not_overflow():
    assert np.all(np.isfinite(fl.sigmoid([-1e4, 1e4])))


def test_neuron_example_gives_six():
    assert fl.neuron([-1, 0, 1], [1, 2, 3, 4], fl.relu) == 6


def test_neuron_rejects_wrong_number_of_weights():
    with pytest.raises(ValueError, match="with 3 inputs needs 4 weights"):
        fl.neuron([1, 2, 3], [1, 2, 3], fl.relu)


def test_affine_example_gives_three():
    assert np.array_equal(
        fl.affine([-1, 0, 0.5, 1, 1.5], np.ones((1, 6))), [3]
    )


def test_affine_names_the_shapes_on_mismatch():
    with pytest.raises(ValueError, match=r"\(2, 3\).*length 3.*\(m_out, 4\)"):
        fl.affine([1, 2, 3], np.ones((2, 3)))


@given(st.integers(1, 6), st.integers(1, 6), st.integers(0, 2**32 - 1))
def test_affine_is_matrix_product_plus_bias(m_in, m_out, seed):
    rng = np.random.default_rng(seed)
    x, W = rng.standard_normal(m_in), rng.standard_normal((m_out, m_in + 1))
    assert np.allclose(fl.affine(x, W), W[:, :-1] @ x + W[:, -1])


def test_ones_network_gives_1_6_11():
    W1, W2 = np.ones((5, 2)), np.ones((1, 6))
    outputs = [
        fl.nn(np.array([x]), [W1, W2], [fl.relu, fl.identity])[0]
        for x in (-1, 0, 1)
    ]
    assert outputs == [1, 6, 11]


def test_nn_needs_one_activation_per_layer():
    with pytest.raises(ValueError, match="2 weight matrices but 1 activation"):
        fl.nn([1.0], [np.ones((5, 2)), np.ones((1, 6))], [fl.relu])


def test_random_matrix_range_and_reproducibility():
    W = fl.random_matrix(50, 12, seed=3)
    assert W.shape == (50, 12)
    assert np.all(np.abs(W) <= np.sqrt(3 / 12))
    assert np.array_equal(W, fl.random_matrix(50, 12, seed=3))
    assert not np.array_equal(W, fl.random_matrix(50, 12, seed=4))


def test_initialisation_keeps_unit_variance_through_identity_layers():
    x = np.random.default_rng(1).uniform(
        -np.sqrt(3), np.sqrt(3), 1000
    )  # not seed 0: the weights use it
    out = fl.nn(
        x,
        fl.initialize_network([1000, 1000, 1000]),
        [fl.identity, fl.identity],
    )
    assert abs(out.mean()) < 0.1
    assert abs(out.std() - 1) < 0.1


def test_initialize_network_shapes_biases_and_global_rng():
    state = np.random.get_state()[1].copy()
    W_list = fl.initialize_network([1, 5, 3, 2])
    assert np.array_equal(np.random.get_state()[1], state)
    assert [W.shape for W in W_list] == [(5, 2), (3, 6), (2, 4)]
    assert all(np.all(W[:, -1] == 0) for W in W_list)
    assert fl.nn(
        np.array([10.0]), W_list, [fl.relu, fl.relu, fl.identity]
    ).shape == (2,)


def test_initialize_network_accepts_a_generator():
    rng = np.random.default_rng(5)
    first = fl.initialize_network([3, 4], seed=rng)
    second = fl.initialize_network([3, 4], seed=rng)
    assert not np.array_equal(first[0], second[0])


@pytest.mark.parametrize("shape", [[5], [], [3, 0, 2]])
def test_initialize_network_rejects_bad_shapes(shape):
    with pytest.raises(ValueError, match="at least two positive widths"):
        fl.initialize_network(shape)


def test_l2_values_and_gradient_shapes():
    assert fl.l2(np.array([1.0]), np.array([2.0])) == 1
    assert np.array_equal(
        fl.d_l2_d_x(np.array([1.0]), np.array([2.0])), [[-2]]
    )
    assert fl.l2(np.array([-1.0, 0, 1]), np.array([1.0, 1, 2])) == 6
    assert np.array_equal(
        fl.d_l2_d_x(np.array([-1.0, 0, 1]), np.array([1.0, 1, 2])),
        [[-4, -2, -2]],
    )


def test_l2_accepts_a_scalar_label_for_one_output():
    assert fl.l2(np.array([3.0]), 5) == 4


def test_l2_rejects_mismatched_target():
    with pytest.raises(ValueError, match="one-hot") as error:
        fl.l2(np.zeros(10), 3)
    assert str(error.value).endswith(
        "differ: a network with 10 outputs needs a one-hot target of length 10"
    )


def test_layer_spreads_tell_offsets_from_input_dependence():
    from fashionlib.network import layer_spreads

    rng = np.random.default_rng(0)
    X = rng.standard_normal((30, 4))
    pooled, per_neuron = layer_spreads(X, [np.eye(4)], fl.identity)
    assert np.isclose(pooled[0], X.std())
    assert np.isclose(per_neuron[0], X.std(axis=0).mean())
    same_input = np.tile(X[:1], (30, 1))  # every row the same input
    pooled, per_neuron = layer_spreads(same_input, [np.eye(4)] * 2, fl.relu)
    assert len(pooled) == 2 and np.allclose(per_neuron, 0, atol=1e-12)
    assert pooled[0] > 0.1  # the neurons differ, the inputs do not


def test_architecture_pairs_each_activation_with_its_backward_function():
    arch = fl.architecture([3, 4, 5, 2], "sigmoid", seed=6)
    assert arch["h_list"] == [fl.sigmoid, fl.sigmoid, fl.identity]
    assert arch["back_h_list"] == [
        fl.backprop_sigmoid_x,
        fl.backprop_sigmoid_x,
        fl.backprop_identity_x,
    ]
    for W, expected in zip(
        arch["W_list"],
        fl.initialize_network([3, 4, 5, 2], seed=6),
        strict=True,
    ):
        assert np.array_equal(W, expected)
    assert set(arch) == {"W_list", "h_list", "back_h_list"}


def test_architecture_naive_takes_every_backward_function_naive():
    arch = fl.architecture([3, 2], output="relu", naive=True)
    assert arch["h_list"] == [fl.relu]
    assert arch["back_h_list"] == [fl.backprop_relu_x_naive]
    assert arch["backprop_affine_x"] is fl.backprop_affine_x_naive
    assert arch["backprop_affine_W"] is fl.backprop_affine_W_naive


def test_architecture_rejects_an_unknown_activation():
    with pytest.raises(ValueError, match="'tanh'.*relu, identity or sigmoid"):
        fl.architecture([3, 4, 2], hidden="tanh")


def test_integer_inputs_give_float_results():
    assert fl.relu([-1, 0, 2]).dtype == float
    assert fl.identity([1, 2]).dtype == float
    assert fl.affine([1, 2], [[1, 1, 1]]).dtype == float
    assert fl.d_relu_d_x([1, -1]).dtype == float
    assert fl.d_affine_d_x([[1, 2, 3]]).dtype == float
    np.testing.assert_array_equal(fl.d_affine_d_x([[1, 2, 3]]), [[1.0, 2.0]])


def test_default_seeds_are_zero():
    from fashionlib.network import he_matrix, make_rng

    np.testing.assert_array_equal(
        make_rng().random(3), np.random.default_rng(0).random(3)
    )
    np.testing.assert_array_equal(
        fl.random_matrix(3, 2), fl.random_matrix(3, 2, seed=0)
    )
    np.testing.assert_array_equal(he_matrix(3, 2), he_matrix(3, 2, seed=0))
    for W, W0 in zip(
        fl.initialize_network([2, 3, 1]),
        fl.initialize_network([2, 3, 1], seed=0),
        strict=True,
    ):
        np.testing.assert_array_equal(W, W0)
    for W, W0 in zip(
        fl.architecture([2, 3, 1])["W_list"],
        fl.initialize_network([2, 3, 1], seed=0),
        strict=True,
    ):
        np.testing.assert_array_equal(W, W0)


def test_make_rng_passes_a_generator_through():
    from fashionlib.network import make_rng

    rng = np.random.default_rng(4)
    assert make_rng(rng) is rng


def test_he_matrix_is_random_matrix_scaled_by_sqrt_2():
    from fashionlib.network import he_matrix

    W = he_matrix(40, 6, seed=2)
    np.testing.assert_allclose(W, np.sqrt(2) * fl.random_matrix(40, 6, seed=2))
    assert np.all(np.abs(W) <= np.sqrt(6 / 6))


def test_nn_layer_count_message_says_what_to_do():
    with pytest.raises(ValueError) as error:
        fl.nn([1.0], [np.ones((5, 2)), np.ones((1, 6))], [fl.relu])
    assert "2 weight matrices but 1 activation" in str(error.value)
    assert "give one activation per layer" in str(error.value)


def test_as_weights_gives_a_float_matrix_or_names_the_shapes():
    from fashionlib.layers import as_weights

    W = as_weights([[1, 2, 3]], 2)
    assert W.dtype == float
    np.testing.assert_array_equal(W, [[1.0, 2.0, 3.0]])
    with pytest.raises(ValueError) as error:
        as_weights(np.ones((2, 3)), 3)
    message = str(error.value)
    assert "weights of shape (2, 3)" in message and "length 3" in message
    assert "expected (m_out, 4)" in message
    with pytest.raises(ValueError, match=r"weights of shape \(4,\)"):
        as_weights(np.ones(4), 3)


def test_as_vector_message_names_the_shape_and_the_fix():
    with pytest.raises(ValueError) as error:
        fl.sigmoid(np.zeros((2, 3)))
    message = str(error.value)
    assert "vector of shape (m,)" in message and "shape (2, 3)" in message
    assert ".ravel()" in message


def test_residual_is_float64_whatever_the_target_dtype():
    from fashionlib.loss import residual

    for y in ([1, 0], np.array([1, 0], np.uint8), np.longdouble([1, 0])):
        r = residual([0.5, 0.5], y)
        assert r.dtype == np.float64
        np.testing.assert_array_equal(r, [-0.5, 0.5])
    assert fl.d_l2_d_x([0.5], np.longdouble(1)).dtype == np.float64
