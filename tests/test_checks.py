"""Every check in fashionlib.checks accepts the reference and rejects a
deliberately wrong implementation.
"""

import ast
import inspect

import numpy as np
import pytest

import fashionlib as fl
from fashionlib import checks, data
from fashionlib import convolution as cv

# check name -> (reference implementation, a typical student mistake)
CASES = {
    "check_mean_image": (
        data.mean_image,
        lambda images: np.mean(images, axis=(1, 2)),
    ),
    "check_class_mean_images": (
        data.class_mean_images,
        lambda images, labels: np.stack(
            [images[labels == k].mean(0) for k in range(10)]
        )[::-1],
    ),
    "check_whitening_stats": (
        data.whitening_stats,
        lambda images: (images.mean(), images.std(axis=0)),
    ),
    "check_relu": (fl.relu, lambda x: np.maximum(np.asarray(x), -1)),
    "check_identity": (
        fl.identity,
        lambda x: np.abs(np.asarray(x, dtype=float)),
    ),
    "check_sigmoid": (
        fl.sigmoid,
        lambda x: np.tanh(np.asarray(x, dtype=float)),
    ),
    "check_neuron_loss_gradient": (
        fl.layers.neuron_loss_gradient,
        lambda x, w, b, y, h, h_prime: (
            np.array([[x, 1.0, w]])
            * (h(np.array([w * x + b]))[0] - y)
            * h_prime(w * x + b)
        ),
    ),
    "check_neuron": (
        fl.neuron,
        lambda x, w, h: h(np.array([np.dot(np.asarray(w)[:-1], x)]))[0],
    ),
    "check_affine": (
        fl.affine,
        lambda x, W: np.asarray(W)[:, :-1] @ np.asarray(x, dtype=float),
    ),
    "check_nn": (fl.nn, lambda x, W_list, h_list: fl.affine(x, W_list[-1])),
    "check_random_matrix": (
        fl.random_matrix,
        lambda rows, columns: np.random.default_rng(0).uniform(
            -1, 1, (rows, columns)
        ),
    ),
    "check_initialize_network": (
        fl.initialize_network,
        lambda shape: [
            np.random.uniform(-1, 1, (m, n + 1))
            for n, m in zip(shape[:-1], shape[1:], strict=True)
        ],
    ),
    "check_d_relu_d_x": (
        fl.d_relu_d_x,
        lambda x: np.diag((np.asarray(x) >= 0).astype(float)),
    ),
    "check_d_identity_d_x": (
        fl.d_identity_d_x,
        lambda x: np.ones((len(x), len(x))),
    ),
    "check_d_sigmoid_d_x": (
        fl.d_sigmoid_d_x,
        lambda x: np.diag(fl.sigmoid(x)),
    ),
    "check_d_affine_d_x": (fl.d_affine_d_x, lambda W: np.asarray(W)[:, 1:]),
    "check_d_affine_d_W": (
        fl.d_affine_d_W,
        lambda x, W: np.kron(np.append(x, 1), np.eye(np.shape(W)[0])),
    ),
    "check_l2": (
        fl.l2,
        lambda x, y: np.sqrt(np.sum((np.asarray(x) - y) ** 2)),
    ),
    "check_d_l2_d_x": (fl.d_l2_d_x, lambda x, y: 2 * (np.asarray(x) - y)),
    "check_backprop_relu_x": (
        fl.backprop_relu_x,
        lambda Jx_E, x: Jx_E * fl.relu(x),
    ),
    "check_backprop_identity_x": (
        fl.backprop_identity_x,
        lambda Jx_E, x: Jx_E * np.asarray(x),
    ),
    "check_backprop_affine_x": (
        fl.backprop_affine_x,
        lambda Jx_E, W: Jx_E @ np.asarray(W),
    ),
    "check_backprop_affine_W": (
        fl.backprop_affine_W,
        lambda Jx_E, x, W: np.outer(Jx_E, np.append(1, x)),
    ),
    "check_backprop_nn_W": (
        fl.backprop_nn_W,
        lambda x, label, W_list, h_list, back_h_list: [
            np.zeros((1, W.size)) for W in W_list
        ],
    ),
    "check_train": (
        fl.train,
        lambda data_train, architecture, learning_rate: None,
    ),
    "check_output_to_label_regression": (
        fl.output_to_label_regression,
        lambda x: int(np.clip(x, 0, 9)),
    ),
    "check_prediction_to_label_classification": (
        fl.prediction_to_label_classification,
        lambda x: int(np.argmin(x)),
    ),
    "check_conv2d": (
        cv.conv2d,  # the kernel flipped: a true convolution
        lambda U, K, b, padding=0, stride=1: cv.conv2d(
            U, np.asarray(K)[:, :, ::-1, ::-1], b, padding, stride
        ),
    ),
    "check_backprop_conv2d_U": (
        cv.backprop_conv2d_U,  # the kernel not flipped
        lambda G, K, input_shape, padding=0, stride=1: cv.backprop_conv2d_U(
            G, np.asarray(K)[:, :, ::-1, ::-1], input_shape, padding, stride
        ),
    ),
    "check_backprop_conv2d_K": (
        cv.backprop_conv2d_K,  # the stride forgotten
        lambda G, U, K, padding=0, stride=1: cv.backprop_conv2d_K(
            G, U, K, padding
        ),
    ),
    "check_max_pool": (
        cv.max_pool,
        lambda U, size=2: cv.pool_blocks(U, size).mean(axis=-1),
    ),
    "check_backprop_max_pool": (
        cv.backprop_max_pool,  # spread over the block like an average
        lambda G, U, size=2: np.kron(G, np.ones((size, size))) / size**2,
    ),
    "check_architecture_linear": (
        {
            "W_list": fl.initialize_network([784, 50, 1]),
            "h_list": [fl.identity, fl.identity],
            "back_h_list": [fl.backprop_identity_x, fl.backprop_identity_x],
        },
        {
            "W_list": fl.initialize_network([784, 50, 1]),
            "h_list": [fl.relu, fl.identity],
            "back_h_list": [fl.backprop_relu_x, fl.backprop_identity_x],
        },
    ),
}


