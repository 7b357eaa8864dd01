"""Verify cells: one check per exercise.

Each ``check_*`` takes a candidate implementation (yours or the reference),
runs it on the homework's examples and on random inputs, and raises
``AssertionError`` with a message that names the function, what it returned
and what was expected.  Expected values come from independent formulas or
from finite differences, never from the function under test.
"""

import functools

import numpy as np

from fashionlib import backprop, network
from fashionlib.backprop import numerical_jacobian, relative_error
from fashionlib.loss import l2

#: Seed of the random test vectors every check draws.
RNG_SEED = 1234
#: Absolute and relative tolerance of the numerical comparisons.
TOL = 1e-6


def verifies(function_name):
    """Decorator for a check of ``function_name``.

    Any error the candidate raises becomes an AssertionError that names the
    function, so a verify cell always says what to fix.
    """

    def decorate(check):
        @functools.wraps(check)
        def run(*candidates):
            try:
                return check(*candidates)
            except AssertionError:
                raise
            except NotImplementedError as error:
                raise AssertionError(
                    str(error)
                    or f"{function_name} is not written yet: replace its "
                    "`raise NotImplementedError` with your code"
                ) from None
            except Exception as error:
                raise AssertionError(
                    f"{function_name} raised {type(error).__name__}: {error}"
                ) from error

        return run

    return decorate


def expect(condition, message):
    """Raise AssertionError(message) unless ``condition`` holds."""
    if not condition:
        raise AssertionError(message)


def with_hint(message, hint):
    """``message`` followed by ``Hint: ...`` when there is a hint."""
    return f"{message}\nHint: {hint}" if hint else message


def expect_close(name, actual, expected, tol=TOL, hint="", shape_hint=""):
    """Check that ``actual`` has ``expected``'s shape and values (to ``tol``).

    ``name`` describes the call.  ``shape_hint`` is shown only when the
    shape is wrong, ``hint`` in both cases.
    """
    expected = np.asarray(expected, dtype=float)
    expect(
        actual is not None,
        f"{name} returned None: did you forget `return`? Expected "
        f"{expected.tolist()}",
    )
    try:
        actual_array = np.asarray(actual, dtype=float)
    except (TypeError, ValueError):
        raise AssertionError(
            f"{name} returned {actual!r}, which is not numeric; expected "
            f"{expected.tolist()}"
        ) from None
    expect(
        actual_array.shape == expected.shape,
        with_hint(
            f"{name} returned shape {actual_array.shape}, expected shape "
            f"{expected.shape}",
            shape_hint or hint,
        ),
    )
    expect(
        np.allclose(actual_array, expected, atol=tol, rtol=tol),
        with_hint(
            f"{name} returned\n{np.round(actual_array, 6).tolist()}\n"
            "expected\n"
            f"{np.round(expected, 6).tolist()}",
            hint,
        ),
    )


def expect_unchanged(name, fn, *args):
    """Call ``fn(*args)`` and check that no array argument was modified in
    place; return the result.
    """
    copies = [
        np.array(a, copy=True) if isinstance(a, np.ndarray) else None
        for a in args
    ]
    result = fn(*args)
    for position, (arg, copy) in enumerate(zip(args, copies, strict=True)):
        if copy is not None:
            expect(
                np.array_equal(arg, copy),
                f"{name} modified its argument {position + 1} in place; work "
                "on a copy",
            )
    return result


def random_vector(rng, size):
    """Standard normal vector ``(size,)`` with no entry near 0 (keeps kinks
    away from finite differences).
    """
    x = rng.standard_normal(size)
    return np.where(np.abs(x) < 0.05, 0.5, x)


# --- The data ----------------------------------------------------------------


@verifies("mean_image")
def check_mean_image(mean_image):
    """``mean_image(images)``.

    ``(N, 28, 28) -> (28, 28)``, the pixel-wise mean.
    """
    rng = np.random.default_rng(RNG_SEED)
    images = rng.integers(0, 256, size=(7, 28, 28), dtype=np.uint8)
    result = expect_unchanged("mean_image", mean_image, images)
    expect_close(
        "mean_image(images)",
        result,
        images.astype(float).sum(axis=0) / 7,
        hint="average over the first axis (the images), not over pixels",
    )


@verifies("class_mean_images")
def check_class_mean_images(class_mean_images):
    """``class_mean_images(images, labels)``.

    ``(10, 28, 28)``, one mean per class in label order.
    """
    rng = np.random.default_rng(RNG_SEED)
    labels = np.repeat(np.arange(10), 3)[rng.permutation(30)]
    images = rng.integers(0, 256, size=(30, 28, 28)).astype(np.uint8)
    expected = np.stack(
        [images[labels == k].astype(float).mean(axis=0) for k in range(10)]
    )
    expect_close(
        "class_mean_images(images, labels)",
        class_mean_images(images, labels),
        expected,
        hint="row k must average the images whose label equals k",
    )


@verifies("whitening_stats")
def check_whitening_stats(whitening_stats):
    """``whitening_stats(images)`` returns the scalar mean and std of all
    pixels.
    """
    images = np.array([[[0, 255], [0, 255]]], dtype=np.uint8)
    result = whitening_stats(images)
    expect(
        len(result) == 2,
        f"whitening_stats must return (mean, std), got {result!r}",
    )
    expect_close(
        "whitening_stats([[0, 255], [0, 255]])",
        np.ravel(result),
        [127.5, 127.5],
        hint="compute in floats: uint8 arithmetic overflows",
    )
    rng = np.random.default_rng(RNG_SEED)
    images = rng.integers(0, 256, size=(5, 28, 28), dtype=np.uint8)
    pixels = images.astype(float)
    expect_close(
        "whitening_stats(random images)",
        np.ravel(whitening_stats(images)),
        [pixels.mean(), pixels.std()],
        hint="one scalar mean and one scalar std over every pixel",
    )


