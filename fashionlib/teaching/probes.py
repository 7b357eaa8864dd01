"""The grader's inputs, the calls it makes, and how it compares results.

Each check of the rubric has probes: ``(label, code)`` pairs that
:func:`fashionlib.teaching.harness.run_calls` runs with ``f`` the student's
function (or the reference), ``A`` the inputs of :func:`make_inputs` and
``g`` the graded definitions' namespace. The inputs, a seed for the
random initialisations among them, are drawn afresh for every grading run
from a seed the notebook never sees. Functions that take an activation get
the harness's ``tanh_`` and ``half_``, which no graded function computes.
"""

import numpy as np

from fashionlib.teaching.harness import run_calls

#: Absolute and relative tolerance of a comparison with the reference.
TOL = 1e-6


def make_inputs(seed):
    """The arrays every probe draws on: {name: array}, from ``seed``."""
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(5)
    v = np.where(np.abs(v) < 0.05, 0.5, v)  # no entry at relu's kink
    return {
        "images": rng.integers(0, 256, (7, 28, 28), dtype=np.uint8),
        "images30": rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
        "labels30": rng.permutation(np.repeat(np.arange(10), 3)),
        "v": v * 3,
        "w": rng.standard_normal(6),
        "y": rng.standard_normal(5),
        "y2": rng.standard_normal(2),
        "W": rng.standard_normal((3, 6)),
        "W2": rng.standard_normal((2, 4)),
        "row": rng.standard_normal((1, 5)),
        "row3": rng.standard_normal((1, 3)),
        "Wt": rng.standard_normal((2, 5)) * 0.1,
        "timages": rng.standard_normal((6, 2, 2)),
        "tlabels": np.eye(2)[rng.integers(0, 2, 6)],
        "reg": np.concatenate(
            [rng.uniform(-2, 12, 8), [-0.7, 0.4, 3.5, 4.49, 9.6, 12.3]]
        ),
        "scores": rng.standard_normal((6, 10)),
        "seed": rng.integers(2**31),
        # the chapter "Convolution"
        "cU": rng.standard_normal((2, 6, 5)),
        "cK": rng.standard_normal((3, 2, 3, 3)),
        "cb": rng.standard_normal(3),
        "cG": rng.standard_normal((3, 3, 3)),  # padding 1, stride 2
        "pU": rng.standard_normal((2, 4, 6)),
        "pG": rng.standard_normal((2, 2, 3)),
        "cG1": rng.standard_normal((3, 4, 3)),  # no padding, stride 1
    }


UNCHANGED = "x = A['v'].copy(); out = [f(x), x]"
TRAIN = (
    "arch = {'W_list': [A['Wt'].copy()], 'h_list': [half_], "
    "'back_h_list': [back_half_]}\n"
    "losses = f({'images': A['timages'], 'labels': A['tlabels']}, arch, "
    "0.05)\nout = [*arch['W_list'], losses]"
)
SEEDED = (
    "s = int(A['seed']); out = [f(200, 300, seed=s), f(200, 300, seed=s), "
    "f(200, 300, seed=s + 1)]"
)
LABELS = (
    "r = [f(x) for x in {}]\n"
    "out = [r, [isinstance(v, (int, np.integer)) for v in r]]"
)