def public_checks():
    """Names of the checks meant for verify cells.

    Public functions whose first parameter is an implementation.
    """
    helpers = {
        "check_activation",
        "check_jacobian",
        "check_backprop_activation",
        "check_weight_shapes",
        "check_architecture_design",  # needs data: tested on its own below
    }
    return sorted(
        n
        for n, f in inspect.getmembers(checks, inspect.isfunction)
        if n.startswith("check_") and n not in helpers
    )


def test_every_check_has_a_case():
    assert sorted(CASES) == public_checks()


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_accepts_reference(name):
    getattr(checks, name)(CASES[name][0])


@pytest.mark.parametrize("name", sorted(CASES))
def test_check_rejects_wrong_implementation(name):
    with pytest.raises(AssertionError):
        getattr(checks, name)(CASES[name][1])


@pytest.mark.parametrize(
    "name", ["check_backprop_conv2d_U", "check_backprop_conv2d_K"]
)
def test_conv_gradient_checks_reject_a_gradient_one_percent_off(name):
    reference = CASES[name][0]

    def one_percent_off(*arguments):
        return 1.01 * reference(*arguments)

    called = r"^backprop_conv2d_\w\(G, .* returned"
    with pytest.raises(AssertionError, match=called):
        getattr(checks, name)(one_percent_off)


def test_check_messages_name_the_function():
    with pytest.raises(AssertionError, match=r"relu\(\[-1, 0, 1\]\)"):
        checks.check_relu(CASES["check_relu"][1])
    with pytest.raises(AssertionError, match="random_matrix"):
        checks.check_random_matrix(CASES["check_random_matrix"][1])