# --- Activation units --------------------------------------------------------


def check_activation(name, h, formula, example_out):
    """Check ``h`` on ``[-1, 0, 1]`` (against ``example_out``) and on random
    vectors (against ``formula``).
    """
    expect_close(
        f"{name}([-1, 0, 1])",
        h([-1, 0, 1]),
        example_out,
        shape_hint=f"{name} must accept a list and return a NumPy vector",
    )
    rng = np.random.default_rng(RNG_SEED)
    x = rng.standard_normal(17) * 4
    expect_close(
        f"{name}(random vector)", expect_unchanged(name, h, x), formula(x)
    )


@verifies("relu")
def check_relu(relu):
    """relu([-1, 0, 1]) == [0, 0, 1], and max(0, x) on random vectors."""
    check_activation(
        "relu", relu, lambda x: np.where(x > 0, x, 0.0), [0, 0, 1]
    )


@verifies("identity")
def check_identity(identity):
    """identity([-1, 0, 1]) == [-1, 0, 1], and x on random vectors."""
    check_activation("identity", identity, lambda x: x, [-1, 0, 1])


@verifies("sigmoid")
def check_sigmoid(sigmoid):
    """``sigmoid(0) == 0.5``, ``1 / (1 + exp(-x))`` on random vectors, finite
    for large ``|x|``.
    """
    check_activation(
        "sigmoid",
        sigmoid,
        lambda x: 1 / (1 + np.exp(-x)),
        1 / (1 + np.exp([1.0, 0.0, -1.0])),
    )
    with np.errstate(over="ignore"):
        extreme = np.asarray(sigmoid(np.array([-1000.0, 1000.0])), dtype=float)
    expect_close(
        "sigmoid([-1000, 1000])",
        extreme,
        [0.0, 1.0],
        hint="use scipy.special.expit to avoid overflow",
    )


# --- A single neuron ---------------------------------------------------------


@verifies("neuron")
def check_neuron(neuron):
    """neuron([-1, 0, 1], [1, 2, 3, 4], relu) == 6; random inputs.

    The bias is the last weight.
    """
    from fashionlib.activations import identity, relu

    out = neuron([-1, 0, 1], [1, 2, 3, 4], relu)
    expect_close(
        "neuron([-1, 0, 1], [1, 2, 3, 4], relu)",
        np.ravel(out),
        [6],
        hint=(
            "append a 1 to x, then take one dot product with w (the bias is "
            "w's last entry)"
        ),
    )
    expect(
        np.size(out) == 1,
        f"neuron must return a single number, got shape {np.shape(out)}",
    )
    expect_close(
        "neuron([1, 1], [-1, -1, 0], relu)",
        np.ravel(neuron([1, 1], [-1, -1, 0], relu)),
        [0],
        hint="apply h after the weighted sum",
    )
    rng = np.random.default_rng(RNG_SEED)
    x, w = rng.standard_normal(9), rng.standard_normal(10)
    expect_close(
        "neuron(random x, random w, identity)",
        np.ravel(expect_unchanged("neuron", neuron, x, w, identity)),
        [x @ w[:-1] + w[-1]],
    )


# --- Layers and the forward pass ---------------------------------------------


@verifies("W1 and W2")
def check_weight_shapes(W1, W2):
    """W1: 1 input to 5 outputs, W2.

    5 inputs to 1 output, all ones, bias columns included.
    """
    expect(
        np.shape(W1) == (5, 2),
        f"W1 has shape {np.shape(W1)}, expected (5, 2): 5 outputs, 1 input + "
        "bias",
    )
    expect(
        np.shape(W2) == (1, 6),
        f"W2 has shape {np.shape(W2)}, expected (1, 6): 1 output, 5 inputs + "
        "bias",
    )
    expect(
        np.all(np.asarray(W1) == 1) and np.all(np.asarray(W2) == 1),
        "W1 and W2 must be filled with ones",
    )
    expect(
        (np.asarray(W1)[:, :-1] @ np.asarray(W2)).shape == (5, 6),
        "W1 without its bias column times W2 must have shape (5, 6)",
    )


@verifies("affine")
def check_affine(affine):
    """affine([-1, 0, 0.5, 1, 1.5], ones (1, 6)) == [3]; random shapes.

    Bias in the last column.
    """
    expect_close(
        "affine([-1, 0, 0.5, 1, 1.5], ones((1, 6)))",
        affine([-1, 0, 0.5, 1, 1.5], np.ones((1, 6))),
        [3],
        hint="append a 1 to x, then multiply: W @ [x, 1]",
    )
    rng = np.random.default_rng(RNG_SEED)
    x, W = rng.standard_normal(4), rng.standard_normal((3, 5))
    expect_close(
        "affine(random x (4,), random W (3, 5))",
        expect_unchanged("affine", affine, x, W),
        W[:, :4] @ x + W[:, 4],
        shape_hint="the result has one entry per row of W",
    )


@verifies("nn")
def check_nn(nn):
    """The all-ones 1-5-1 network with relu then identity maps -1, 0, 1 to 1,
    6, 11; deeper random networks.
    """
    from fashionlib.activations import identity, relu

    W1, W2 = np.ones((5, 2)), np.ones((1, 6))
    for x, expected in ((-1, 1), (0, 6), (1, 11)):
        expect_close(
            f"nn([{x}], [W1, W2], [relu, identity])",
            nn(np.array([x]), [W1, W2], [relu, identity]),
            [expected],
            hint="each layer applies affine first, then its activation",
        )
    rng = np.random.default_rng(RNG_SEED)
    Ws = [
        rng.standard_normal((4, 4)),
        rng.standard_normal((3, 5)),
        rng.standard_normal((2, 4)),
    ]
    x = rng.standard_normal(3)
    expected = x
    for W in Ws:
        expected = np.tanh(W[:, :-1] @ expected + W[:, -1])
    expect_close(
        "nn(x, three random layers, [tanh] * 3)",
        nn(x, Ws, [np.tanh] * 3),
        expected,
        hint=(
            "loop over all layers in order, feeding each output into the "
            "next layer"
        ),
    )


