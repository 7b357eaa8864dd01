"""The grader: points by the rubric, and containment of hostile submissions.

One module fixture grades a folder of submissions to the activations chapter: a right one,
one with a typical mistake, and hostile ones (raises, loops, ignores interrupts, floods its
output, deletes the files around it, is not a notebook). Every one must be graded, and the
submissions folder and the repository must be unchanged afterwards.
"""

import csv
import hashlib
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from fashionlib import checks, edition, grading

REPOSITORY = Path(__file__).resolve().parent.parent
SKIPPED = {
    ".venv",
    ".git",
    "_build",
    "data",
    ".pytest_cache",
    ".hypothesis",
    "__pycache__",
    "fashionlib.egg-info",
}

RIGHT = """
import numpy as np

def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)

def identity(x):
    return np.array(x, dtype=float)

def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
"""
SUBMISSIONS = {
    "right": [RIGHT],
    "mistake": [RIGHT.replace("np.exp(-np.asarray", "np.exp(np.asarray")],
    "raises": ["raise RuntimeError('first cell fails')", RIGHT],
    "loops": [RIGHT, "while True:\n    pass"],
    "stubborn": [
        RIGHT,
        "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
    ],
    "floods": [
        "print('x' * 3_000_000)",
        "for i in range(20000):\n    print('y' * 80)",
        RIGHT,
    ],
    "vandal": [
        "import glob, os\nfor name in glob.glob('*') + glob.glob('.*'):\n    os.remove(name)\n"
        "open('junk.txt', 'w').write('x' * 1000)\nopen('submission.ipynb', 'w').write('overwritten')",
        RIGHT,
    ],
}
EXPECTED_POINTS = {
    "right": 10,
    "mistake": 6,
    "raises": 10,
    "loops": 10,
    "stubborn": 0,
    "floods": 10,
    "vandal": 10,
    "broken": 0,
}
EXPECTED_NOTES = {
    "raises": "cell 0 raised RuntimeError",
    "loops": "cell 1 ran longer than 5 s",
    "stubborn": "ignored the interrupt",
    "floods": "output beyond 1000000 characters was discarded",
}


def tree_hash(root, skipped=frozenset()):
    """A hash of every file's relative path and bytes under ``root``, skipping folders named in ``skipped``."""
    digest = hashlib.sha256()
    for folder, subfolders, files in sorted(os.walk(root)):
        subfolders[:] = sorted(d for d in subfolders if d not in skipped)
        for name in sorted(files):
            path = Path(folder) / name
            digest.update(
                str(path.relative_to(root)).encode()
                + b"\0"
                + path.read_bytes()
            )
    return digest.hexdigest()


