"""Every check in fashionlib.checks accepts the reference and rejects a
deliberately wrong implementation.
"""

import inspect

import numpy as np
import pytest

import fashionlib as fl
from fashionlib import checks, data

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


def test_check_messages_name_the_function():
    with pytest.raises(AssertionError, match=r"relu\(\[-1, 0, 1\]\)"):
        checks.check_relu(CASES["check_relu"][1])
    with pytest.raises(AssertionError, match="random_matrix"):
        checks.check_random_matrix(CASES["check_random_matrix"][1])


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


def hint_of(check, candidate):
    """The ``Hint:`` line of the message ``check`` gives ``candidate``."""
    with pytest.raises(AssertionError) as failure:
        check(candidate)
    lines = [
        line for line in str(failure.value).splitlines() if "Hint" in line
    ]
    return lines[0] if lines else ""


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


def failure_message(check, candidate):
    """The AssertionError message ``check(candidate)`` raises."""
    with pytest.raises(AssertionError) as error:
        check(candidate)
    return str(error.value)


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