# --- Initialisation ----------------------------------------------------------


#: Standard deviations a sample statistic may stray from its expectation.
SPREAD = 5
#: Chance that a right answer fails the uniformity (KS) test.
KS_LEVEL = 1e-7


def uniform_problem(W, a):
    """Why the entries of ``W`` are not uniform on [-a, a], or None.

    Range, then mean and variance within :data:`SPREAD` standard
    deviations of those of the uniform (0 and a^2 / 3, for the sample
    size), then the Kolmogorov-Smirnov distance to it."""
    x, n = np.ravel(W), np.size(W)
    if np.max(np.abs(x)) > a * (1 + 1e-9):
        return f"has entries beyond +-{a:.4f}"
    if abs(np.mean(x)) > SPREAD * a / np.sqrt(3 * n):
        return f"has mean {np.mean(x):.4f}, expected about 0"
    if abs(np.var(x) - a**2 / 3) > SPREAD * a**2 * np.sqrt(4 / 45 / n):
        return (
            f"has variance {np.var(x):.5f}, expected about {a**2 / 3:.5f} "
            "(uniform on +-sqrt(3 / inputs))"
        )
    u, steps = np.sort((x + a) / (2 * a)), np.arange(n + 1) / n
    distance = max(np.max(steps[1:] - u), np.max(u - steps[:-1]))
    if distance > np.sqrt(np.log(2 / KS_LEVEL) / (2 * n)):
        return f"is not uniform on +-{a:.4f} (KS distance {distance:.3f})"
    return None


def layer_problem(W):
    """Why layer ``W`` is not initialised as the chapter asks, or None."""
    if np.any(W[:, -1] != 0):
        return "the bias column (the last) must be zero"
    return uniform_problem(W[:, :-1], np.sqrt(3 / (W.shape[1] - 1)))


@verifies("random_matrix")
def check_random_matrix(random_matrix):
    """Shape (rows, columns), uniform on +-sqrt(3 / columns) (the grader's
    test too), and a 1000-1000-1000 identity network keeps std 1 within
    10 %.
    """
    W = random_matrix(200, 300)
    expect(
        np.shape(W) == (200, 300),
        f"random_matrix(200, 300) has shape {np.shape(W)}, "
        "expected (200, 300)",
    )
    problem = uniform_problem(W, np.sqrt(3 / 300))
    expect(
        problem is None,
        f"random_matrix(200, 300) {problem} (m is the number of columns)",
    )
    rng = np.random.default_rng(RNG_SEED)
    x = rng.uniform(-np.sqrt(3), np.sqrt(3), size=1000)
    for _ in range(2):
        x = np.hstack(
            [random_matrix(1000, 1000), np.zeros((1000, 1))]
        ) @ np.append(x, 1)
    expect(
        abs(np.mean(x)) < 0.1 and abs(np.std(x) - 1) < 0.1,
        "after two 1000x1000 identity layers initialised by random_matrix "
        "the output has mean "
        f"{np.mean(x):.3f} and std {np.std(x):.3f}; expected mean about 0 and "
        "std 1 within 10 %",
    )


@verifies("initialize_network")
def check_initialize_network(initialize_network):
    """Shapes (m_i, m_{i-1} + 1), each layer as :func:`layer_problem` asks
    (the grader's test too), output (2,) for [1, 5, 3, 2], reproducible,
    global RNG untouched.
    """
    from fashionlib.activations import identity, relu
    from fashionlib.network import nn

    state = np.random.get_state()[1].copy()
    W_list = initialize_network([1, 5, 3, 2])
    expect(
        np.array_equal(np.random.get_state()[1], state),
        "initialize_network changed NumPy's global random state; use a "
        "Generator (np.random.default_rng)",
    )
    shapes = [np.shape(W) for W in W_list]
    expect(
        shapes == [(5, 2), (3, 6), (2, 4)],
        f"initialize_network([1, 5, 3, 2]) gave shapes {shapes}, expected "
        "[(5, 2), (3, 6), (2, 4)]",
    )
    for k, W in enumerate(W_list, 1):
        problem = layer_problem(W)
        expect(problem is None, f"layer {k}: {problem}")
    out = nn(np.array([10.0]), W_list, [relu, relu, identity])
    expect(
        np.shape(out) == (2,),
        f"a [1, 5, 3, 2] network returned shape {np.shape(out)}, "
        "expected (2,)",
    )
    again = initialize_network([1, 5, 3, 2])
    expect(
        all(np.array_equal(a, b) for a, b in zip(W_list, again, strict=True)),
        "initialize_network must give the same weights every time "
        "(fixed seed)",
    )


# --- Layer-wise Jacobians ----------------------------------------------------


def check_jacobian(name, d_f, f, example, example_out):
    """Check the Jacobian function ``d_f`` against ``example_out`` and against
    finite differences of ``f``.
    """
    expect_close(
        f"{name}({list(example)})",
        d_f(np.array(example, dtype=float)),
        example_out,
        shape_hint=(
            "the Jacobian of an element-wise function is a square diagonal "
            "matrix"
        ),
    )
    rng = np.random.default_rng(RNG_SEED)
    x = random_vector(rng, 6)
    expect_close(
        f"{name}(random x (6,))",
        expect_unchanged(name, d_f, x),
        numerical_jacobian(f, x),
        tol=1e-5,
        hint="compared with finite differences",
    )