@pytest.mark.parametrize(
    ("wrong", "said"),
    [
        (lambda rows, columns: np.full((rows, columns), 0.05), "mean"),
        (
            lambda rows, columns: np.sqrt(1 / columns)
            * np.random.default_rng(0).choice([-1.0, 1.0], (rows, columns)),
            "KS distance",
        ),
        (
            lambda rows, columns: np.random.default_rng(0).uniform(
                -np.sqrt(1 / columns), np.sqrt(1 / columns), (rows, columns)
            ),
            "variance",
        ),
    ],
    ids=["constant", "signs", "narrow"],
)
def test_the_verify_cell_tests_the_distribution_as_the_grader(wrong, said):
    with pytest.raises(AssertionError, match=said):
        checks.check_random_matrix(wrong)


def test_the_verify_cell_wants_zero_biases_in_every_layer():
    def network(shape):
        W_list = fl.initialize_network(shape)
        W_list[-1][:, -1] = 0.5
        return W_list

    with pytest.raises(AssertionError, match="layer 3: the bias column"):
        checks.check_initialize_network(network)


def test_missing_return_is_explained():
    with pytest.raises(AssertionError, match="returned None"):
        checks.check_relu(lambda x: None)


def test_unwritten_function_says_which_one():
    def stub(x):
        raise NotImplementedError

    with pytest.raises(AssertionError, match="d_relu_d_x is not written yet"):
        checks.check_d_relu_d_x(stub)


def test_errors_raised_by_the_candidate_name_it():
    with pytest.raises(AssertionError, match="affine raised ValueError"):
        checks.check_affine(lambda x, W: np.ones((3, 3)) @ np.ones(4))


def test_in_place_mutation_is_caught():
    def mutating_relu(x):
        x = np.asarray(x, dtype=float)
        np.maximum(x, 0, out=x)
        return x

    with pytest.raises(AssertionError, match="in place"):
        checks.check_relu(mutating_relu)


def test_weight_shapes_check():
    checks.check_weight_shapes(np.ones((5, 2)), np.ones((1, 6)))
    with pytest.raises(AssertionError, match="W1 has shape"):
        checks.check_weight_shapes(np.ones((1, 5)), np.ones((1, 6)))


def design_data(rng, num_images):
    """Ten classes of 28x28 images, each class bright in its own rows."""
    labels = rng.integers(0, 10, num_images)
    images = rng.normal(0, 0.3, (num_images, 28, 28))
    for n, c in enumerate(labels):
        images[n, 2 * c : 2 * c + 3] += 2.0
    return {"images": images, "labels": np.eye(10)[labels]}


def test_architecture_design_accepts_a_network_that_reaches_the_target(rng):
    accuracy, seconds = checks.check_architecture_design(
        fl.architecture([784, 20, 10]),
        design_data(rng, 300),
        design_data(rng, 200),
        90,  # min_accuracy (%)
        60,  # max_seconds
    )
    assert accuracy >= 90 and seconds >= 0


@pytest.mark.parametrize(
    "shape, min_accuracy, max_seconds",
    [
        ([784, 20, 10], 100.1, 60),  # accuracy target out of reach
        ([784, 20, 10], 0, 0.0),  # no time at all
        ([784, 20, 1], 0, 60),  # one output instead of ten
    ],
)
def test_architecture_design_rejects_a_miss(
    rng, shape, min_accuracy, max_seconds
):
    with pytest.raises(AssertionError):
        checks.check_architecture_design(
            fl.architecture(shape),
            design_data(rng, 100),
            design_data(rng, 50),
            min_accuracy,
            max_seconds,
        )


def failure_message(check, *args, **options):
    """The AssertionError message ``check(*args, **options)`` raises."""
    with pytest.raises(AssertionError) as error:
        check(*args, **options)
    return str(error.value)


def hint_of(check, candidate):
    """The ``Hint:`` line of the message ``check`` gives ``candidate``."""
    lines = failure_message(check, candidate).splitlines()
    hints = [line for line in lines if "Hint" in line]
    return hints[0] if hints else ""


