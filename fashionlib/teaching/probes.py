"""The grader's inputs, the calls it makes, and how it compares results.

Each check of the rubric has probes: ``(label, code)`` pairs that
:func:`fashionlib.teaching.harness.run_calls` runs with ``f`` the student's
function (or the reference), ``A`` the inputs of :func:`make_inputs` and
``g`` the notebook's namespace. The inputs are drawn afresh for every
grading run from a seed the notebook never sees.
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
        "reg": np.concatenate([rng.uniform(-2, 12, 8), [3.5, 4.49]]),
        "scores": rng.standard_normal((6, 10)),
        # the chapter "Convolution"
        "cU": rng.standard_normal((2, 6, 5)),
        "cK": rng.standard_normal((3, 2, 3, 3)),
        "cb": rng.standard_normal(3),
        "cG": rng.standard_normal((3, 3, 3)),  # padding 1, stride 2
        "pU": rng.standard_normal((2, 4, 6)),
        "pG": rng.standard_normal((2, 2, 3)),
    }


UNCHANGED = "x = A['v'].copy(); out = [f(x), x]"
TRAIN = (
    "arch = {'W_list': [A['Wt'].copy()], 'h_list': [identity_], "
    "'back_h_list': [back_identity_]}\n"
    "f({'images': A['timages'], 'labels': A['tlabels']}, arch, 0.05)\n"
    "out = arch['W_list']"
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
        ("neuron(x (5,), w (6,), relu)", "out = f(A['v'], A['w'], relu_)"),
        (
            "neuron(x (5,), w (6,), identity)",
            "out = f(A['v'], A['w'], identity_)",
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
            "nn(x (5,), [W (3, 6), W (2, 4)], [relu, identity])",
            "out = f(A['v'], [A['W'], A['W2']], [relu_, identity_])",
        )
    ],
    "check_random_matrix": [
        ("random_matrix(200, 300)", "out = f(200, 300)"),
        (
            "random_matrix(200, 300, seed=5), twice",
            "out = [f(200, 300, seed=5), f(200, 300, seed=5)]",
        ),
    ],
    "check_initialize_network": [
        ("initialize_network([4, 6, 3])", "out = f([4, 6, 3])"),
        ("initialize_network([4, 6, 3]) again", "out = f([4, 6, 3])"),
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
            "backprop_nn_W(x (5,), label (2,), 5-3-2 relu-identity network)",
            "out = f(A['v'], A['y2'], [A['W'], A['W2']], [relu_, identity_], "
            "[back_relu_, back_identity_])",
        )
    ],
    "check_train": [
        ("train(6 samples, one identity layer, 0.05): W_list", TRAIN)
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
        )
    ],
    "check_backprop_conv2d_K": [
        (
            "backprop_conv2d_K(G (3, 3, 3), U (2, 6, 5), K, 1, 2)",
            "out = f(A['cG'], A['cU'], A['cK'], 1, 2)",
        )
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


def compare_random_matrix(label, got, expected):
    """Shape, range +-sqrt(3 / columns), spread, and a seed that repeats."""
    if isinstance(got, str):
        return f"{label} raised {got}"
    if len(got) != len(expected) or got[0].shape != expected[0].shape:
        shapes = [a.shape for a in got]
        return f"{label} returned shapes {shapes}, expected (200, 300)"
    bound = np.sqrt(3 / 300)
    if np.max(np.abs(got[0])) > bound * (1 + 1e-9):
        return f"{label} has entries beyond +-{bound:.4f}"
    if abs(np.std(got[0]) - bound / np.sqrt(3)) > 0.05 * bound:
        return (
            f"{label} has std {np.std(got[0]):.4f}, expected about "
            f"{bound / np.sqrt(3):.4f} (uniform on +-sqrt(3 / columns))"
        )
    if len(got) == 2 and not np.array_equal(got[0], got[1]):
        return f"{label}: the same seed gave different matrices"
    return None


def compare_network(label, got, expected):
    """Shapes of each layer, biases zero, weights in range, reproducible."""
    if isinstance(got, str):
        return f"{label} raised {got}"
    shapes, wanted = [a.shape for a in got], [b.shape for b in expected]
    if shapes != wanted:
        return f"{label} returned shapes {shapes}, expected {wanted}"
    for W in got:
        if np.any(W[:, -1] != 0):
            return f"{label}: the bias column (the last) must be zero"
        bound = np.sqrt(3 / (W.shape[1] - 1))
        if np.max(np.abs(W[:, :-1])) > bound * (1 + 1e-9):
            return f"{label}: weights of a layer exceed +-{bound:.4f}"
    return None


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
            PROBES[check], got_results, expected_results, strict=False
        )
    ]
    if check == "check_initialize_network" and not any(problems):
        if not all(
            np.array_equal(a, b) for a, b in zip(*got_results, strict=False)
        ):
            problems.append("the same call gave different networks")
    problems = [p for p in problems if p]
    return (not problems), "\n".join(problems) or "passed"


def reference_results(check, function, inputs, namespace=None):
    """The reference's results on the probes of ``check``."""
    return run_calls(function, PROBES[check], inputs, namespace)
