"""The grader treats everything a submission can touch as hostile (issue 20).

Fast tests read hostile files, names, rows and messages directly; one slow
course grades cheats and hostile notebooks through the command line, in
the sandbox, and checks the points, the feedback and the grader's memory.
"""

import csv
import json
import os
import resource
import subprocess
import sys
import zipfile
from pathlib import Path

import nbformat
import numpy as np
import pytest

from fashionlib.teaching import (
    examples,
    extract,
    grading,
    harness,
    hostile,
    probes,
    shards,
)

REPOSITORY = Path(__file__).resolve().parent.parent
RIGHT, SLIP = examples.RIGHT_ACTIVATIONS, examples.SLIP_ACTIVATIONS
ZEROS = "".join(
    f"def {name}(x):\n    return 0\n\n"
    for name in ("relu", "identity", "sigmoid")
)
SECRET = "h20-grader-secret-4711"

# --- Reading files -----------------------------------------------------------


def test_links_pipes_devices_and_big_files_are_refused(tmp_path):
    (tmp_path / "zero").symlink_to("/dev/zero")
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "big").write_bytes(b"x" * 101)
    (tmp_path / "fits").write_bytes(b"x" * 100)
    cases = {
        "zero": "zero is a link, not a file",
        "pipe": "pipe is not a regular file",
        "big": "big holds 101 bytes, more than the 100 allowed",
        "missing": "missing cannot be opened",
    }
    for name, message in cases.items():
        with pytest.raises(hostile.HostileInput, match=message):
            hostile.read_capped(tmp_path / name, 100)
    with pytest.raises(hostile.HostileInput, match="not a regular file"):
        hostile.read_capped("/dev/zero", 100)
    assert hostile.read_capped(tmp_path / "fits", 100) == b"x" * 100


def test_an_npz_is_loaded_only_when_its_members_are_stored_and_fit(
    tmp_path,
):
    bomb = tmp_path / "bomb.npz"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("a.npy", "b.npy"):
            with archive.open(name, "w", force_zip64=True) as member:
                for _ in range(64):
                    member.write(bytes(1 << 20))
    assert bomb.stat().st_size < 1 << 20
    with pytest.raises(hostile.HostileInput, match="compressed members"):
        hostile.load_npz(bomb.read_bytes(), 1 << 20)
    big = grading.npz_bytes({"a": np.zeros(1000)})
    with pytest.raises(hostile.HostileInput, match="declares more than"):
        hostile.load_npz(big, 4000)
    assert hostile.load_npz(big, 10_000)["a"].shape == (1000,)
    with pytest.raises(hostile.HostileInput, match="not a readable npz"):
        hostile.load_npz(b"PK\x03\x04 junk", 10_000)