def write_submission(path, sources):
    """A notebook file with one code cell per source."""
    nbformat.write(
        nbformat.v4.new_notebook(
            cells=[nbformat.v4.new_code_cell(s) for s in sources]
        ),
        path,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade all submissions once; returns (rows, hashes before, hashes after, leftover temporary files)."""
    folder = tmp_path_factory.mktemp("submissions")
    for name, sources in SUBMISSIONS.items():
        write_submission(folder / f"{name}.ipynb", sources)
    (folder / "broken.ipynb").write_text("{ this is not a notebook")
    scratch = tmp_path_factory.mktemp("scratch")
    before = tree_hash(folder), tree_hash(REPOSITORY, SKIPPED)
    saved, tempfile.tempdir = tempfile.tempdir, str(scratch)
    try:
        rows = grading.grade(
            sorted(folder.glob("*.ipynb")),
            "activations",
            cell_timeout=5,
            notebook_timeout=20,
        )
    finally:
        tempfile.tempdir = saved
    after = tree_hash(folder), tree_hash(REPOSITORY, SKIPPED)
    return rows, before, after, list(scratch.iterdir())


def test_rubric_matches_the_verify_cells_of_each_chapter():
    chapters = edition.chapter_files()
    for name, chapter in grading.RUBRIC.items():
        notebook = edition.read_chapter(chapters[name])
        verify = "\n".join(
            cell.source
            for cell in notebook.cells
            if "verify" in edition.tags(cell)
        )
        called = re.findall(r"checks\.(check_\w+)\((.*)\)", verify)
        assert [
            (p.check, ", ".join(p.names)) for p in chapter.parts
        ] == called, name
        assert all(callable(getattr(checks, p.check)) for p in chapter.parts)


def test_rubric_points_follow_the_homework():
    assert grading.rubric_totals() == (100, 10)
    table = grading.rubric_markdown()
    assert (
        table.count("\n") == len(grading.rubric_rows()) + 2
        and "**100** + 10" in table
    )


def test_unknown_chapter_lists_the_gradable_ones():
    with pytest.raises(
        grading.GradingError, match="choose from data, activations"
    ):
        grading.grade([], "warmup")
    with pytest.raises(grading.GradingError, match="no such submission file"):
        grading.grade(["/nonexistent/x.ipynb"], "activations")


def test_every_submission_is_graded_with_the_expected_points(graded):
    rows = graded[0]
    totals = {Path(r["student"]).stem: 0 for r in rows}
    for r in rows:
        totals[Path(r["student"]).stem] += r["points"]
    assert totals == EXPECTED_POINTS
    assert len(rows) == 3 * len(EXPECTED_POINTS)


def test_the_failure_message_is_the_checks_own(graded):
    mistake = {
        r["check"]: r for r in graded[0] if r["student"] == "mistake.ipynb"
    }
    assert (
        mistake["check_relu"]["passed"] and mistake["check_identity"]["passed"]
    )
    assert mistake["check_sigmoid"]["message"].startswith(
        "sigmoid([-1, 0, 1]) returned"
    )
    broken = [r for r in graded[0] if r["student"] == "broken.ipynb"]
    assert all(
        r["message"].startswith("could not read the notebook") for r in broken
    )


def test_hostile_submissions_are_reported(graded):
    notes = {Path(r["student"]).stem: r["notes"] for r in graded[0]}
    for name, note in EXPECTED_NOTES.items():
        assert note in notes[name], (name, notes[name])
    assert notes["right"] == "" and notes["vandal"] == ""


def test_submissions_and_repository_are_unchanged(graded):
    _, before, after, leftovers = graded
    assert after[0] == before[0], "the submissions folder changed"
    assert after[1] == before[1], "the repository changed"
    assert leftovers == [], "temporary folders were left behind"


def test_table_and_csv(graded, tmp_path):
    rows = graded[0]
    table = grading.format_table(rows)
    assert re.search(r"right\.ipynb\s+TOTAL\s+10/10", table)
    assert re.search(r"mistake\.ipynb\s+check_sigmoid\s+sigmoid\(", table)
    assert "note on stubborn.ipynb:" in table
    grading.write_csv(rows, tmp_path / "grades.csv")
    with open(tmp_path / "grades.csv", newline="") as f:
        saved = list(csv.DictReader(f))
    assert [r["student"] for r in saved] == [r["student"] for r in rows]
    assert [int(r["points"]) for r in saved] == [r["points"] for r in rows]
    assert list(tmp_path.iterdir()) == [tmp_path / "grades.csv"]


def test_command_line(tmp_path):
    write_submission(tmp_path / "ada.ipynb", [RIGHT])
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fashionlib",
            "grade",
            "ada.ipynb",
            "--chapter",
            "activations",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"ada\.ipynb\s+TOTAL\s+10/10", result.stdout)
    assert (tmp_path / "grades-activations.csv").read_text().count("\n") == 4
    for arguments, message in (
        (["ada.ipynb", "--chapter", "warmup"], "invalid choice: 'warmup'"),
        (
            ["missing.ipynb", "--chapter", "activations"],
            "no such submission file",
        ),
        (["ada.ipynb"], "--chapter"),
    ):
        result = subprocess.run(
            [sys.executable, "-m", "fashionlib", "grade", *arguments],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2 and message in result.stderr, (
            result.stderr
        )