def test_hints_point_the_right_way():
    def transposed(W):
        return np.asarray(W, dtype=float)[:, :-1].T

    def with_bias(W):
        return np.asarray(W, dtype=float)

    d_affine_d_x = checks.check_d_affine_d_x
    assert "not its transpose" in hint_of(d_affine_d_x, transposed)
    assert "drop it" in hint_of(d_affine_d_x, with_bias)
    assert (
        hint_of(
            checks.check_d_l2_d_x,
            lambda x, y: (np.asarray(x) - np.asarray(y)).reshape(1, -1),
        )
        == ""
    )
    assert "list" not in hint_of(
        checks.check_sigmoid, lambda x: 1 / (1 + np.exp(np.asarray(x)))
    )


def scaled_off_the_example(d_f, example, factor):
    """``d_f``, exact at ``example`` but scaled by ``factor`` elsewhere."""

    def candidate(x):
        exact = d_f(x)
        return exact if np.array_equal(x, example) else exact * factor

    return candidate


def test_check_jacobian_compares_with_finite_differences_at_1e_5():
    example = [-1.0, 0.0, 2.0]
    expected = fl.d_sigmoid_d_x(np.array(example))
    near = scaled_off_the_example(fl.d_sigmoid_d_x, example, 1 + 1e-7)
    checks.check_jacobian("d", near, fl.sigmoid, example, expected)
    far = scaled_off_the_example(fl.d_sigmoid_d_x, example, 1 + 1e-3)
    with pytest.raises(AssertionError, match="finite differences"):
        checks.check_jacobian("d", far, fl.sigmoid, example, expected)
    off = scaled_off_the_example(fl.d_sigmoid_d_x, [9.0], 1 + 1e-4)
    with pytest.raises(AssertionError, match=r"d\(\[-1.0, 0.0, 2.0\]\)"):
        checks.check_jacobian("d", off, fl.sigmoid, example, expected)


def test_messages_name_the_call_and_end_with_the_hint():
    message = failure_message(checks.check_relu, lambda x: np.array(x))
    assert message.startswith("relu([-1, 0, 1]) returned\n")
    assert "Hint" not in message  # right shape: a shape hint would mislead
    message = failure_message(checks.check_relu, lambda x: np.array(x)[:2])
    assert message.endswith(
        "\nHint: relu must accept a list and return a NumPy vector"
    )
    message = failure_message(
        checks.check_relu, lambda x: fl.relu(x) if len(x) == 3 else 0 * x
    )
    assert message.startswith("relu(random vector) returned\n")
    assert "Hint" not in message
    message = failure_message(checks.check_d_relu_d_x, lambda x: np.eye(3))
    assert message.startswith("d_relu_d_x([-1, 0, 2]) returned\n")
    assert "Hint" not in message
    message = failure_message(checks.check_d_relu_d_x, lambda x: np.ones(3))
    assert message.endswith(
        "\nHint: the Jacobian of an element-wise function is a square "
        "diagonal matrix"
    )
    message = failure_message(
        checks.check_d_relu_d_x,
        scaled_off_the_example(fl.d_relu_d_x, [-1, 0, 2], 2.0),
    )
    assert message.startswith("d_relu_d_x(random x (6,)) returned\n")
    assert message.endswith("\nHint: compared with finite differences")
    message = failure_message(
        checks.check_backprop_relu_x, lambda Jx_E, x: 2 * Jx_E
    )
    assert message.startswith("backprop_relu_x(Jx_E (1, 7), x (7,)) returned")
    assert message.endswith(
        "\nHint: multiply the upstream row by the diagonal of the Jacobian, "
        "element-wise"
    )


def test_in_place_change_names_the_argument():
    def scale_x(Jx_E, x):
        x *= 2
        return Jx_E * (x > 0)

    message = failure_message(checks.check_backprop_relu_x, scale_x)
    assert message.endswith(
        "backprop_relu_x modified its argument 2 in place; work on a copy"
    )


# --- expect_close: tolerances and messages -----------------------------------


