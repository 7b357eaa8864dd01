"""Grading of student notebooks: run each submission, then the chapter's checks on its functions.

Each submission is copied into a fresh temporary folder and executed there by its own kernel
(nbclient), with a time limit per cell and per notebook and a cap on the output kept. Then, in the
same kernel, each check of the chapter's rubric runs on the functions the student defined. The
result is one row per (submission, check): passed or the check's message, and the points.

This runs untrusted code with the grader's rights: the temporary folder protects the
instructor's files from a submission that writes or deletes files in its working folder, not
from one that goes looking for them. Use a container for real courses (see the README).
"""

import csv
import io
import json
import secrets
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from fashionlib.data import atomic_file

#: Seconds one cell of a submission may run.
CELL_TIMEOUT = 120
#: Seconds a whole submission may run.
NOTEBOOK_TIMEOUT = 600
#: Characters of output kept per submission; the rest is dropped.
OUTPUT_LIMIT = 1_000_000
#: Seconds the checks of one submission may run.
CHECK_TIMEOUT = 60


@dataclass(frozen=True)
class Part:
    """One graded check: ``check`` (a name in fashionlib.checks) called on the student's ``names``."""

    check: str
    names: tuple
    points: int
    hacker: bool = False


@dataclass(frozen=True)
class Chapter:
    """A chapter's part of the homework: its title, automatic checks and parts graded by hand."""

    title: str
    parts: tuple
    by_hand: tuple = ()


def part(check, *names, points, hacker=False):
    """A Part whose student names default to the name the check is about."""
    return Part(
        check, names or (check.removeprefix("check_"),), points, hacker
    )


#: Chapter -> the checks that grade it and their points, as the homework lists them.
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
}


class GradingError(ValueError):
    """Grading cannot start (unknown chapter, missing file); the message says what to do."""


def chapter_rubric(name):
    """The rubric Chapter of ``name``; GradingError lists the gradable chapters."""
    if name not in RUBRIC:
        raise GradingError(
            f"no rubric for chapter {name!r}: choose from {', '.join(RUBRIC)}"
        )
    return RUBRIC[name]


def rubric_rows():
    """The rubric as rows (chapter, title, what is graded, points, kind), homework order.

    ``what`` names the student's functions (the check is ``check_`` + the first name, or the
    weights check for W1, W2); kind is required, hacker (optional) or given (not graded)."""
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
    """The rubric as a compact Markdown table: chapter (title), what is graded, points, kind."""
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


# --- Running one submission ---------------------------------------------------------------


def grading_client_class():
    """A NotebookClient that keeps at most ``output_limit`` characters of a submission's output."""
    from nbclient import NotebookClient

    class GradingClient(NotebookClient):
        output_kept = 0
        output_limit = OUTPUT_LIMIT
        output_dropped = False

        def output(self, outs, msg, display_id, cell_index):
            size = len(json.dumps(msg.get("content", {})))
            if self.output_kept + size > self.output_limit:
                self.output_dropped = True
                return None
            self.output_kept += size
            return super().output(outs, msg, display_id, cell_index)

    return GradingClient


def check_cell_source(part_, marker):
    """Code that runs one check on the student's names and prints ``marker`` + the JSON result."""
    return (
        "def _fashionlib_grade():\n"
        "    from fashionlib import checks\n"
        f"    missing = [name for name in {list(part_.names)!r} if name not in globals()]\n"
        "    if missing:\n"
        "        return f\"{', '.join(missing)} not defined in the submission\"\n"
        "    try:\n"
        f"        checks.{part_.check}(*[globals()[name] for name in {list(part_.names)!r}])\n"
        "    except AssertionError as error:\n"
        "        return str(error) or 'the check failed'\n"
        "    except BaseException as error:\n"
        "        return f'{type(error).__name__}: {error}'\n"
        "    return None\n"
        f"print({marker!r} + __import__('json').dumps(_fashionlib_grade()))\n"
    )


def check_result(cell, marker):
    """(passed, message) from the output of a check cell."""
    for out in cell.get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith(marker):
                message = json.loads(line[len(marker) :])
                return message is None, message or "passed"
    return False, "the check produced no result (the kernel did not answer)"


def kernel_answers(client, index, seconds=10):
    """Whether the kernel runs an empty cell within ``seconds`` (after an interrupt it may not)."""
    import nbformat

    probe, timeout = nbformat.v4.new_code_cell("pass"), client.timeout
    client.timeout = seconds
    started = time.monotonic()
    client.execute_cell(probe, index)
    client.timeout = timeout
    return time.monotonic() - started < seconds