def notebook_json(cells):
    """A notebook's JSON text with raw cell dicts ``cells``."""
    return json.dumps(
        {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    )


def hostile_notebooks(folder):
    """Notebooks that cannot be read or analysed: {student: reason}."""
    code = {
        "cell_type": "code",
        "metadata": {},
        "outputs": [],
        "execution_count": None,
    }
    texts = {
        "list": ("[]", "is not a valid notebook"),
        "integer_source": (
            notebook_json([{**code, "source": 3, "execution_count": None}]),
            "is not a valid notebook",
        ),
        "deep_json": ("[" * 100_000 + "]" * 100_000, "is not a valid"),
        "huge_cell": (
            notebook_json(
                [{**code, "source": "x=1\n" * 2_000_000, "outputs": []}]
            ),
            "more than the 8388608 allowed",
        ),
        "long_cell": (
            notebook_json([{**code, "source": "x=1\n" * 200_000}]),
            "more code than the grader reads",
        ),
        "chain": (
            notebook_json([{**code, "source": "y = a" + ".b" * 45_000}]),
            "cannot be analysed (RecursionError)",
        ),
        "not_json": ("{ not a notebook", "is not a valid notebook"),
        "many_cells": (
            notebook_json(
                [{"cell_type": "markdown", "metadata": {}, "source": ""}]
                * 2001
            ),
            "holds 2001 cells and 0 outputs, more than",
        ),
    }
    for name, (text, _) in texts.items():
        (folder / f"{name}.ipynb").write_text(text)
    (folder / "linked.ipynb").symlink_to("/etc/passwd")
    reasons = {name: reason for name, (_, reason) in texts.items()}
    return {**reasons, "linked": "linked.ipynb is a link, not a file"}


@pytest.mark.slow
def test_unreadable_notebooks_are_one_row_each_in_little_memory(tmp_path):
    expected = hostile_notebooks(tmp_path)
    script = (
        "import json, resource, sys\n"
        "from fashionlib.teaching import grading\n"
        "found = grading.find_submissions([sys.argv[1]], 'activations')\n"
        "rows = grading.grade(found, grading.Settings(sandboxed=False))\n"
        "peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(json.dumps([rows, peak]))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    rows, peak_kib = json.loads(result.stdout)
    assert peak_kib < 1024**2, f"the grader used {peak_kib} KiB"
    said = {r["student"]: r["message"] for r in rows}
    for student, reason in expected.items():
        assert reason in said[student], said[student]
        assert f"{student}.ipynb" in said[student]
    points = {}
    for r in rows:
        points[r["student"]] = points.get(r["student"], 0) + r["points"]
    assert points == dict.fromkeys(expected, 0)


# --- Names, CSV cells, terminal, feedback ------------------------------------


def test_unsafe_student_names_are_refused_naming_the_file(tmp_path):
    for name in ("..", ".", "ok", "bad\x1b[2J"):
        examples.write_submission(tmp_path / f"{name}.ipynb", [RIGHT])
    refused = []
    found = grading.find_submissions(
        sorted(tmp_path.glob("*.ipynb")), "activations", refused
    )
    assert [s.student for s in found] == ["ok"]
    assert len(refused) == 3
    assert all("skipped" in r and ".ipynb" in r for r in refused)
    with pytest.raises(grading.GradingError, match=r"'\.\.' .*rename it"):
        grading.find_submissions([tmp_path / "...ipynb"], "activations")


def test_csv_cells_cannot_start_a_formula_even_after_a_merge(tmp_path):
    name = "=cmd|' -c calc'!A0"
    examples.write_submission(tmp_path / f"{name}.ipynb", [RIGHT])
    found = grading.find_submissions(
        [tmp_path / f"{name}.ipynb"], "activations"
    )
    assert found[0].student == name
    rows = [
        {
            "student": name,
            "chapter": "activations",
            "check": "check_relu",
            "passed": False,
            "message": "+1 @SUM(A1)\t-2",
            "points": 0,
            "max_points": 4,
            "notes": "-note",
        }
    ]
    grading.write_csv(rows, tmp_path / "grades.csv")
    grading.write_gradebook(rows, tmp_path / "book.csv")
    shards.merge([tmp_path / "book.csv"], tmp_path / "merged.csv")
    for path in ("grades.csv", "book.csv", "merged.csv"):
        with open(tmp_path / path, newline="") as f:
            cells = [cell for row in csv.reader(f) for cell in row]
        assert not any(
            c[:1] in ("=", "+", "-", "@", "\t", "\r") for c in cells
        )
        assert f"'{name}" in cells


def test_control_characters_never_reach_the_terminal_or_feedback():
    message = "\x1b[2J\x1b]0;pwned\x07red\u202eevil\r\nnext ```\n# Heading"
    rows = [
        {
            "student": "ada",
            "chapter": "activations",
            "check": "check_relu",
            "passed": False,
            "message": message,
            "points": 0,
            "max_points": 4,
            "notes": "cell 0 raised X: ![](http://evil/x.png)\x1b[31m",
        }
    ]
    table = grading.format_table(rows, width=200)
    assert not any(
        ord(c) < 32 and c != "\n" or c in "\x7f\u202e" for c in table
    )
    text = grading.feedback_text(rows)
    assert "\x1b" not in text and "\u202e" not in text
    lines = text.splitlines()
    fence = lines[lines.index("````text") + 1 :].index("````")
    assert "# Heading" in lines[lines.index("````text") + 1 :][:fence]
    assert "```text\ncell 0 raised" in text  # notes are fenced too


# --- Shards ------------------------------------------------------------------


def test_merge_refuses_malformed_rows_naming_file_and_row(tmp_path):
    header = "student,activations,total,max_total\n"
    cases = {
        "extra": (header + "ada,4,4,10\nben,4,4,10,oops\n", "row 3"),
        "nostudent": ("name,total,max_total\nada,4,10\n", "not a gradebook"),
        "toomuch": (header + "ada,999,999,10\n", "row 2, activations"),
        "total": (header + "ada,4,999,10\n", "row 2, total"),
        "sum": (header + "ada,4,5,10\n", "not the chapters' sum"),
        "name": (header + "..,4,4,10\n", "row 2"),
    }
    for name, (text, message) in cases.items():
        (tmp_path / f"{name}.csv").write_text(text)
        with pytest.raises(shards.ShardError, match=message) as raised:
            shards.merge([tmp_path / f"{name}.csv"], tmp_path / "out.csv")
        assert f"{name}.csv" in str(raised.value)
    assert not (tmp_path / "out.csv").exists()
    result = shards.main(
        ["merge", str(tmp_path / "out.csv"), str(tmp_path / "extra.csv")]
    )
    assert result == 1


def test_split_refuses_links(tmp_path):
    examples.write_submission(tmp_path / "subs" / "ada" / "a.ipynb", [RIGHT])
    (tmp_path / "subs" / "ada" / "secret").symlink_to("/etc/passwd")
    with pytest.raises(shards.ShardError, match="secret is a link"):
        shards.split(tmp_path / "subs", 1, 0, tmp_path / "out")
    assert not (tmp_path / "out" / "ada").exists()


# --- Stronger checks, in process ---------------------------------------------

INPUTS = probes.make_inputs(5)


@pytest.mark.parametrize(
    "wrong",
    [
        lambda rows, columns, seed=0: np.zeros((rows, columns)),
        lambda rows, columns, seed=0: np.full((rows, columns), 0.05),
        lambda rows, columns, seed=0: (
            np.sqrt(1 / columns)
            * np.random.default_rng(seed).choice([-1.0, 1.0], (rows, columns))
        ),
        lambda rows, columns, seed=0: np.random.default_rng(0).uniform(
            -np.sqrt(3 / columns), np.sqrt(3 / columns), (rows, columns)
        ),
    ],
    ids=["zeros", "constant", "signs", "ignores-seed"],
)
def test_random_initialisations_are_checked_on_their_distribution(wrong):
    def network(shape, seed=0):
        rng = np.random.default_rng(seed)
        return [
            np.hstack([wrong(m, n, rng.integers(99)), np.zeros((m, 1))])
            for n, m in zip(shape[:-1], shape[1:], strict=True)
        ]

    for check, function, name in (
        ("check_random_matrix", wrong, "random_matrix"),
        ("check_initialize_network", network, "initialize_network"),
    ):
        reference = grading.reference_function(name)
        expected = probes.reference_results(check, reference, INPUTS)
        got = probes.reference_results(check, function, INPUTS)
        assert not probes.verdict(check, got, expected)[0]
        assert probes.verdict(check, expected, expected)[0]


def definitions(code):
    """The extracted definitions of a notebook with one cell ``code``."""
    cells = [nbformat.v4.new_code_cell(code)]
    return extract.definitions(nbformat.v4.new_notebook(cells=cells))


@pytest.mark.parametrize(
    ("name", "code", "called"),
    [
        (
            "l2",
            "from fashionlib.batch import l2_batch as l\n"
            "def l2(x, y):\n    return l(x[None], y[None])",
            "l2_batch",
        ),
        (
            "affine",
            "import fashionlib.batch as b\n"
            "def affine(x, W):\n    return b.affine_batch(x[None], W)[0]",
            "affine_batch",
        ),
        (
            "backprop_relu_x",
            "from fashionlib import backprop\n"
            "def backprop_relu_x(g, x):\n"
            "    return backprop.backprop_relu_x_naive(g, x)",
            "backprop_relu_x_naive",
        ),
    ],
)
def test_a_library_implementation_earns_nothing(name, code, called):
    said = grading.own_work(name, definitions(code))
    assert said == f"{name} calls {called}: {grading.LIBRARY_USED}"


def test_helpers_the_reference_uses_stay_allowed():
    code = (
        "from fashionlib.activations import as_vector\n"
        "import numpy as np\n"
        "def relu(x):\n    return np.maximum(as_vector(x), 0)\n"
    )
    assert grading.own_work("relu", definitions(code)) is None


def test_only_the_graded_definitions_and_what_they_need_are_extracted():
    code = (
        "import numpy as np, os\n"
        "SCALE = 2.0\n"
        "def helper(x):\n    return np.asarray(x, float) * SCALE / 2\n"
        "def relu(x):\n    return 0\n"
        "os.system('echo side effect')\n"
        "def relu(x):\n    return np.maximum(helper(x), 0)\n"
        "get_ipython().events.register('post_run_cell', print)\n"
        "def exec(*args):\n    pass\n"
    )
    source = extract.source(definitions(code), ["relu"])
    assert "os.system" not in source and "get_ipython" not in source
    assert "def exec" not in source and "return 0" not in source
    namespace = {}
    exec(source, namespace)
    assert namespace["relu"]([-1.0, 3.0]).tolist() == [0.0, 3.0]


# --- A hostile course, graded in the sandbox ---------------------------------

HOOK = (
    "import json, os\n"
    "def empty(*args):\n"
    "    for name in ('/job/results.json', '/job/job.json'):\n"
    "        if os.path.exists(name):\n"
    "            json.dump({}, open(name, 'w'))\n"
    "get_ipython().events.register('post_run_cell', empty)"
)
FORGE = (
    "import json\n"
    "j = json.load(open('/job/job.json'))\n"
    "for s in j['calls'].values(): s['calls'] = []\n"
    "json.dump(j, open('/job/job.json', 'w'))"
)
EXEC = (
    "import builtins\n"
    "def exec(code, scope=None):\n"
    "    builtins.exec(code.replace('probe', 'no_probe'), scope)"
)
HELPER = RIGHT.replace(
    "return np.maximum(np.asarray(x, dtype=float), 0.0)",
    "return _grader['relu_'](x)",
)
LIBRARY = {
    "objective": (
        "import importlib\n"
        "from fashionlib import batch\n"
        "def l2(x, y):\n"
        "    return batch.l2_batch(x[None], y[None])\n"
        "def d_l2_d_x(x, y):\n"
        "    lib = importlib.import_module('fashion' + 'lib.batch')\n"
        "    return getattr(lib, 'd_l2_batch' + '_d_Y')(x[None], y[None])\n"
    ),
    "network": (
        "import numpy as np\nfrom fashionlib.batch import affine_batch\n"
        "def affine(x, W):\n"
        "    return affine_batch(np.asarray(x)[None], W)[0]\n"
    ),
    "backprop": (
        "import fashionlib.backprop as b\n"
        "def backprop_relu_x(Jx_E, x):\n"
        "    return b.backprop_relu_x_naive(Jx_E, x)\n"
        "def backprop_identity_x(Jx_E, x):\n"
        "    return b.backprop_identity_x_naive(Jx_E, x)\n"
    ),
    "initialisation": (
        "import numpy as np\n"
        "def random_matrix(rows, columns, seed=0):\n"
        "    return np.zeros((rows, columns))\n"
        "def initialize_network(network_shape, seed=0):\n"
        "    return [np.zeros((m, n + 1)) for n, m in\n"
        "            zip(network_shape[:-1], network_shape[1:])]\n"
    ),
}
HONEST_INITIALISATION = (
    "import numpy as np\n"
    "def random_matrix(rows, columns, seed=0):\n"
    "    a = np.sqrt(3 / columns)\n"
    "    return np.random.default_rng(seed).uniform(-a, a, (rows, columns))\n"
    "def initialize_network(network_shape, seed=0):\n"
    "    rng = np.random.default_rng(seed)\n"
    "    return [np.hstack([random_matrix(m, n, rng), np.zeros((m, 1))])\n"
    "            for n, m in zip(network_shape[:-1], network_shape[1:])]\n"
)


def links(target):
    """A cell that replaces the runner's files by links to ``target``."""
    return (
        "import os\n"
        "for name in ('executed.ipynb', 'runner.json'):\n"
        f"    os.symlink({str(target)!r}, '/job/' + name)"
    )


#: student -> (chapter, cells, points expected).
COURSE = {
    "right": ("activations", [RIGHT], 10),
    "empty": ("activations", [], 0),
    "zeros": ("activations", [ZEROS], 0),
    "forge": ("activations", [ZEROS, FORGE], 0),
    "hook": ("activations", [ZEROS, HOOK], 0),
    "exec": ("activations", [EXEC, ZEROS], 0),
    "helper": ("activations", [HELPER], 6),
    "environ": ("activations", [RIGHT, links("/proc/self/environ")], 10),
    "reference": (
        "activations",
        [RIGHT, links(REPOSITORY / "fashionlib" / "activations.py")],
        10,
    ),
    "devzero": ("activations", [RIGHT, links("/dev/zero")], 10),
    "fifo": (
        "activations",
        [RIGHT, "import os\nos.mkfifo('/job/executed.ipynb')"],
        10,
    ),
    "library": None,  # one notebook per chapter of LIBRARY, 0 points each
    "honest_init": ("initialisation", [HONEST_INITIALISATION], 10),
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """Grade COURSE through the command line; rows, feedback, memory."""
    root = tmp_path_factory.mktemp("hostile")
    for student, entry in COURSE.items():
        if entry:
            chapter, cells, _ = entry
            path = root / "subs" / student / f"{chapter}.ipynb"
            examples.write_submission(path, cells)
    for chapter, code in LIBRARY.items():
        path = root / "subs" / "library" / f"{chapter}.ipynb"
        examples.write_submission(path, [code])
    (root / "subs" / "broken").mkdir()
    (root / "subs" / "broken" / "activations.ipynb").write_text("[]")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "fashionlib",
            "grade",
            "subs",
            "--chapter",
            "all",
            "--jobs",
            "2",
            "--cell-timeout",
            "30",
            "--notebook-timeout",
            "60",
        ],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "H20_SECRET": SECRET},
        timeout=1200,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    with open(root / "grading" / "grades-all.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    return {
        "rows": rows,
        "root": root,
        "stdout": result.stdout,
        "peak": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
        "before": before,
    }


def points(rows):
    """{(student, chapter): points}."""
    found = {}
    for r in rows:
        key = (r["student"], r["chapter"])
        found[key] = found.get(key, 0) + int(r["points"])
    return found


@pytest.mark.slow
def test_cheats_earn_nothing_and_honest_work_everything(course):
    got = points(course["rows"])
    for student, entry in COURSE.items():
        if entry:
            assert got[(student, entry[0])] == entry[2], student
    for chapter in LIBRARY:
        assert got[("library", chapter)] == 0, chapter
    assert got[("broken", "activations")] == 0
    broken = [r for r in course["rows"] if r["student"] == "broken"]
    assert "activations.ipynb is not a valid notebook" in broken[0]["message"]


@pytest.mark.slow
def test_library_implementations_are_named(course):
    said = {
        (r["chapter"], r["check"]): r["message"]
        for r in course["rows"]
        if r["student"] == "library"
    }
    for key in (
        ("objective", "check_l2"),
        ("objective", "check_d_l2_d_x"),
        ("network", "check_affine"),
        ("backprop", "check_backprop_relu_x"),
        ("backprop", "check_backprop_identity_x"),
    ):
        assert grading.LIBRARY_USED in said[key], (key, said[key])
    assert (
        "variance 0.00000" in said[("initialisation", "check_random_matrix")]
    )


@pytest.mark.slow
def test_nothing_of_the_grader_reaches_a_students_feedback(course):
    feedback = course["root"] / "grading" / "feedback"
    reference = (REPOSITORY / "fashionlib" / "activations.py").read_bytes()
    for path in feedback.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert SECRET.encode() not in data, path
            assert reference[:200] not in data, path
            assert not path.is_symlink(), path
    assert sorted(p.name for p in feedback.iterdir()) == sorted(
        [*COURSE, "broken"]
    )
    executed = feedback / "environ" / "activations.ipynb"
    assert nbformat.read(executed, as_version=4).cells[0].source == RIGHT


@pytest.mark.slow
def test_the_grader_stays_under_one_gibibyte(course):
    assert course["peak"] < 1024**2, f"{course['peak']} KiB"


NETWORK = (
    "import numpy as np\n"
    "W1 = np.ones((5, 2))\n"
    "W2 = np.ones((1, 6))\n"
    "def affine(x, W):\n"
    "    return W @ np.append(np.asarray(x, float), 1.0)\n"
    "def nn(x, W_list, h_list):\n"
    "    for W, h in zip(W_list, h_list):\n"
    "        x = h(affine(x, W))\n"
    "    return x\n"
)


def test_the_harness_results_decide_in_process():
    parts = grading.chapter_rubric("network").parts
    found = definitions(NETWORK + "print('not run')\n")
    job = grading.probe_job(found, parts)
    assert "print" not in job["source"]
    arrays = hostile.load_npz(
        grading.npz_bytes(harness.probe(job, INPUTS)), 1 << 20
    )
    results = grading.probe_results(arrays, job)
    decisions = grading.decide(parts, found, results, INPUTS)
    assert decisions == [(True, "passed")] * 3, decisions
    forged = dict(arrays)
    del forged["check_nn/0/0"]
    assert (
        "no result for call 0"
        in grading.probe_results(forged, job)["check_nn"]
    )
    forged = {**arrays, "check_nn/7/0": np.zeros(2)}
    assert (
        "unexpected results"
        in grading.probe_results(forged, job)["check_affine"]
    )