def close_failure(actual, expected, **options):
    """The message ``expect_close("f(x)", actual, expected)`` raises."""
    return failure_message(
        checks.expect_close, "f(x)", actual, expected, **options
    )


def test_expect_close_has_an_absolute_tolerance_near_zero():
    checks.expect_close("f(x)", [0.5 * checks.TOL], [0.0])
    checks.expect_close("f(x)", [3e-6], [0.0], tol=1e-5)
    close_failure([3 * checks.TOL], [0.0])


def test_expect_close_has_a_relative_tolerance_for_large_values():
    checks.expect_close("f(x)", [1000 * (1 + 0.5 * checks.TOL)], [1000.0])
    checks.expect_close("f(x)", [1000.005], [1000.0], tol=1e-5)
    close_failure([1000 * (1 + 3 * checks.TOL)], [1000.0])


def test_expect_close_shows_both_values_rounded_to_six_decimals():
    message = close_failure([1.23456789, 2], [2, 0.12345678])
    assert message == (
        "f(x) returned\n[1.234568, 2.0]\nexpected\n[2.0, 0.123457]"
    )
    message = close_failure([1.23456789], [2], hint="look again")
    assert message == (
        "f(x) returned\n[1.234568]\nexpected\n[2.0]\nHint: look again"
    )


def test_expect_close_wrong_shape_message_has_no_hint_unless_given():
    assert close_failure([1.0, 2.0], [1.0]) == (
        "f(x) returned shape (2,), expected shape (1,)"
    )
    assert close_failure([1.0, 2.0], [1.0], hint="h") == (
        "f(x) returned shape (2,), expected shape (1,)\nHint: h"
    )
    assert close_failure([1.0, 2.0], [1.0], hint="h", shape_hint="s") == (
        "f(x) returned shape (2,), expected shape (1,)\nHint: s"
    )


def test_expect_close_shows_integer_expectations_as_floats():
    assert close_failure(None, [1, 2]).endswith("Expected [1.0, 2.0]")
    assert close_failure([1, 2], [1, 3]) == (
        "f(x) returned\n[1.0, 2.0]\nexpected\n[1.0, 3.0]"
    )


def test_expect_close_explains_a_non_numeric_result():
    assert close_failure("abc", [1]) == (
        "f(x) returned 'abc', which is not numeric; expected [1.0]"
    )


# --- expect_unchanged and random_vector --------------------------------------


def test_expect_unchanged_passes_non_array_arguments_through():
    # a list of layers of different shapes cannot become one array
    W_list = [np.ones((5, 2)), np.ones((1, 6))]
    result = checks.expect_unchanged(
        "count", lambda Ws, x: len(Ws) + x.size, W_list, np.zeros(3)
    )
    assert result == 5


class FixedNormals:
    """A stand-in Generator whose standard normals are ``values``."""

    def __init__(self, values):
        self.values = np.array(values, dtype=float)

    def standard_normal(self, size):
        assert size == self.values.size
        return self.values.copy()


def test_random_vector_moves_entries_near_zero_to_one_half():
    values = [-2.0, -0.3, -0.05, -0.049, 0.0, 0.02, 0.05, 0.3, 1.2]
    x = checks.random_vector(FixedNormals(values), len(values))
    np.testing.assert_array_equal(
        x, [-2.0, -0.3, -0.05, 0.5, 0.5, 0.5, 0.05, 0.3, 1.2]
    )


def test_random_vector_is_standard_normal_away_from_zero(rng):
    x = checks.random_vector(rng, 10_000)
    assert np.min(np.abs(x)) >= 0.05
    z = np.random.default_rng(42).standard_normal(10_000)
    far = np.abs(z) >= 0.05
    np.testing.assert_array_equal(x[far], z[far])
    assert np.all(x[~far] == 0.5) and 0 < np.sum(~far) < 1000


# --- the random inputs of the checks -----------------------------------------


def wrong_off_the_examples(reference, size):
    """``reference``, except doubled on inputs that are not of ``size``."""

    def candidate(*args):
        out = np.asarray(reference(*args), dtype=float)
        return out if np.size(args[-1]) == size else 2 * out

    return candidate


