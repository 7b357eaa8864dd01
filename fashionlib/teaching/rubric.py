"""The rubric: the homework's points, chapter by chapter, and the checks
that award them."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Part:
    """One graded check: ``check`` (named after a fashionlib.checks function)
    of the student's ``names``."""

    check: str
    names: tuple
    points: int
    hacker: bool = False


@dataclass(frozen=True)
class Chapter:
    """A chapter's part of the homework: title, automatic checks, and parts
    graded by hand."""

    title: str
    parts: tuple
    by_hand: tuple = ()


def part(check, *names, points, hacker=False):
    """A Part whose student names default to the name the check is about."""
    return Part(
        check, names or (check.removeprefix("check_"),), points, hacker
    )


#: Chapter -> the checks that grade it and their points (the homework's).
RUBRIC = {
    "data": Chapter(
        "Data set preparation",
        (
            part("check_mean_image", points=4),
            part("check_class_mean_images", points=3),
            part("check_whitening_stats", points=3),
        ),
    ),
    "activations": Chapter(
        "Activation units",
        (
            part("check_relu", points=4),
            part("check_identity", points=2),
            part("check_sigmoid", points=4),
        ),
    ),
    "neuron": Chapter("A single neuron", (part("check_neuron", points=10),)),
    "network": Chapter(
        "Network definition",
        (
            part("check_weight_shapes", "W1", "W2", points=3),
            part("check_affine", points=6),
            part("check_nn", points=6),
        ),
    ),
    "initialisation": Chapter(
        "Network initialisation",
        (
            part("check_random_matrix", points=5),
            part("check_initialize_network", points=5),
        ),
        by_hand=(("why sqrt(3 / m) keeps the variance at 1", 5),),
    ),
    "jacobians": Chapter(
        "Layer-wise Jacobian matrices",
        (
            part("check_d_relu_d_x", points=3),
            part("check_d_identity_d_x", points=2),
            part("check_d_sigmoid_d_x", points=3),
            part("check_d_affine_d_x", points=3),
            part("check_d_affine_d_W", points=4),
        ),
    ),
    "objective": Chapter(
        "Objective function",
        (part("check_l2", points=5), part("check_d_l2_d_x", points=5)),
    ),
    "backprop": Chapter(
        "Backpropagation (given code, and optional fast versions)",
        (
            part("check_backprop_affine_W", points=0),
            part("check_backprop_relu_x", points=2, hacker=True),
            part("check_backprop_identity_x", points=1, hacker=True),
            part("check_backprop_affine_x", points=2, hacker=True),
            part("check_backprop_nn_W", points=0),
        ),
    ),
    "sgd": Chapter(
        "Stochastic gradient descent", (part("check_train", points=5),)
    ),
    "regression": Chapter(
        "Regression", (part("check_output_to_label_regression", points=5),)
    ),
    "classification": Chapter(
        "Classification",
        (part("check_prediction_to_label_classification", points=10),),
    ),
    # beyond the homework: optional points
    "convolution": Chapter(
        "Convolution",
        (
            part("check_conv2d", points=6, hacker=True),
            part("check_backprop_conv2d_U", points=5, hacker=True),
            part("check_backprop_conv2d_K", points=5, hacker=True),
            part("check_max_pool", points=2, hacker=True),
            part("check_backprop_max_pool", points=2, hacker=True),
        ),
    ),
}


class GradingError(ValueError):
    """Grading cannot start (unknown chapter, missing file); the message
    says what to do."""


def chapter_rubric(name):
    """The rubric Chapter of ``name``; GradingError lists the valid ones."""
    if name not in RUBRIC:
        raise GradingError(
            f"no rubric for chapter {name!r}: choose from {', '.join(RUBRIC)}"
        )
    return RUBRIC[name]


def rubric_rows():
    """The rubric as rows (chapter, title, what, points, kind), in order.

    ``what`` names the student's functions (the check is ``check_`` + the
    first name, or the weights check for W1, W2); kind is required, hacker
    (optional) or given (not graded)."""
    rows = []
    for name, chapter in RUBRIC.items():
        for p in chapter.parts:
            kind = (
                "hacker"
                if p.hacker
                else ("given" if p.points == 0 else "required")
            )
            rows.append(
                (name, chapter.title, ", ".join(p.names), p.points, kind)
            )
        for what, points in chapter.by_hand:
            rows.append(
                (name, chapter.title, f"by hand: {what}", points, "hacker")
            )
    return rows


def rubric_totals():
    """(required points, optional hacker points) over the whole rubric."""
    rows = rubric_rows()
    return sum(r[3] for r in rows if r[4] == "required"), sum(
        r[3] for r in rows if r[4] == "hacker"
    )


def rubric_markdown():
    """The rubric as a compact Markdown table: chapter (title), what is
    graded, points, kind."""
    lines = [
        "| chapter | graded | points | kind |",
        "| --- | --- | ---: | --- |",
    ]
    shown = set()
    for name, title, what, points, kind in rubric_rows():
        chapter = "" if name in shown else f"{title} (`{name}`)"
        shown.add(name)
        graded = what if what.startswith("by hand") else f"`{what}`"
        lines.append(f"| {chapter} | {graded} | {points} | {kind} |")
    required, optional = rubric_totals()
    lines.append(f"| **total** | | **{required}** + {optional} | |")
    return "\n".join(lines)
