"""The grader's probes and comparisons, in-process (no kernel)."""

import numpy as np
import pytest

from fashionlib.teaching import grading, probes, rubric

PARTS = [p for chapter in rubric.RUBRIC.values() for p in chapter.parts]
INPUTS = probes.make_inputs(11)


def results(part, function):
    """The results of ``function`` on the probes of ``part``."""
    return probes.reference_results(
        part.check, function, INPUTS, grading.REFERENCE_VALUES
    )


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.check)
def test_the_reference_passes_every_probe(part):
    reference = grading.reference_function(part.names[0])
    got = results(part, reference)
    assert not any(isinstance(r, str) for r in got), got
    assert probes.verdict(part.check, got, results(part, reference)) == (
        True,
        "passed",
    )


@pytest.mark.parametrize(
    ("check", "wrong", "message"),
    [
        (
            "check_d_affine_d_x",
            lambda W: np.asarray(W)[:, :-1].T,
            "d_affine_d_x(W (3, 6)) returned shape (5, 3), expected (3, 5)",
        ),
        (
            "check_random_matrix",
            lambda rows, columns, seed=0: np.zeros((rows, columns)),
            "has variance 0.00000",
        ),
        (
            "check_prediction_to_label_classification",
            lambda x: float(np.argmax(x)),
            "returned [",
        ),
        ("check_relu", None, "relu([-1, 0, 1]) raised TypeError"),
        (
            "check_backprop_conv2d_K",
            lambda G, U, K, padding=0, stride=1: np.zeros((3, 2, 2, 2)),
            "returned shape (3, 2, 2, 2), expected (3, 2, 3, 3)",
        ),
        (
            "check_max_pool",
            lambda U, size=2: -np.asarray(U)[:, ::size, ::size],
            "max_pool(U (2, 4, 6), 2) returned [",
        ),
    ],
)
def test_a_wrong_function_fails_with_the_reason(check, wrong, message):
    part = next(p for p in PARTS if p.check == check)
    reference = grading.reference_function(part.names[0])
    passed, said = probes.verdict(
        check, results(part, wrong), results(part, reference)
    )
    assert not passed and message in said, said


def test_inputs_change_with_the_seed():
    again, other = probes.make_inputs(11), probes.make_inputs(12)
    assert np.array_equal(again["v"], INPUTS["v"])
    assert not np.array_equal(other["v"], INPUTS["v"])