@verifies("d_relu_d_x")
def check_d_relu_d_x(d_relu_d_x):
    """Diagonal 0/1 matrix: d_relu_d_x([-1, 0, 2]) == diag([0, 0, 1]).

    Matches finite differences.
    """
    from fashionlib.activations import relu

    check_jacobian(
        "d_relu_d_x", d_relu_d_x, relu, [-1, 0, 2], np.diag([0.0, 0.0, 1.0])
    )


@verifies("d_identity_d_x")
def check_d_identity_d_x(d_identity_d_x):
    """The identity matrix of the input's size; matches finite differences."""
    from fashionlib.activations import identity

    check_jacobian(
        "d_identity_d_x", d_identity_d_x, identity, [-1, 0, 2], np.eye(3)
    )


@verifies("d_sigmoid_d_x")
def check_d_sigmoid_d_x(d_sigmoid_d_x):
    """diag(s (1 - s)) with s = sigmoid(x); matches finite differences."""
    from fashionlib.activations import sigmoid

    s = 1 / (1 + np.exp(-np.array([-1.0, 0.0, 2.0])))
    check_jacobian(
        "d_sigmoid_d_x",
        d_sigmoid_d_x,
        sigmoid,
        [-1, 0, 2],
        np.diag(s * (1 - s)),
    )


@verifies("d_affine_d_x")
def check_d_affine_d_x(d_affine_d_x):
    """d_affine_d_x([[1, -2, -3, -4], [-5, -6, 7, 8]]) == [[1, -2, -3], [-5,
    -6, 7]]; finite differences.
    """
    from fashionlib.layers import affine

    W = np.array([[1, -2, -3, -4], [-5, -6, 7, 8]], dtype=float)
    J = d_affine_d_x(W)
    shape_hints = {
        (2, 4): "the bias column does not depend on x: drop it",
        (3, 2): "one row per output, one column per input: (m_out, m_in), "
        "not its transpose",
        (4, 2): "one row per output, and the bias column does not depend on x",
    }
    expect_close(
        "d_affine_d_x(W)",
        J,
        [[1, -2, -3], [-5, -6, 7]],
        shape_hint=shape_hints.get(np.shape(J), ""),
    )
    rng = np.random.default_rng(RNG_SEED)
    x, W = rng.standard_normal(5), rng.standard_normal((3, 6))
    expect_close(
        "d_affine_d_x(random W (3, 6))",
        expect_unchanged("d_affine_d_x", d_affine_d_x, W),
        numerical_jacobian(lambda v: affine(v, W), x),
        tol=1e-5,
    )


@verifies("d_affine_d_W")
def check_d_affine_d_W(d_affine_d_W):
    """Shape (m_out, m_out (m_in + 1)), [x, 1] repeated on the block diagonal.

    Finite differences.
    """
    from fashionlib.layers import affine

    rng = np.random.default_rng(RNG_SEED)
    x, W = rng.standard_normal(3), rng.standard_normal((2, 4))
    J = expect_unchanged("d_affine_d_W", d_affine_d_W, x, W)
    expect(
        np.shape(J) == (2, 8),
        f"d_affine_d_W(x (3,), W (2, 4)) has shape {np.shape(J)}, expected "
        "(2, 8): "
        "one row per output, one column per entry of W",
    )
    expect_close(
        "d_affine_d_W(x, W)",
        J,
        numerical_jacobian(lambda V: affine(x, V), W),
        tol=1e-5,
        hint=(
            "W is flattened row by row, so row i holds [x, 1] in the block "
            "of W's row i"
        ),
    )


# --- The objective -----------------------------------------------------------


@verifies("l2")
def check_l2(l2):
    """l2([1], [2]) == 1, l2([-1, 0, 1], [1, 1, 2]) == 6, a scalar.

    Random vectors.
    """
    for x, y, expected in (([1], [2], 1), ([-1, 0, 1], [1, 1, 2], 6)):
        out = l2(np.array(x, dtype=float), np.array(y, dtype=float))
        expect(
            np.size(out) == 1,
            f"l2({x}, {y}) must be one number, got shape {np.shape(out)}: sum "
            "the squares",
        )
        expect_close(f"l2({x}, {y})", np.ravel(out), [expected])
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.standard_normal(8), rng.standard_normal(8)
    expect_close(
        "l2(random x, random y)",
        np.ravel(expect_unchanged("l2", l2, x, y)),
        [np.sum((x - y) ** 2)],
    )


@verifies("d_l2_d_x")
def check_d_l2_d_x(d_l2_d_x):
    """d_l2_d_x([1], [2]) == [[-2]], d_l2_d_x([-1, 0, 1], [1, 1, 2]) == [[-4,
    -2, -2]] as (1, m) rows.
    """
    for x, y, expected in (
        ([1], [2], [[-2]]),
        ([-1, 0, 1], [1, 1, 2], [[-4, -2, -2]]),
    ):
        expect_close(
            f"d_l2_d_x({x}, {y})",
            d_l2_d_x(np.array(x, dtype=float), np.array(y, dtype=float)),
            expected,
            shape_hint="the gradient of a scalar is a row of shape (1, m)",
        )
    rng = np.random.default_rng(RNG_SEED)
    x, y = rng.standard_normal(6), rng.standard_normal(6)
    expect_close(
        "d_l2_d_x(random x, random y)",
        expect_unchanged("d_l2_d_x", d_l2_d_x, x, y),
        numerical_jacobian(lambda v: l2(v, y), x),
        tol=1e-5,
    )


# --- Backpropagation ---------------------------------------------------------