@pytest.mark.parametrize(
    "check, candidate",
    [
        (checks.check_relu, wrong_off_the_examples(fl.relu, 3)),
        (
            checks.check_d_sigmoid_d_x,
            wrong_off_the_examples(fl.d_sigmoid_d_x, 3),
        ),
        (checks.check_backprop_relu_x, lambda Jx_E, x: 2 * Jx_E),
        (
            checks.check_backprop_identity_x,
            lambda Jx_E, x: -np.asarray(Jx_E),
        ),
    ],
)
def test_a_failing_check_shows_the_same_numbers_every_run(check, candidate):
    first = failure_message(check, candidate)
    assert failure_message(check, candidate) == first


def test_the_jacobian_check_message_matches_its_random_input():
    message = failure_message(
        checks.check_d_relu_d_x, wrong_off_the_examples(fl.d_relu_d_x, 3)
    )
    label, returned = message.split("\n")[:2]
    assert label == "d_relu_d_x(random x (6,)) returned"
    assert np.shape(ast.literal_eval(returned)) == (6, 6)


def test_the_backprop_check_passes_one_row_as_its_message_says():
    def first_row_only(Jx_E, x):
        return (np.asarray(Jx_E)[0] * (np.asarray(x) > 0))[np.newaxis]

    checks.check_backprop_relu_x(first_row_only)
    message = failure_message(
        checks.check_backprop_relu_x, lambda Jx_E, x: 2 * Jx_E
    )
    label, returned = message.split("\n")[:2]
    assert label == "backprop_relu_x(Jx_E (1, 7), x (7,)) returned"
    assert np.shape(ast.literal_eval(returned)) == (1, 7)


def test_check_relu_rejects_a_capped_relu():
    # ReLU6 agrees with relu on small inputs: the random vector must reach
    # beyond 6
    with pytest.raises(AssertionError, match=r"relu\(random vector\)"):
        checks.check_relu(lambda x: np.clip(np.asarray(x), 0, 6))


def test_in_place_messages_name_the_function():
    def mutating_relu(x):
        x = np.asarray(x, dtype=float)
        np.maximum(x, 0, out=x)
        return x

    assert failure_message(checks.check_relu, mutating_relu) == (
        "relu modified its argument 1 in place; work on a copy"
    )

    def mutating_d_relu_d_x(x):
        x[:] = x > 0
        return np.diag(x)

    assert failure_message(checks.check_d_relu_d_x, mutating_d_relu_d_x) == (
        "d_relu_d_x modified its argument 1 in place; work on a copy"
    )


def test_jacobian_examples_are_given_as_floats():
    def d_sigmoid_d_x_zeros_like(x):
        out = np.zeros_like(x)
        out[:] = fl.sigmoid(x) * (1 - fl.sigmoid(x))
        return np.diag(out)

    checks.check_d_sigmoid_d_x(d_sigmoid_d_x_zeros_like)


def test_check_jacobian_tolerates_finite_difference_noise():
    example = [-1.0, 0.0, 2.0]
    expected = fl.d_sigmoid_d_x(np.array(example))

    def offset(x):
        exact = fl.d_sigmoid_d_x(x)
        if np.array_equal(x, example):
            return exact
        return exact + 5e-6 * np.eye(len(x))

    checks.check_jacobian("d", offset, fl.sigmoid, example, expected)


# --- expect_architecture -----------------------------------------------------


def architecture_of(*shapes):
    """An architecture dict with ones of ``shapes`` and identity layers."""
    return {
        "W_list": [np.ones(shape) for shape in shapes],
        "h_list": [fl.identity] * len(shapes),
        "back_h_list": [fl.backprop_identity_x] * len(shapes),
    }


def architecture_failure(architecture, network_shape):
    """The message ``expect_architecture`` raises."""
    return failure_message(
        checks.expect_architecture, architecture, network_shape
    )