def run_submission(
    notebook, parts, folder, cell_timeout, notebook_timeout, output_limit
):
    """Execute ``notebook`` in ``folder`` and then each check; returns ([(passed, message)], notes)."""
    import nbformat
    from nbclient.exceptions import DeadKernelError

    client = grading_client_class()(
        notebook,
        timeout=cell_timeout,
        kernel_name="python3",
        allow_errors=True,
        interrupt_on_timeout=True,
        error_on_timeout={
            "ename": "CellTimeoutError",
            "evalue": f"cell ran longer than {cell_timeout} s",
        },
        resources={"metadata": {"path": str(folder)}},
    )
    client.output_limit = output_limit
    marker = f"@@grade-{secrets.token_hex(8)}@@"
    checks = [
        nbformat.v4.new_code_cell(check_cell_source(p, marker)) for p in parts
    ]
    submitted = list(enumerate(notebook.cells))
    notebook.cells.extend(checks)
    notes, results = [], []
    deadline = time.monotonic() + notebook_timeout
    try:
        with client.setup_kernel(
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        ):  # the kernel's own log
            for index, cell in submitted:
                remaining = deadline - time.monotonic()
                if remaining <= 1:
                    notes.append(
                        f"stopped after {notebook_timeout} s: cells from {index} on were not run"
                    )
                    break
                if cell.cell_type != "code":
                    continue
                client.timeout = max(1, int(min(cell_timeout, remaining)))
                started = time.monotonic()
                client.execute_cell(cell, index)
                errors = [
                    out.get("ename", "")
                    for out in cell.get("outputs", [])
                    if out.get("output_type") == "error"
                ]
                if errors:
                    notes.append(f"cell {index} raised {errors[0]}")
                if time.monotonic() - started >= client.timeout:
                    notes.append(
                        f"cell {index} ran longer than {client.timeout} s and was interrupted"
                    )
                    if not kernel_answers(client, index):
                        notes.append(
                            "the kernel ignored the interrupt and was stopped"
                        )
                        break
            if client.output_dropped:
                notes.append(
                    f"output beyond {output_limit} characters was discarded"
                )
            client.output_limit, client.timeout = (
                float("inf"),
                min(cell_timeout, CHECK_TIMEOUT),
            )
            for index, cell in enumerate(checks, start=len(submitted)):
                if notes and notes[-1].endswith("was stopped"):
                    break
                client.execute_cell(cell, index)
                results.append(check_result(cell, marker))
    except DeadKernelError:
        notes.append(
            "the kernel died (the submission ended its own process or ran out of memory)"
        )
    results += [
        (False, "not checked: " + "; ".join(notes or ["the kernel stopped"]))
    ] * (len(parts) - len(results))
    return results, notes


def grade_submission(
    path,
    chapter,
    cell_timeout=CELL_TIMEOUT,
    notebook_timeout=NOTEBOOK_TIMEOUT,
    output_limit=OUTPUT_LIMIT,
):
    """Grade one notebook file: a list of row dicts (student, check, passed, message, points, max_points)."""
    import nbformat

    parts = chapter_rubric(chapter).parts
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="fashionlib-grade-") as folder:
        try:
            notebook = nbformat.reads(path.read_text(), as_version=4)
            shutil.copy(path, Path(folder) / "submission.ipynb")
        except (OSError, ValueError, UnicodeDecodeError) as error:
            results, notes = (
                [(False, f"could not read the notebook: {error}")]
                * len(parts),
                [],
            )
        else:
            results, notes = run_submission(
                notebook,
                parts,
                folder,
                cell_timeout,
                notebook_timeout,
                output_limit,
            )
    return [
        {
            "student": path.name,
            "check": p.check,
            "passed": passed,
            "message": message,
            "points": p.points if passed else 0,
            "max_points": p.points,
            "notes": "; ".join(notes),
        }
        for p, (passed, message) in zip(parts, results)
    ]


def grade(paths, chapter, **limits):
    """Grade every submission in ``paths`` for ``chapter``; one row per (submission, check)."""
    chapter_rubric(chapter)
    missing = [str(p) for p in paths if not Path(p).is_file()]
    if missing:
        raise GradingError(f"no such submission file: {', '.join(missing)}")
    return [
        row
        for path in paths
        for row in grade_submission(path, chapter, **limits)
    ]


# --- Reporting ----------------------------------------------------------------------------

#: Columns of the grade table and of its CSV file.
COLUMNS = (
    "student",
    "check",
    "passed",
    "message",
    "points",
    "max_points",
    "notes",
)


def format_table(rows, width=70):
    """A plain-text table of the rows, each student's total, then the notes; long messages are shortened."""

    def short(text):
        text = " ".join(str(text).split())
        return text if len(text) <= width else text[: width - 3] + "..."

    lines = [
        (
            r["student"],
            r["check"],
            "passed" if r["passed"] else short(r["message"]),
            f"{r['points']}/{r['max_points']}",
        )
        for r in rows
    ]
    for student in dict.fromkeys(r["student"] for r in rows):
        mine = [r for r in rows if r["student"] == student]
        lines.append(
            (
                student,
                "TOTAL",
                "",
                f"{sum(r['points'] for r in mine)}/{sum(r['max_points'] for r in mine)}",
            )
        )
    notes = {r["student"]: r["notes"] for r in rows if r["notes"]}
    header = ("student file", "check", "result", "points")
    widths = [
        max(len(str(row[i])) for row in [header, *lines]) for i in range(4)
    ]
    render = lambda row: "  ".join(
        str(cell).ljust(w) for cell, w in zip(row, widths)
    ).rstrip()
    table = [
        render(header),
        render(["-" * w for w in widths]),
        *map(render, lines),
    ]
    return "\n".join(
        table
        + [f"note on {student}: {note}" for student, note in notes.items()]
    )


def write_csv(rows, path):
    """Write the rows as CSV (columns COLUMNS) to ``path`` atomically."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    with atomic_file(path) as f:
        f.write(text.getvalue().encode())