def check_backprop_activation(name, backprop, d_f):
    """``backprop(Jx_E, x)`` must equal ``Jx_E @ d_f(x)`` for a random upstream
    row.
    """
    rng = np.random.default_rng(RNG_SEED)
    x, Jx_E = random_vector(rng, 7), rng.standard_normal((1, 7))
    expect_close(
        f"{name}(Jx_E (1, 7), x (7,))",
        expect_unchanged(name, backprop, Jx_E, x),
        Jx_E @ d_f(x),
        hint=(
            "multiply the upstream row by the diagonal of the Jacobian, "
            "element-wise"
        ),
    )


@verifies("backprop_relu_x")
def check_backprop_relu_x(backprop_relu_x):
    """Same result as the row times relu's Jacobian."""
    from fashionlib.jacobians import d_relu_d_x

    check_backprop_activation("backprop_relu_x", backprop_relu_x, d_relu_d_x)


@verifies("backprop_identity_x")
def check_backprop_identity_x(backprop_identity_x):
    """Same result as the row times the identity matrix."""
    from fashionlib.jacobians import d_identity_d_x

    check_backprop_activation(
        "backprop_identity_x", backprop_identity_x, d_identity_d_x
    )


@verifies("backprop_affine_x")
def check_backprop_affine_x(backprop_affine_x):
    """Same result as the row times W without its bias column, (1, m_in)."""
    rng = np.random.default_rng(RNG_SEED)
    W, Jx_E = rng.standard_normal((4, 6)), rng.standard_normal((1, 4))
    expect_close(
        "backprop_affine_x(Jx_E (1, 4), W (4, 6))",
        expect_unchanged("backprop_affine_x", backprop_affine_x, Jx_E, W),
        Jx_E @ W[:, :-1],
        shape_hint="the bias column does not reach the input",
    )


@verifies("backprop_affine_W")
def check_backprop_affine_W(backprop_affine_W):
    """Same numbers as the row times the Kronecker Jacobian (any shape that
    reshapes to W's).
    """
    rng = np.random.default_rng(RNG_SEED)
    x, W, Jx_E = (
        rng.standard_normal(5),
        rng.standard_normal((3, 6)),
        rng.standard_normal((1, 3)),
    )
    out = np.asarray(
        expect_unchanged("backprop_affine_W", backprop_affine_W, Jx_E, x, W)
    )
    expect(
        out.size == W.size,
        f"backprop_affine_W returned {out.size} numbers, expected one per "
        f"entry of W ({W.size})",
    )
    expect_close(
        "backprop_affine_W(Jx_E, x, W) reshaped to W's shape",
        out.reshape(W.shape),
        np.outer(Jx_E, np.append(x, 1)),
        hint="entry (i, j) is Jx_E[i] times [x, 1][j]",
    )


@verifies("backprop_nn_W")
def check_backprop_nn_W(backprop_nn_W):
    """Gradients of a random 4-5-3 relu-identity network agree with finite
    differences (relative error < 1e-6).
    """
    from fashionlib.backprop import numerical_gradient_W

    rng = np.random.default_rng(RNG_SEED)
    architecture = backprop.architecture([4, 5, 3], seed=rng)
    x, label = random_vector(rng, 4), rng.standard_normal(3)
    analytic = backprop_nn_W(x, label, **architecture)
    numeric = numerical_gradient_W(x, label, **architecture)
    expect(
        len(analytic) == 2,
        f"backprop_nn_W returned {len(analytic)} gradients for 2 layers",
    )
    for i, (a, n) in enumerate(zip(analytic, numeric, strict=True)):
        expect(
            np.shape(a) == np.shape(n),
            f"gradient {i} has shape {np.shape(a)}, expected {np.shape(n)}",
        )
        expect(
            np.all(np.isfinite(a)),
            f"gradient of layer {i} holds nan or inf entries: "
            f"{np.count_nonzero(~np.isfinite(a))} of {np.size(a)}",
        )
        error = relative_error(a, n)
        expect(
            error < 1e-6,
            f"gradient of layer {i} differs from finite differences (relative "
            f"error {error:.2e})",
        )


# --- Training ----------------------------------------------------------------


@verifies("train")
def check_train(train):
    """One call makes one SGD step per sample (W -= lr * gradient), returns
    each sample's loss before its step, and fits a separable toy problem.
    """
    from fashionlib.backprop import backprop_nn_W

    rng = np.random.default_rng(RNG_SEED)
    W0 = rng.standard_normal((2, 5)) * 0.1
    data = {
        "images": rng.standard_normal((1, 2, 2)),
        "labels": np.array([[1.0, 0.0]]),
    }
    architecture = {**backprop.architecture([4, 2]), "W_list": [W0.copy()]}
    x, y = data["images"][0].ravel(), data["labels"][0]
    gradient = backprop_nn_W(x, y, **architecture)[0].reshape(W0.shape)
    loss_before = l2(network.nn(x, [W0], architecture["h_list"]), y)
    losses = train(data, architecture, 0.1)
    expect_close(
        "the losses train returns for one sample",
        losses,
        np.array([loss_before]),
        hint="return an array (N,) of each sample's loss before its update",
    )
    expect_close(
        "W after one train step on one sample",
        architecture["W_list"][0],
        W0 - 0.1 * gradient,
        hint=(
            "step against the gradient, W -= learning_rate * gradient, in "
            "place"
        ),
    )

    images = np.concatenate(
        [rng.normal(-1, 0.3, (20, 1, 2)), rng.normal(1, 0.3, (20, 1, 2))]
    )
    labels = np.repeat(np.eye(2), 20, axis=0)
    order = rng.permutation(40)
    data = {"images": images[order], "labels": labels[order]}
    architecture = {
        **backprop.architecture([2, 2]),
        "W_list": [np.zeros((2, 3))],
    }
    for _ in range(20):
        train(data, architecture, 0.05)
    predicted = np.argmax(
        [
            architecture["W_list"][0] @ np.append(x.ravel(), 1)
            for x in data["images"]
        ],
        axis=1,
    )
    accuracy = 100 * np.mean(predicted == np.argmax(data["labels"], axis=1))
    expect(
        accuracy == 100,
        "after 20 epochs on two well separated clusters train reached "
        f"{accuracy:.0f} % "
        "accuracy, expected 100 %",
    )