#: Check -> its probes, (what the call is, the code that sets ``out``).
PROBES = {
    "check_mean_image": [
        ("mean_image(images (7, 28, 28))", "out = f(A['images'])")
    ],
    "check_class_mean_images": [
        (
            "class_mean_images(images (30, 28, 28), labels (30,))",
            "out = f(A['images30'], A['labels30'])",
        )
    ],
    "check_whitening_stats": [
        ("whitening_stats(images (7, 28, 28))", "out = f(A['images'])")
    ],
    "check_relu": [
        ("relu([-1, 0, 1])", "out = f([-1, 0, 1])"),
        ("relu(x (5,))", UNCHANGED),
    ],
    "check_identity": [
        ("identity([-1, 0, 1])", "out = f([-1, 0, 1])"),
        ("identity(x (5,))", UNCHANGED),
    ],
    "check_sigmoid": [
        ("sigmoid([-1, 0, 1])", "out = f([-1, 0, 1])"),
        ("sigmoid(x (5,))", UNCHANGED),
        ("sigmoid([-1000, 1000])", "out = f(np.array([-1000.0, 1000.0]))"),
    ],
    "check_neuron": [
        ("neuron(x (5,), w (6,), tanh)", "out = f(A['v'], A['w'], tanh_)"),
        (
            "neuron(x (5,), w (6,), z / 2)",
            "out = f(A['v'], A['w'], half_)",
        ),
    ],
    "check_weight_shapes": [("W1 and W2", "out = [g.get('W1'), g.get('W2')]")],
    "check_affine": [
        (
            "affine(x (5,), W (3, 6))",
            "x, W = A['v'], A['W']; out = [f(x, W), x, W]",
        )
    ],
    "check_nn": [
        (
            "nn(x (5,), [W (3, 6), W (2, 4)], [tanh, z / 2])",
            "out = f(A['v'], [A['W'], A['W2']], [tanh_, half_])",
        )
    ],
    "check_random_matrix": [
        ("random_matrix(200, 300, seed=s), twice, then seed=s + 1", SEEDED)
    ],
    "check_initialize_network": [
        (
            "initialize_network([300, 200, 100], seed=s), twice, then "
            "seed=s + 1",
            "s = int(A['seed']); shape = [300, 200, 100]\n"
            "out = [*f(shape, seed=s), *f(shape, seed=s), "
            "*f(shape, seed=s + 1)]",
        )
    ],
    "check_d_relu_d_x": [("d_relu_d_x(x (5,))", "out = f(A['v'])")],
    "check_d_identity_d_x": [("d_identity_d_x(x (5,))", "out = f(A['v'])")],
    "check_d_sigmoid_d_x": [("d_sigmoid_d_x(x (5,))", "out = f(A['v'])")],
    "check_d_affine_d_x": [("d_affine_d_x(W (3, 6))", "out = f(A['W'])")],
    "check_d_affine_d_W": [
        ("d_affine_d_W(x (5,), W (3, 6))", "out = f(A['v'], A['W'])")
    ],
    "check_l2": [("l2(x (5,), y (5,))", "out = f(A['v'], A['y'])")],
    "check_d_l2_d_x": [
        ("d_l2_d_x(x (5,), y (5,))", "out = f(A['v'], A['y'])")
    ],
    "check_backprop_affine_W": [
        (
            "backprop_affine_W(row (1, 3), x (5,), W (3, 6)), flattened",
            "out = np.reshape(f(A['row3'], A['v'], A['W']), -1)",
        )
    ],
    "check_backprop_relu_x": [
        ("backprop_relu_x(row (1, 5), x (5,))", "out = f(A['row'], A['v'])")
    ],
    "check_backprop_identity_x": [
        (
            "backprop_identity_x(row (1, 5), x (5,))",
            "out = f(A['row'], A['v'])",
        )
    ],
    "check_backprop_affine_x": [
        (
            "backprop_affine_x(row (1, 3), W (3, 6))",
            "out = f(A['row3'], A['W'])",
        )
    ],
    "check_backprop_nn_W": [
        (
            "backprop_nn_W(x (5,), label (2,), 5-3-2 tanh-half network)",
            "out = f(A['v'], A['y2'], [A['W'], A['W2']], [tanh_, half_], "
            "[back_tanh_, back_half_])",
        )
    ],
    "check_train": [
        ("train(6 samples, one z / 2 layer, 0.05): W_list, losses", TRAIN)
    ],
    "check_output_to_label_regression": [
        ("output_to_label_regression of 10 outputs", LABELS.format("A['reg']"))
    ],
    "check_prediction_to_label_classification": [
        (
            "prediction_to_label_classification of 6 score vectors",
            LABELS.format("A['scores']"),
        )
    ],
    "check_conv2d": [
        (
            "conv2d(U (2, 6, 5), K (3, 2, 3, 3), b (3,))",
            "out = f(A['cU'], A['cK'], A['cb'])",
        ),
        (
            "conv2d(U (2, 6, 5), K (3, 2, 3, 3), b (3,), 1, 2)",
            "out = f(A['cU'], A['cK'], A['cb'], 1, 2)",
        ),
    ],
    "check_backprop_conv2d_U": [
        (
            "backprop_conv2d_U(G (3, 3, 3), K, (2, 6, 5), 1, 2)",
            "out = f(A['cG'], A['cK'], (2, 6, 5), 1, 2)",
        ),
        (
            "backprop_conv2d_U(G (3, 4, 3), K, (2, 6, 5))",
            "out = f(A['cG1'], A['cK'], (2, 6, 5))",
        ),
    ],
    "check_backprop_conv2d_K": [
        (
            "backprop_conv2d_K(G (3, 3, 3), U (2, 6, 5), K, 1, 2)",
            "out = f(A['cG'], A['cU'], A['cK'], 1, 2)",
        ),
        (
            "backprop_conv2d_K(G (3, 4, 3), U (2, 6, 5), K)",
            "out = f(A['cG1'], A['cU'], A['cK'])",
        ),
    ],
    "check_max_pool": [("max_pool(U (2, 4, 6), 2)", "out = f(A['pU'], 2)")],
    "check_backprop_max_pool": [
        (
            "backprop_max_pool(G (2, 2, 3), U (2, 4, 6), 2)",
            "out = f(A['pG'], A['pU'], 2)",
        )
    ],
}


