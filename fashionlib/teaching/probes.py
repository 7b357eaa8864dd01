"""The grader's inputs, and how it compares results with the reference's.

The probes themselves are part of each exercise's record
(:mod:`fashionlib.teaching.exercises`). The inputs, a seed for the random
initialisations among them, are drawn afresh for every grading run from a
seed the notebook never sees. Random results are compared by their
properties, with the verify cells' own checks
(:func:`fashionlib.checks.uniform_problem`).
"""

import numpy as np

from fashionlib import checks
from fashionlib.teaching.harness import run_calls


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
        if not np.allclose(
            a, b, atol=checks.TOL, rtol=checks.TOL, equal_nan=False
        ):
            return f"{label} returned {short(a)}, expected {short(b)}"
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
        label,
        got,
        expected,
        lambda W: checks.uniform_problem(W, np.sqrt(3 / 300)),
    )


def compare_network(label, got, expected):
    """Shapes of each layer, biases zero, weights uniform, a seed that
    repeats."""
    return compare_seeded(label, got, expected, checks.layer_problem)


def verdict(exercise, got_results, expected_results):
    """(passed, message) of ``exercise`` (its record in
    :mod:`fashionlib.teaching.exercises`): the student's results against
    the reference's."""
    problems = [
        exercise.comparison(label, got, expected)
        for (label, _), got, expected in zip(
            exercise.probes, got_results, expected_results, strict=True
        )
    ]
    problems = [p for p in problems if p]
    return (not problems), "\n".join(problems) or "passed"


def reference_results(exercise, function, inputs, namespace=None):
    """The results of ``function`` on the probes of ``exercise``."""
    return run_calls(function, exercise.probes, inputs, namespace)