# --- Regression and classification -------------------------------------------


@verifies("output_to_label_regression")
def check_output_to_label_regression(output_to_label_regression):
    """Rounds to the nearest integer and clips to 0..9; returns an int."""
    for x, expected in (
        (np.array([3.4]), 3),
        (np.array([3.6]), 4),
        (np.array([-2.0]), 0),
        (np.array([12.3]), 9),
        (7, 7),
    ):
        out = output_to_label_regression(x)
        expect(
            isinstance(out, (int, np.integer)) and out == expected,
            f"output_to_label_regression({x!r}) returned {out!r}, expected "
            f"the int {expected}",
        )


@verifies("prediction_to_label_classification")
def check_prediction_to_label_classification(
    prediction_to_label_classification,
):
    """The index of the largest score, as an int.

    One-hot vectors map back to their label.
    """
    for k in range(10):
        out = prediction_to_label_classification(np.eye(10)[k])
        expect(
            isinstance(out, (int, np.integer)) and out == k,
            f"prediction_to_label_classification(one-hot {k}) returned "
            f"{out!r}, expected the int {k}",
        )
    scores = np.array([0.1, -0.2, 0.05, 0.0, 0.3, 0.8, 0.79, 0.0, 0.1, 0.2])
    out = prediction_to_label_classification(scores)
    expect(
        out == 5,
        f"prediction_to_label_classification({scores.tolist()}) returned "
        f"{out!r}, expected 5 (the argmax)",
    )


# --- The warm-up ---------------------------------------------------------


@verifies("neuron_loss_gradient")
def check_neuron_loss_gradient(neuron_loss_gradient):
    """(df/dw, df/db, df/dx) of (h(w x + b) - y)^2: centred differences.

    Tried with relu and sigmoid at random points away from relu's kink.
    """
    from fashionlib.activations import relu, sigmoid

    slopes = {
        relu: lambda i: float(i > 0),
        sigmoid: lambda i: sigmoid([i])[0] * (1 - sigmoid([i])[0]),
    }
    rng = np.random.default_rng(RNG_SEED)
    for h, h_prime in slopes.items():
        for _ in range(5):
            x, w, b, y = rng.normal(0, 1.5, size=4)
            if abs(w * x + b) < 0.05:  # keep away from relu's kink
                b += 0.5

            def f(params, h=h, y=y):
                return (h([params[1] * params[0] + params[2]])[0] - y) ** 2

            numeric = numerical_jacobian(f, np.array([x, w, b]))[0]
            expected = numeric[[1, 2, 0]]  # reorder to (w, b, x)
            expect_close(
                f"neuron_loss_gradient({x:.3f}, {w:.3f}, {b:.3f}, {y:.3f}, "
                f"{h.__name__}, h')",
                np.ravel(neuron_loss_gradient(x, w, b, y, h, h_prime)),
                expected,
                tol=1e-5,
                hint="df/di = 2 (h(i) - y) h'(i) with i = w x + b; then "
                "multiply by di/dw = x, di/db = 1, di/dx = w",
            )

# --- Architectures -----------------------------------------------------------


def expect_architecture(architecture, network_shape):
    """An architecture dict whose weights chain ``network_shape``.

    ``architecture`` has the keys ``W_list``, ``h_list`` and
    ``back_h_list``, one entry per layer k = 1..L, and ``W_list[k - 1]``
    has the shape ``(m_k, m_{k-1} + 1)`` of ``network_shape``
    ``[m_0, ..., m_L]`` (``None`` entries are not checked).
    """
    for key in ("W_list", "h_list", "back_h_list"):
        expect(
            key in architecture,
            f"the architecture has no key {key!r}: it needs W_list, h_list "
            "and back_h_list",
        )
    W_list = architecture["W_list"]
    expect(
        len(W_list)
        == len(architecture["h_list"])
        == len(architecture["back_h_list"])
        == len(network_shape) - 1,
        f"{len(network_shape) - 1} layers expected, got {len(W_list)} "
        f"weight matrices, {len(architecture['h_list'])} activations and "
        f"{len(architecture['back_h_list'])} backward functions",
    )
    for k, W in enumerate(W_list, start=1):
        m_out, m_in = network_shape[k], network_shape[k - 1]
        expected = (
            None if m_out is None else m_out,
            None if m_in is None else m_in + 1,
        )
        actual = np.shape(W)
        expect(
            len(actual) == 2
            and all(
                e is None or e == a
                for e, a in zip(expected, actual, strict=True)
            ),
            f"W_{k} has shape {actual}, expected {expected} "
            "(m_k rows, m_(k-1) + 1 columns: the last one holds the biases)",
        )
        if k > 1:
            expect(
                actual[1] == np.shape(W_list[k - 2])[0] + 1,
                f"W_{k} has {actual[1]} columns but layer {k - 1} has "
                f"{np.shape(W_list[k - 2])[0]} outputs (plus 1 for the bias)",
            )