def short(array, limit=8):
    """An array as a short list for a message (first ``limit`` entries)."""
    flat = np.round(np.ravel(array), 6).tolist()
    text = str(flat[:limit])
    return text if len(flat) <= limit else text[:-1] + ", ...]"


def compare(label, got, expected):
    """None when ``got`` matches the reference's ``expected``, else why not.

    Both are lists of arrays; ``got`` may be the text of an error.
    """
    if isinstance(got, str):
        return f"{label} raised {got}"
    if len(got) != len(expected):
        return f"{label} returned {len(got)} items, expected {len(expected)}"
    for a, b in zip(got, expected, strict=True):
        if a.shape != b.shape:
            return f"{label} returned shape {a.shape}, expected {b.shape}"
        if not np.allclose(a, b, atol=TOL, rtol=TOL, equal_nan=False):
            return f"{label} returned {short(a)}, expected {short(b)}"
    return None


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


def compare_seeded(label, got, expected, weights):
    """Shapes, then the problem of ``weights`` (the first call's matrices
    against their bound), then: the same seed repeats, another differs."""
    if isinstance(got, str):
        return f"{label} raised {got}"
    shapes, wanted = [a.shape for a in got], [b.shape for b in expected]
    if shapes != wanted:
        return f"{label} returned shapes {shapes}, expected {wanted}"
    third = len(got) // 3
    for W in got[:third]:
        problem = weights(W)
        if problem:
            return f"{label}: {problem}"
    first, again, other = got[:third], got[third:-third], got[-third:]
    if not all(map(np.array_equal, first, again)):
        return f"{label}: the same seed gave different results"
    if all(map(np.array_equal, first, other)):
        return f"{label}: another seed gave the same result"
    return None


def compare_random_matrix(label, got, expected):
    """Shape, uniform on +-sqrt(3 / columns), a seed that repeats."""
    return compare_seeded(
        label, got, expected, lambda W: uniform_problem(W, np.sqrt(3 / 300))
    )


def layer_problem(W):
    """Why layer ``W`` is not initialised as the chapter asks, or None."""
    if np.any(W[:, -1] != 0):
        return "the bias column (the last) must be zero"
    return uniform_problem(W[:, :-1], np.sqrt(3 / (W.shape[1] - 1)))


def compare_network(label, got, expected):
    """Shapes of each layer, biases zero, weights uniform, a seed that
    repeats."""
    return compare_seeded(label, got, expected, layer_problem)


#: Checks whose results are random, compared by their properties.
COMPARISONS = {
    "check_random_matrix": compare_random_matrix,
    "check_initialize_network": compare_network,
}


def verdict(check, got_results, expected_results):
    """(passed, message) of ``check``: the student's results against the
    reference's."""
    comparison = COMPARISONS.get(check, compare)
    problems = [
        comparison(label, got, expected)
        for (label, _), got, expected in zip(
            PROBES[check], got_results, expected_results, strict=True
        )
    ]
    problems = [p for p in problems if p]
    return (not problems), "\n".join(problems) or "passed"


def reference_results(check, function, inputs, namespace=None):
    """The reference's results on the probes of ``check``."""
    return run_calls(function, PROBES[check], inputs, namespace)