def test_expect_architecture_accepts_chained_shapes():
    checks.expect_architecture(architecture_of((3, 5), (2, 4)), [4, 3, 2])
    checks.expect_architecture(architecture_of((3, 5), (2, 4)), [4, None, 2])


def test_expect_architecture_names_a_missing_key():
    architecture = architecture_of((3, 5))
    del architecture["back_h_list"]
    assert architecture_failure(architecture, [4, 3]) == (
        "the architecture has no key 'back_h_list': it needs W_list, "
        "h_list and back_h_list"
    )


def test_expect_architecture_counts_the_layers():
    architecture = architecture_of((3, 5), (2, 4), (1, 3))
    assert architecture_failure(architecture, [4, 3, 2]) == (
        "2 layers expected, got 3 weight matrices, 3 activations and 3 "
        "backward functions"
    )


@pytest.mark.parametrize(
    "shapes, network_shape, wrong",
    [
        (((3, 5), (1, 4)), [4, 3, 2], "W_2 has shape (1, 4), expected (2, 4)"),
        (((3, 4), (2, 4)), [4, 3, 2], "W_1 has shape (3, 4), expected (3, 5)"),
        (((3, 5), (2, 4)), [4, 3, 3], "W_2 has shape (2, 4), expected (3, 4)"),
        (((3, 5), (2, 4)), [5, 3, 2], "W_1 has shape (3, 5), expected (3, 6)"),
    ],
)
def test_expect_architecture_rejects_a_wrong_shape(
    shapes, network_shape, wrong
):
    assert architecture_failure(architecture_of(*shapes), network_shape) == (
        f"{wrong} (m_k rows, m_(k-1) + 1 columns: the last one holds the "
        "biases)"
    )


def test_expect_architecture_chains_unchecked_widths():
    architecture = architecture_of((20, 5), (2, 31))
    assert architecture_failure(architecture, [4, None, 2]) == (
        "W_2 has 31 columns but layer 1 has 20 outputs (plus 1 for the bias)"
    )


def test_train_check_rejects_wrong_per_sample_losses():
    def halves_the_losses(data_train, architecture, learning_rate):
        return 0.5 * fl.train(data_train, architecture, learning_rate)

    with pytest.raises(AssertionError, match="losses train returns"):
        checks.check_train(halves_the_losses)


# --- the distribution checks the verify cells share with the grader ------

A = np.sqrt(3 / 300)
#: 60,000 evenly spaced values over [-A, A], endpoints included: uniform.
GRID = np.linspace(-A, A, 60_000)


def test_an_even_grid_over_the_whole_range_is_uniform():
    assert checks.uniform_problem(GRID, A) is None
    assert checks.uniform_problem(GRID.reshape(200, 300), A) is None


@pytest.mark.parametrize(
    ("values", "said"),
    [
        (GRID * 1.01, "has entries beyond +-0.1000"),
        (GRID * 0.9 + 0.01, "has mean 0.0100, expected about 0"),
        (
            GRID / 2,
            "has variance 0.00083, expected about 0.00333 (uniform on "
            "+-sqrt(3 / inputs))",
        ),
        (
            np.repeat([-A, A], 30_000) / np.sqrt(3),
            "is not uniform on +-0.1000 (KS distance 0.289)",
        ),
    ],
    ids=["range", "mean", "variance", "shape"],
)
def test_each_distribution_problem_is_named(values, said):
    assert checks.uniform_problem(values, A) == said


def test_a_layer_is_uniform_over_its_inputs_with_zero_biases():
    # uniform on +-sqrt(3 / 3) together, each column alone a third of it
    inputs = np.linspace(-1, 1, 3 * 20_000).reshape(3, 20_000).T
    layer = np.hstack([inputs, np.zeros((20_000, 1))])
    assert checks.layer_problem(layer) is None
    layer[0, -1] = 0.1
    assert checks.layer_problem(layer) == (
        "the bias column (the last) must be zero"
    )
    assert checks.layer_problem(np.hstack([inputs / 2, layer[:, -1:] * 0]))