@verifies("architecture_linear")
def check_architecture_linear(architecture_linear):
    """784-50-1, the identity and its backward function in both layers."""
    from fashionlib.activations import identity
    from fashionlib.backprop import backprop_identity_x
    from fashionlib.network import initialize_network

    expect_architecture(architecture_linear, [784, 50, 1])
    rng = np.random.default_rng(RNG_SEED)
    x, row = random_vector(rng, 50), rng.standard_normal((1, 50))
    for k, (h, back_h) in enumerate(
        zip(
            architecture_linear["h_list"],
            architecture_linear["back_h_list"],
            strict=True,
        ),
        start=1,
    ):
        expect_close(
            f"h_{k} (activation of layer {k})",
            h(x),
            identity(x),
            hint="both layers use identity: no ReLU anywhere",
        )
        expect_close(
            f"back_h_list[{k - 1}] (backward function of layer {k})",
            back_h(row, x),
            backprop_identity_x(row, x),
            hint="the backward function of identity is backprop_identity_x",
        )
    for k, (W, W_ref) in enumerate(
        zip(
            architecture_linear["W_list"],
            initialize_network([784, 50, 1]),
            strict=True,
        ),
        start=1,
    ):
        expect_close(
            f"W_{k}",
            W,
            W_ref,
            hint="start from initialize_network([784, 50, 1]), the same "
            "initial weights as architecture_regression",
        )


#: Validation accuracy (%) the design exercise asks for, after one epoch.
DESIGN_MIN_ACCURACY = 76.0
#: Seconds the one training epoch of the design exercise may take at most.
DESIGN_MAX_SECONDS = 45.0


@verifies("architecture design")
def check_architecture_design(
    architecture,
    data_train,
    data_validation,
    min_accuracy=DESIGN_MIN_ACCURACY,
    max_seconds=DESIGN_MAX_SECONDS,
    learning_rate=0.001,
    seed=0,
):
    """Train a copy of ``architecture`` for one epoch, then score it.

    The architecture maps x_0 ``(784,)`` to class scores x_L ``(10,)``.
    Training: one epoch of :func:`fashionlib.training.train` over
    ``data_train`` (images and one-hot labels) in the order drawn with
    ``seed``, learning rate eta = ``learning_rate``.  Accepts when the
    accuracy on ``data_validation`` reaches ``min_accuracy`` (%) and the
    epoch took at most ``max_seconds``.  Returns ``(accuracy, seconds)``.
    """
    import time

    from fashionlib.evaluation import prediction_to_label_classification
    from fashionlib.training import train_and_evaluate

    shape = [784] + [None] * (len(architecture["W_list"]) - 1) + [10]
    expect_architecture(architecture, shape)
    start = time.perf_counter()
    run = train_and_evaluate(
        architecture,
        1,
        learning_rate,
        data_train,
        data_validation,
        output_to_label=prediction_to_label_classification,
        seed=seed,
    )
    seconds = time.perf_counter() - start
    widths = [np.shape(W)[0] for W in architecture["W_list"]]
    name = "-".join(str(m) for m in [784, *widths])
    expect(
        run.accuracy[-1] >= min_accuracy,
        f"{name} reached {run.accuracy[-1]:.2f} % validation accuracy, the "
        f"target is {min_accuracy} %: try more hidden units",
    )
    expect(
        seconds <= max_seconds,
        f"{name} took {seconds:.1f} s for the epoch, the budget is "
        f"{max_seconds} s: try a smaller network",
    )
    return run.accuracy[-1], seconds


# --- Convolution -------------------------------------------------------------


