"""The grader: verdicts decided outside the kernel, the sandbox, students.

One module fixture grades a course (one folder per student) in the
sandbox: right and wrong work, cheats (importing the reference, patching
the checks, printing fake passes, copying the reference's code) and hostile
notebooks (deleting ../x and a file outside by its path, overwriting a
classmate's notebook, leaving a process behind, allocating 6 GiB, opening
network connections). Every one is graded; nothing outside its own copy
changes.
"""

import csv
import hashlib
import os
import re
import socket
import subprocess
import sys
import threading
from pathlib import Path

import nbformat
import pytest

from fashionlib.teaching import examples, grading, rubric, sandbox, shards

pytestmark = pytest.mark.slow

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
    "node_modules",
}
MARKER = "i12-background-marker-5821"

RIGHT, SLIP = examples.RIGHT_ACTIVATIONS, examples.SLIP_ACTIVATIONS
NEURON = """
import numpy as np

def neuron(x, w, h):
    return h(np.array([np.append(np.asarray(x, float), 1.0) @ w]))[0]
"""
IMPORTS_REFERENCE = f"""
import importlib.util
from fashionlib.activations import identity, relu, sigmoid
try:  # the instructor's checkout, by its path
    spec = importlib.util.spec_from_file_location(
        "ref", {str(REPOSITORY / "fashionlib" / "activations.py")!r})
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    relu, identity, sigmoid = ref.relu, ref.identity, ref.sigmoid
except Exception:
    pass
"""
PATCHES_CHECKS = """
from fashionlib import checks
for name in dir(checks):
    if name.startswith("check_"):
        setattr(checks, name, lambda *args, **kwargs: None)
checks.check_sigmoid(sigmoid)
"""
FAKE_PRINTS = """
print('@@grade-0000@@null')
for check in ('check_relu', 'check_identity', 'check_sigmoid'):
    print(f'{check} passed')
print('TOTAL 10/10')
"""
COPIES_REFERENCE = RIGHT.replace(
    "def relu(x):\n    return np.maximum(np.asarray(x, dtype=float), 0.0)",
    "from fashionlib.activations import as_vector, relu_array\n\n"
    "def relu(x):\n"
    '    """Any docstring."""\n'
    "    return relu_array(as_vector(x))",
)


def hostile(outside, victim, port):
    """The hostile notebooks' first cells, given the paths they aim at."""
    return {
        "deleter": (
            "import os\n"
            "for path in ('../x', '../../x'):\n"
            "    if os.path.exists(path):\n"
            "        os.remove(path)\n"
            f"os.remove({str(outside / 'x')!r})"
        ),
        "sibling": (
            "import glob, os\n"
            "victims = []\n"
            "candidates = glob.glob('/proc/*/cwd/../*.ipynb')\n"
            "for top, dirs, files in os.walk('/'):\n"
            "    dirs[:] = [d for d in dirs if d not in"
            " ('proc', 'sys', 'dev', 'usr', 'site-packages')]\n"
            "    candidates += [os.path.join(top, f) for f in files"
            " if f.endswith('.ipynb')]\n"
            f"candidates.append({str(victim)!r})\n"
            "for path in candidates:\n"
            "    if os.path.realpath(path).startswith('/job/'):\n"
            "        continue\n"
            "    try:\n"
            "        open(path, 'w').write('overwritten')\n"
            "        victims.append(path)\n"
            "    except OSError:\n"
            "        pass\n"
            "assert victims, 'no other submission found'"
        ),
        "background": (
            "import subprocess, sys\n"
            "subprocess.Popen([sys.executable, '-c',"
            f" 'import time; time.sleep(600)  # {MARKER}'],"
            " start_new_session=True)\n"
            "raise RuntimeError('left a process behind')"
        ),
        "hog": "memory = bytearray(6 * 1024**3)",
        "network": (
            "import socket\n"
            "for address in (('127.0.0.1', PORT), ('1.1.1.1', 53)):\n"
            "    try:\n"
            "        socket.create_connection(address, timeout=3)\n"
            "    except OSError as error:\n"
            "        failed = error\n"
            "raise failed".replace("PORT", str(port))
        ),
    }


#: student -> (points, a piece of the note, or "" for no note).
EXPECTED = {
    "right": (10, ""),
    "slip": (6, ""),
    "imports_reference": (0, ""),
    "patches_checks": (6, ""),
    "fake_prints": (6, ""),
    "copies_reference": (6, ""),
    "deleter": (10, "cell 0 raised FileNotFoundError"),
    "sibling": (10, "cell 0 raised AssertionError"),
    "background": (10, "left background processes running"),
    "hog": (10, "cell 0 raised MemoryError"),
    "network": (10, "cell 0 raised"),
    "floods": (10, "output beyond 1000000 characters was discarded"),
    "broken": (0, ""),
}


def tree_hash(root, skipped=frozenset(), read=lambda path: True):
    """A hash of every file's relative path under ``root``, and of the
    bytes of each file ``read`` accepts."""
    digest = hashlib.sha256()
    for folder, subfolders, files in sorted(os.walk(root)):
        subfolders[:] = sorted(d for d in subfolders if d not in skipped)
        for name in sorted(files):
            path = Path(folder) / name
            digest.update(str(path.relative_to(root)).encode() + b"\0")
            if read(path):
                digest.update(path.read_bytes())
    return digest.hexdigest()


def repository_hash():
    """:func:`tree_hash` of the repository: every file's path, and the
    bytes of the files git tracks (a log that ``make test > log`` writes
    there, while other workers print, may grow)."""
    tracked = subprocess.run(
        ["git", "ls-files", "-z"],
        cwd=REPOSITORY,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    tracked = {REPOSITORY / os.fsdecode(name) for name in tracked if name}
    return tree_hash(REPOSITORY, SKIPPED, lambda path: path in tracked)


def background_processes():
    """Host processes whose command line holds MARKER."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
        except OSError:
            continue
        if entry.isdigit() and MARKER.encode() in cmdline:
            found.append(int(entry))
    return found


class Listener:
    """A TCP server on the host's loopback that counts connections."""

    def __init__(self):
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = 0
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        while True:
            try:
                connection, _ = self.server.accept()
            except OSError:
                return
            self.connections += 1
            connection.close()


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Grade the course once; returns what the tests look at."""
    root = tmp_path_factory.mktemp("course")
    folder, outside = root / "submissions", root / "outside"
    outside.mkdir()
    (outside / "x").write_text("keep me")
    (root / "x").write_text("keep me too")
    listener = Listener()
    victim = folder / "right" / "activations.ipynb"
    sources = {
        "right": [RIGHT],
        "slip": [SLIP],
        "imports_reference": [IMPORTS_REFERENCE],
        "patches_checks": [SLIP, PATCHES_CHECKS],
        "fake_prints": [SLIP, FAKE_PRINTS],
        "copies_reference": [COPIES_REFERENCE],
        "floods": ["print('x' * 3_000_000)", RIGHT],
    }
    for name, first in hostile(outside, victim, listener.port).items():
        sources[name] = [first, RIGHT]
    for name, cells in sources.items():
        examples.write_submission(folder / name / "activations.ipynb", cells)
    examples.write_submission(folder / "right" / "neuron.ipynb", [NEURON])
    (folder / "broken").mkdir()
    (folder / "broken" / "activations.ipynb").write_text("{ not a notebook")
    before = (
        tree_hash(folder),
        tree_hash(outside),
        repository_hash(),
    )
    found = grading.find_submissions([folder], "all")
    settings = grading.Settings(
        cell_timeout=20,
        notebook_timeout=60,
        feedback_dir=str(root / "feedback"),
        seed=7,
    )
    rows = grading.grade(found, settings, jobs=2)
    after = (
        tree_hash(folder),
        tree_hash(outside),
        repository_hash(),
    )
    return {
        "rows": rows,
        "before": before,
        "after": after,
        "root": root,
        "connections": listener.connections,
        "background": background_processes(),
        "x": (root / "x").read_text(),
    }


def totals(rows, chapter="activations"):
    """Points per student for ``chapter``."""
    points = {}
    for r in rows:
        if r["chapter"] == chapter:
            points[r["student"]] = points.get(r["student"], 0) + r["points"]
    return points


def notes(rows):
    """The note of each student's activations notebook."""
    return {
        r["student"]: r["notes"] for r in rows if r["chapter"] == "activations"
    }


def messages(rows, student):
    """{check: message} of one student's activations notebook."""
    return {
        r["check"]: r["message"]
        for r in rows
        if r["student"] == student and r["chapter"] == "activations"
    }


def test_every_submission_gets_the_points_it_earned(course):
    assert totals(course["rows"]) == {
        name: points for name, (points, _) in EXPECTED.items()
    }
    assert totals(course["rows"], "neuron") == {"right": 10}


def test_each_hostile_case_gets_a_note(course):
    found = notes(course["rows"])
    for name, (_, note) in EXPECTED.items():
        if note:
            assert note in found[name], (name, found[name])
    assert found["right"] == ""


def test_the_reference_is_out_of_reach(course):
    said = messages(course["rows"], "imports_reference")
    assert all(
        grading.REFERENCE_USED in message for message in said.values()
    ), said
    copied = messages(course["rows"], "copies_reference")
    assert copied["check_relu"] == (
        f"relu is the reference's code: {grading.REFERENCE_USED}"
    )


def test_patched_checks_and_printed_passes_change_nothing(course):
    for student in ("patches_checks", "fake_prints"):
        said = messages(course["rows"], student)
        assert said["check_sigmoid"].startswith(
            "sigmoid([-1, 0, 1]) returned [0.731059, 0.5, 0.268941], "
            "expected [0.268941, 0.5, 0.731059]"
        ), said


def test_nothing_outside_a_submissions_copy_changes(course):
    assert course["after"] == course["before"]
    assert course["x"] == "keep me too"
    assert course["connections"] == 0, "a submission reached the host"
    assert course["background"] == [], "a background process survived"


def test_feedback_file_and_executed_notebook(course):
    folder = course["root"] / "feedback" / "slip"
    text = (folder / "activations.md").read_text()
    assert "Points: 6 of 10" in text
    assert (
        "sigmoid([-1000, 1000]) returned [1.0, 0.0], expected [0.0, 1.0]"
        in text
    )
    executed = nbformat.read(folder / "activations.ipynb", as_version=4)
    assert executed.cells[0].execution_count == 1
    assert "## Notes" not in text
    hog = (course["root"] / "feedback" / "hog" / "activations.md").read_text()
    assert "## Notes" in hog and "MemoryError" in hog


def test_gradebook_has_students_by_chapters(course, tmp_path):
    path = tmp_path / "gradebook.csv"
    grading.write_gradebook(course["rows"], path)
    with open(path, newline="") as f:
        book = {row["student"]: row for row in csv.DictReader(f)}
    assert set(book) == set(EXPECTED)
    assert book["right"]["activations"] == "10"
    assert book["right"]["neuron"] == "10"
    assert book["right"]["total"] == "20"
    assert book["right"]["max_total"] == "20"
    assert book["slip"]["neuron"] == ""
    assert book["slip"]["total"] == "6"


def test_same_file_names_in_different_folders_stay_apart(tmp_path):
    for group in ("monday", "tuesday"):
        examples.write_submission(tmp_path / group / "ada.ipynb", [RIGHT])
    examples.write_submission(tmp_path / "ben.ipynb", [RIGHT])
    found = grading.find_submissions(
        sorted(tmp_path.rglob("*.ipynb")), "activations"
    )
    assert sorted(s.student for s in found) == [
        "ben",
        "monday/ada",
        "tuesday/ada",
    ]
    examples.write_submission(
        tmp_path / "one" / "ada" / "activations.ipynb", [RIGHT]
    )
    found = grading.find_submissions([tmp_path / "one"], "all")
    assert [(s.student, s.chapter) for s in found] == [("ada", "activations")]
    with pytest.raises(grading.GradingError, match="need the chapter"):
        grading.find_submissions([tmp_path / "monday"], "all")


def test_missing_bwrap_is_refused_with_the_install_command(monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    with pytest.raises(
        sandbox.SandboxError, match="apt-get install bubblewrap"
    ):
        grading.grade([], grading.Settings())
    assert grading.grade([], grading.Settings(sandboxed=False)) == []


def test_rubric_points_follow_the_homework():
    # the homework's 100 required and 10 hacker points, and 20 optional
    # points of the chapter "Convolution", beyond the homework
    assert rubric.rubric_totals() == (100, 30)
    convolution = rubric.RUBRIC["convolution"].parts
    assert all(p.hacker for p in convolution)
    assert sum(p.points for p in convolution) == 20
    table = rubric.rubric_markdown()
    assert (
        table.count("\n") == len(rubric.rubric_rows()) + 2
        and "**100** + 30" in table
    )


def test_every_exercise_with_points_is_graded_by_a_check_of_its_own():
    from fashionlib import checks
    from fashionlib.teaching import exercises

    for e in exercises.EXERCISES.values():
        assert e.chapter in exercises.CHAPTERS or not e.probes, e.name
        assert bool(e.probes) or not e.points, e.name
        assert callable(getattr(checks, e.check, None)) or not e.probes
    parts = [p for c in rubric.RUBRIC.values() for p in c.parts]
    assert parts == list(exercises.GRADED.values())


def test_command_line(tmp_path):
    examples.write_submission(tmp_path / "ada.ipynb", [RIGHT])
    (tmp_path / "roster.csv").write_text(
        "folder,Student,ID,SIS User ID,SIS Login ID,Section\n"
        'ada,"Lovelace, Ada",101,S1,ada@uni,Mon\n'
        'cy,"Young, Cy",103,S3,cy@uni,Tue\n'
    )
    (tmp_path / "grading").mkdir()
    (tmp_path / "grading" / "gradebook.csv").write_text(KEPT)
    command = [sys.executable, "-m", "fashionlib", "grade"]
    result = subprocess.run(
        [*command, "ada.ipynb", "--chapter", "activations", "--jobs", "1"]
        + ["--roster", "roster.csv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"ada\s+TOTAL\s+10/10", result.stdout)
    assert "in the roster but no submission was graded: cy\n" in (
        result.stdout
    )
    with open(tmp_path / "grading" / "canvas.csv", newline="") as f:
        canvas = list(csv.reader(f))
    assert canvas == [
        [*CANVAS_COLUMNS, "activations", "neuron"],
        ["Lovelace, Ada", "101", "S1", "ada@uni", "Mon", "10", "10"],
        ["Young, Cy", "103", "S3", "cy@uni", "Tue", "", ""],
    ]
    book = (tmp_path / "grading" / "gradebook.csv").read_text()
    assert book.splitlines() == [  # last week's neuron kept
        "student,activations,neuron,total,max_total",
        "ada,10,10,20,20",
    ]
    grades = tmp_path / "grading" / "grades-activations.csv"
    assert grades.read_text().count("\n") == 4
    assert (
        tmp_path / "grading" / "feedback" / "ada" / "activations.md"
    ).is_file()
    for arguments, message in (
        (["ada.ipynb", "--chapter", "warmup"], "invalid choice: 'warmup'"),
        (["ada.ipynb"], "--chapter"),
        (["ada.ipynb", "--chapter", "activations", "--jobs", "0"], "positive"),
    ):
        result = subprocess.run(
            [*command, *arguments],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert result.returncode == 2 and message in result.stderr
    result = subprocess.run(
        [*command, "missing.ipynb", "--chapter", "activations"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "no such submission" in result.stderr


def test_shards_split_and_merge(tmp_path):
    for name in ("ada", "ben", "cy", "dee", "eve"):
        examples.write_submission(
            tmp_path / "subs" / name / "activations.ipynb", [RIGHT]
        )
    parts = [
        shards.split(tmp_path / "subs", 2, i, tmp_path / f"shard{i}")
        for i in range(2)
    ]
    names = [
        sorted(p.name for p in (tmp_path / f"shard{i}").iterdir())
        for i in range(2)
    ]
    assert names == [["ada", "cy", "eve"], ["ben", "dee"]]
    assert sum(len(p) for p in parts) == 5
    books = []
    for i, students in enumerate(names):
        rows = [
            {"student": s, "chapter": ch, "points": 4, "max_points": 5}
            for s in students
            for ch in (
                ["activations"] if i == 0 else ["activations", "neuron"]
            )
        ]
        books.append(tmp_path / f"book{i}.csv")
        grading.write_gradebook(rows, books[-1])
    merged = tmp_path / "gradebook.csv"
    assert shards.main(["merge", str(merged), *map(str, books)]) == 0
    with open(merged, newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["student"] for r in rows] == ["ada", "ben", "cy", "dee", "eve"]
    assert rows[0]["neuron"] == "" and rows[1]["neuron"] == "4"
    assert rows[1]["total"] == "8"
    with pytest.raises(shards.ShardError, match="must not overlap"):
        shards.merge([books[0], books[0]], tmp_path / "again.csv")
    with pytest.raises(shards.ShardError, match="not in 0..1"):
        shards.split(tmp_path / "subs", 2, 2, tmp_path / "nope")


def test_an_installed_reference_is_masked(monkeypatch, tmp_path):
    root = str(sandbox.PACKAGE.parent)
    monkeypatch.setattr(sandbox, "python_roots", lambda: [root])
    command = sandbox.command(tmp_path, tmp_path, tmp_path, None)
    masked = command.index(str(sandbox.PACKAGE))
    assert command[masked - 1] == "--tmpfs"
    assert command.index(root) < masked


CONVOLUTION = """
import numpy as np

def conv2d(U, K, b, padding=0, stride=1):
    p, s, k = padding, stride, K.shape[-1]
    U = np.pad(np.asarray(U, float), ((0, 0), (p, p), (p, p)))
    rows, cols = ((n - k) // s + 1 for n in U.shape[1:])
    V = np.zeros((len(K), rows, cols))
    for o, i, j in np.ndindex(V.shape):
        V[o, i, j] = b[o] + np.sum(K[o] * U[:, i*s:i*s + k, j*s:j*s + k])
    return V

def max_pool(U, size=2):
    C, h, w = np.shape(U)
    blocks = np.reshape(U, (C, h // size, size, w // size, size))
    return blocks.max(axis=(2, 4))

def backprop_max_pool(G, U, size=2):  # wrong: spreads G like an average
    return np.kron(G, np.ones((size, size))) / size**2
"""


def test_the_convolution_chapter_is_graded(tmp_path):
    examples.write_submission(
        tmp_path / "ada" / "convolution.ipynb", [CONVOLUTION]
    )
    found = grading.find_submissions([tmp_path], "all")
    settings = grading.Settings(cell_timeout=20, notebook_timeout=60, seed=3)
    rows = grading.grade(found, settings, jobs=1)
    points = {r["check"]: r["points"] for r in rows}
    assert points == {
        "check_conv2d": 6,
        "check_backprop_conv2d_U": 0,
        "check_backprop_conv2d_K": 0,
        "check_max_pool": 2,
        "check_backprop_max_pool": 0,
    }, rows


# --- issue 21: the grader's own faults -----------------------------------


def grade_command(tmp_path, *arguments):
    """``python -m fashionlib grade ARGUMENTS`` in ``tmp_path``."""
    return subprocess.run(
        [sys.executable, "-m", "fashionlib", "grade", *arguments],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )


def test_a_python_reached_through_a_link_grades_honest_work(
    tmp_path, monkeypatch
):
    link = tmp_path / "linked-venv"
    link.symlink_to(Path(sys.prefix).resolve(), target_is_directory=True)
    executable = link / "bin" / Path(sys.executable).name
    monkeypatch.setattr(sys, "executable", str(executable))
    path = examples.write_submission(tmp_path / "ada.ipynb", [RIGHT])
    found = grading.find_submissions([path], "activations")
    rows = grading.grade(found, grading.Settings(seed=3))
    assert totals(rows) == {"ada": 10}


def test_a_runner_that_cannot_start_is_the_graders_error(tmp_path):
    examples.write_submission(tmp_path / "ada.ipynb", [RIGHT])
    (tmp_path / "grading").mkdir()
    (tmp_path / "grading" / "gradebook.csv").write_text(KEPT)
    result = grade_command(
        tmp_path, "ada.ipynb", "--chapter", "activations", "--memory", "0.5"
    )
    assert result.returncode == 1
    assert result.stderr.startswith(
        "error: the grader's own runner failed on a notebook that only "
        "imports numpy"
    )
    assert result.stderr.count("\n") == 1 and "ada" not in result.stdout
    assert (tmp_path / "grading" / "gradebook.csv").read_text() == KEPT
    assert not (tmp_path / "grading" / "grades-activations.csv").exists()


#: A gradebook of an earlier week, which a failed run must keep.
KEPT = "student,neuron,total,max_total\nada,10,10,10\n"


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--cell-timeout", "1e308"], "must not exceed the notebook's"),
        (["--notebook-timeout", "1e9"], "nor the notebook's one day"),
        (["--memory", "0.1"], "--memory 0.1: give the GiB per submission"),
        (["--memory", "1e6"], "--memory 1e+06: give the GiB"),
    ],
)
def test_limits_beyond_reason_are_refused_first(tmp_path, arguments, message):
    result = grade_command(
        tmp_path, "x.ipynb", "--chapter", "activations", *arguments
    )
    assert result.returncode == 2 and message in result.stderr


@pytest.mark.parametrize(
    "layout",
    [
        {},  # an empty folder
        {"ada/Neuron.ipynb": [NEURON]},  # another chapter
        {"ada/notes.ipynb": [RIGHT]},  # no chapter's name
    ],
)
def test_a_run_that_finds_no_submission_writes_nothing(tmp_path, layout):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for name, cells in layout.items():
        examples.write_submission(folder / name, cells)
    (tmp_path / "grading").mkdir()
    (tmp_path / "grading" / "gradebook.csv").write_text(KEPT)
    result = grade_command(tmp_path, "submissions", "--chapter", "activations")
    assert result.returncode == 1
    assert result.stderr.startswith("error: no submission for --chapter ")
    assert result.stderr.count("\n") == 1
    assert (tmp_path / "grading" / "gradebook.csv").read_text() == KEPT
    written = (tmp_path / "grading").rglob("*")
    assert [p.name for p in written if p.is_file()] == ["gradebook.csv"]


def test_notebooks_named_as_an_lms_exports_them_are_found(tmp_path):
    examples.write_submission(tmp_path / "ada" / "Activations.ipynb", [RIGHT])
    examples.write_submission(tmp_path / "ben" / "neuron (1).ipynb", [NEURON])
    found = grading.find_submissions([tmp_path], "all")
    assert [(s.student, s.chapter) for s in found] == [
        ("ada", "activations"),
        ("ben", "neuron"),
    ]


@pytest.mark.parametrize("option", ["--out", "--csv"])
def test_unwritable_outputs_are_refused_before_grading(tmp_path, option):
    examples.write_submission(tmp_path / "ada.ipynb", [RIGHT])
    (tmp_path / "file").write_text("a file, not a folder")
    target = "file/out" if option == "--out" else "file/grades.csv"
    result = grade_command(
        tmp_path, "ada.ipynb", "--chapter", "activations", option, target
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: cannot use file")
    assert "ada" not in result.stdout  # nothing was graded


def rows_for(chapter, points):
    """Gradebook rows of ``{student: points}`` for ``chapter``, one part."""
    total = grading.chapter_total(chapter)
    return [
        {
            "student": s,
            "chapter": chapter,
            "points": p,
            "max_points": total,
        }
        for s, p in points.items()
    ]


def test_the_gradebook_accumulates_across_runs(tmp_path):
    path = tmp_path / "gradebook.csv"
    for rows in (
        rows_for("activations", {"ada": 10, "ben": 6}),
        rows_for("neuron", {"ada": 10}),
        rows_for("activations", {"ben": 8}),  # a regrade of one student
    ):
        book = grading.accumulated(grading.read_gradebook(path), rows)
        grading.write_lines(grading.gradebook_lines(book), path)
    with open(path, newline="") as f:
        lines = list(csv.DictReader(f))
    assert lines == [
        {
            "student": "ada",
            "activations": "10",
            "neuron": "10",
            "total": "20",
            "max_total": "20",
        },
        {
            "student": "ben",
            "activations": "8",
            "neuron": "",
            "total": "8",
            "max_total": "10",
        },
    ]


def test_a_foreign_gradebook_is_refused_before_grading(tmp_path):
    path = tmp_path / "gradebook.csv"
    path.write_text("name,score\nada,3\n")
    with pytest.raises(grading.GradingError, match="not a gradebook this"):
        grading.read_gradebook(path)
    path.write_text("student,warmup,total,max_total\nada,3,3,3\n")
    with pytest.raises(grading.GradingError, match="unknown chapter"):
        grading.read_gradebook(path)


#: Canvas's gradebook import: identity columns, then one per assignment.
CANVAS_COLUMNS = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]


def test_the_canvas_gradebook_follows_the_import_layout(tmp_path):
    from fashionlib.teaching import lms

    roster_path = tmp_path / "roster.csv"
    roster_path.write_text(
        "folder,Student,ID,SIS User ID,SIS Login ID,Section\n"
        'ada,"Lovelace, Ada",101,S1,ada@uni,Mon\n'
        'cy,"Young, Cy",103,S3,cy@uni,Tue\n'
    )
    roster = lms.read_roster(roster_path)
    book = grading.accumulated(
        {}, rows_for("activations", {"ada": 10, "ben": 4})
    )
    lines, columns = lms.canvas_gradebook(book, roster)
    assert columns == [*CANVAS_COLUMNS, "activations"]
    assert lines == [
        {
            "Student": "Lovelace, Ada",
            "ID": "101",
            "SIS User ID": "S1",
            "SIS Login ID": "ada@uni",
            "Section": "Mon",
            "activations": 10,
        },
        {
            "Student": "Young, Cy",
            "ID": "103",
            "SIS User ID": "S3",
            "SIS Login ID": "cy@uni",
            "Section": "Tue",
            "activations": "",
        },
    ]
    assert lms.roster_gaps({"ada": None, "ben": None}, roster) == [
        "not in the roster (left out of the Canvas file): ben",
        "in the roster but no submission was graded: cy",
    ]
    roster_path.write_text("folder,Student\nada,Ada\n")
    with pytest.raises(grading.GradingError, match="no column ID, SIS"):
        lms.read_roster(roster_path)