def direct_conv2d(U, K, b, padding=0, stride=1):
    """The convolution layer by its definition, one sum per output entry.

    ``U`` ``(C_in, n_h, n_w)``, ``K`` ``(C_out, C_in, k, k)``, ``b``
    ``(C_out,)``; the checks' own formula, slow and plain.
    """
    p, s, k = padding, stride, K.shape[-1]
    U = np.pad(np.asarray(U, float), ((0, 0), (p, p), (p, p)))
    rows, columns = ((n - k) // s + 1 for n in U.shape[1:])
    V = np.zeros((len(K), rows, columns))
    for o, i, j in np.ndindex(V.shape):
        window = U[:, i * s : i * s + k, j * s : j * s + k]
        V[o, i, j] = b[o] + np.sum(K[o] * window)
    return V


def direct_max_pool(U, size):
    """Max pooling by its definition: the maximum of each block."""
    C, n_h, n_w = np.shape(U)
    P = np.zeros((C, n_h // size, n_w // size))
    for c, i, j in np.ndindex(P.shape):
        P[c, i, j] = np.max(
            U[c, i * size : (i + 1) * size, j * size : (j + 1) * size]
        )
    return P


#: (input shape, output channels, kernel side, padding, stride) of the
#: convolution checks; the last one leaves the bottom row out of every
#: window.
CONV_CASES = (
    ((2, 5, 5), 3, 3, 0, 1),
    ((2, 6, 5), 2, 3, 1, 2),
    ((1, 6, 6), 2, 3, 0, 2),
)


def conv_case(case, rng):
    """Random ``U``, ``K``, ``b`` and an upstream ``G`` for ``case``."""
    shape, C_out, k, padding, stride = case
    U, K = (
        rng.standard_normal(shape),
        rng.standard_normal((C_out, shape[0], k, k)),
    )
    b = rng.standard_normal(C_out)
    G = rng.standard_normal(direct_conv2d(U, K, b, padding, stride).shape)
    return U, K, b, G


def conv_label(name, case, *arguments):
    """How a check names one call: ``conv2d(U (2, 5, 5), ..., stride=1)``."""
    shape, C_out, k, padding, stride = case
    return (
        f"{name}({', '.join(arguments)}, U {shape}, K ({C_out}, {shape[0]}, "
        f"{k}, {k}), padding={padding}, stride={stride})"
    )


@verifies("conv2d")
def check_conv2d(conv2d):
    """A worked example by hand, then random images with padding and
    stride against the definition."""
    U = np.arange(9.0).reshape(1, 3, 3)
    K = np.array([[[[1.0, 0.0], [0.0, -1.0]]]])
    expect_close(
        "conv2d(U = [[0..8]] (1, 3, 3), K = [[1, 0], [0, -1]], b = [0.5])",
        conv2d(U, K, np.array([0.5])),
        np.full((1, 2, 2), -3.5),
        hint="a 2 x 2 kernel fits 2 x 2 times in a 3 x 3 image; each "
        "output is 0.5 + top-left - bottom-right of its window",
    )
    rng = np.random.default_rng(RNG_SEED)
    for case in CONV_CASES:
        U, K, b, _ = conv_case(case, rng)
        expect_close(
            conv_label("conv2d", case, "b"),
            expect_unchanged("conv2d", conv2d, U, K, b, *case[3:]),
            direct_conv2d(U, K, b, *case[3:]),
            hint="pad with zeros on every side, move the window by `stride`"
            " pixels, and do not flip the kernel",
        )


def numerical_conv_gradients(U, K, b, G, padding, stride):
    """dE/dU and dE/dK of ``E = sum(G * V)`` for the convolution ``V`` of
    the definition, by finite differences."""

    def loss(U, K):
        return np.sum(G * direct_conv2d(U, K, b, padding, stride))

    G_U = numerical_jacobian(lambda X: loss(X, K), U).reshape(U.shape)
    G_K = numerical_jacobian(lambda L: loss(U, L), K).reshape(K.shape)
    return G_U, G_K


def expect_conv_gradient(name, backprop, which, hint):
    """Check ``backprop`` (``name``) on every case of CONV_CASES against
    finite differences: ``which`` is "U" (arguments G, K, U.shape) or "K"
    (arguments G, U, K)."""
    rng = np.random.default_rng(RNG_SEED)
    for case in CONV_CASES:
        U, K, b, G = conv_case(case, rng)
        padding, stride = case[3:]
        given = (G, K, U.shape) if which == "U" else (G, U, K)
        names = ("G", "K", "U.shape") if which == "U" else ("G", "U", "K")
        expect_close(
            conv_label(name, case, *names),
            expect_unchanged(name, backprop, *given, padding, stride),
            numerical_conv_gradients(U, K, b, G, padding, stride)[
                which == "K"
            ],
            tol=1e-5,
            hint=hint,
        )


@verifies("backprop_conv2d_U")
def check_backprop_conv2d_U(backprop_conv2d_U):
    """dE/dU for E = sum(G * conv2d(U, K, b)), against finite differences
    of the definition."""
    expect_conv_gradient(
        "backprop_conv2d_U",
        backprop_conv2d_U,
        "U",
        hint="the full correlation of G (spread out by the stride) with"
        " the flipped kernel, without the padding's pixels; input pixels"
        " in no window get 0",
    )


@verifies("backprop_conv2d_K")
def check_backprop_conv2d_K(backprop_conv2d_K):
    """dE/dK for E = sum(G * conv2d(U, K, b)), against finite differences
    of the definition."""
    expect_conv_gradient(
        "backprop_conv2d_K",
        backprop_conv2d_K,
        "K",
        hint="dK[o, q, u, v] sums G[o, i, j] times the padded "
        "U[q, stride i + u, stride j + v] over the output pixels",
    )


@verifies("max_pool")
def check_max_pool(max_pool):
    """A 4 x 4 example by hand, then random images, sizes 2 and 3."""
    U = np.array([[[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 1], [9, 2, 1, 1]]])
    expect_close(
        "max_pool(U (1, 4, 4), 2)",
        max_pool(U, 2),
        [[[5, 8], [9, 1]]],
        shape_hint="each 2 x 2 block gives one output: (C, n_h/2, n_w/2)",
    )
    rng = np.random.default_rng(RNG_SEED)
    for shape, size in (((3, 4, 6), 2), ((2, 6, 3), 3)):
        U = rng.standard_normal(shape)
        expect_close(
            f"max_pool(random U {shape}, {size})",
            expect_unchanged("max_pool", max_pool, U, size),
            direct_max_pool(U, size),
        )


@verifies("backprop_max_pool")
def check_backprop_max_pool(backprop_max_pool):
    """G goes to each block's maximum: by hand, then finite differences."""
    U = np.array([[[1.0, 5, 2, 0], [3, 4, 8, 1], [0, 0, 1, 2], [9, 2, 1, 1]]])
    G = np.array([[[1.0, 2.0], [3.0, 4.0]]])
    expected = np.zeros((1, 4, 4))
    expected[0, 0, 1], expected[0, 1, 2] = 1.0, 2.0
    expected[0, 3, 0], expected[0, 2, 3] = 3.0, 4.0
    expect_close(
        "backprop_max_pool(G (1, 2, 2), U (1, 4, 4), 2)",
        backprop_max_pool(G, U, 2),
        expected,
        hint="each entry of G goes to the position of its block's maximum;"
        " the other entries of the block get 0",
    )
    rng = np.random.default_rng(RNG_SEED)
    for shape, size in (((3, 4, 6), 2), ((2, 6, 3), 3)):
        U = rng.standard_normal(shape)
        G = rng.standard_normal(direct_max_pool(U, size).shape)
        expect_close(
            f"backprop_max_pool(G, random U {shape}, {size})",
            expect_unchanged(
                "backprop_max_pool", backprop_max_pool, G, U, size
            ),
            numerical_pool_gradient(U, G, size),
            tol=1e-5,
        )


def numerical_pool_gradient(U, G, size):
    """dE/dU of ``E = sum(G * max_pool(U, size))`` by finite differences."""
    J = numerical_jacobian(lambda X: direct_max_pool(X, size), U)
    return (G.reshape(1, -1) @ J).reshape(U.shape)
