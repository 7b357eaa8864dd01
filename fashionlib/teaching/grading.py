"""Grading student notebooks: run each in a sandbox, decide outside it.

For each submission the grader makes a private job folder with a copy of
the notebook, the grader's inputs (drawn afresh from a secret seed) and the
list of calls to make. :mod:`fashionlib.teaching.runner` executes the
notebook in a kernel that can import only the student build, then calls
the notebook's graded functions on those inputs and saves the raw results.
Back in the grader's process, the results are compared with the reference
implementation's; nothing the notebook prints, patches or defines can turn
a failure into a pass. A graded function the notebook does not define
itself, or whose code is the reference's, gets no points.
"""

import ast
import csv
import functools
import importlib
import io
import json
import os
import secrets
import shutil
import signal
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashionlib.data import atomic_file, default_data_dir
from fashionlib.teaching import build, preflight, probes, sandbox
from fashionlib.teaching.contracts import core_functions, parse
from fashionlib.teaching.rubric import (
    RUBRIC,
    GradingError,
    chapter_rubric,
)

#: Seconds one cell of a submission may run.
CELL_TIMEOUT = 120
#: Seconds a whole submission may run.
NOTEBOOK_TIMEOUT = 600
#: Characters of output kept per submission; the rest is dropped.
OUTPUT_LIMIT = 1_000_000
#: Seconds the grader's calls of one submission may run.
CHECK_TIMEOUT = 60
#: Values the chapters define that a check grades (not functions).
REFERENCE_VALUES = {"W1": np.ones((5, 2)), "W2": np.ones((1, 6))}
#: The message of a function that is not the student's own.
REFERENCE_USED = "uses the reference implementation"


@dataclass(frozen=True)
class Submission:
    """One notebook to grade: whose it is, which chapter, where it is."""

    student: str
    chapter: str
    path: str


@dataclass(frozen=True)
class Settings:
    """How to grade: limits, sandbox, where feedback goes, the input seed."""

    cell_timeout: float = CELL_TIMEOUT
    notebook_timeout: float = NOTEBOOK_TIMEOUT
    output_limit: int = OUTPUT_LIMIT
    sandboxed: bool = True
    memory: int = sandbox.MEMORY_LIMIT
    feedback_dir: str | None = None
    seed: int | None = None


# --- Finding the submissions -------------------------------------------------


def student_names(paths):
    """Unique student names for notebook files: stems, or longer if needed.

    Files with the same stem in different folders keep their folders in
    the name (``a/ada`` and ``b/ada``), so their rows never merge.
    """
    paths = [Path(p).resolve() for p in paths]
    stems = [p.stem for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    common = Path(os.path.commonpath([str(p.parent) for p in paths]))
    return [str(p.relative_to(common).with_suffix("")) for p in paths]


def find_submissions(paths, chapter):
    """The submissions among ``paths`` (files or folders) for ``chapter``.

    A folder holds either one folder per student (``STUDENT/CHAPTER.ipynb``)
    or notebooks named after students (``STUDENT.ipynb``, for the chapter
    given). ``chapter`` "all" takes every chapter of the rubric found in
    per-student folders. GradingError when nothing fits.
    """
    found, loose = [], []
    for path in map(Path, paths):
        if path.is_file():
            loose.append(path)
        elif path.is_dir():
            for student in sorted(p for p in path.iterdir() if p.is_dir()):
                for notebook in sorted(student.glob("*.ipynb")):
                    named = chapter_named(notebook)
                    if named and chapter in ("all", named):
                        found.append(
                            Submission(student.name, named, str(notebook))
                        )
            loose += sorted(path.glob("*.ipynb"))
        else:
            raise GradingError(f"no such submission file or folder: {path}")
    if loose and chapter == "all":
        raise GradingError(
            "notebooks named after students need the chapter: --chapter "
            f"NAME (one of {', '.join(RUBRIC)}); 'all' needs one folder "
            "per student holding CHAPTER.ipynb"
        )
    if loose:
        chapter_rubric(chapter)
    found += [
        Submission(name, chapter, str(path))
        for name, path in zip(student_names(loose), loose, strict=True)
    ]
    taken = {}
    for s in found:
        taken.setdefault((s.student, s.chapter), []).append(s.path)
    clashes = [paths for paths in taken.values() if len(paths) > 1]
    if clashes:
        raise GradingError(
            f"two notebooks for one student and chapter: {clashes[0]}; "
            "give each student one folder or one file"
        )
    if not found:
        raise GradingError(
            f"no submission for --chapter {chapter} in "
            f"{', '.join(map(str, paths))}: expected STUDENT/CHAPTER.ipynb "
            "folders or STUDENT.ipynb files; nothing was graded or written"
        )
    return found


def chapter_named(notebook):
    """The rubric chapter a notebook's name gives (``Activations.ipynb``
    and ``activations (1).ipynb`` as LMS exports name them count), or
    None."""
    words = notebook.stem.lower().replace("-", " ").replace("_", " ")
    named = words.split(" ")[0] if words.strip() else ""
    return named if named in RUBRIC else None


# --- What the notebook defines -----------------------------------------------


def cell_python(source):
    """A code cell's source as Python (IPython magics turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def without_docstring(function):
    """The ``ast.dump`` of a function's body without its docstring."""
    body = function.body
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]
    return ast.dump(ast.Module(body=body, type_ignores=[]))


def notebook_functions(notebook):
    """Functions defined at the top of code cells: {name: body dump}."""
    defined = {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = parse(cell_python(cell.source))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                defined[node.name] = without_docstring(node)
    return defined


@functools.cache
def reference_functions():
    """The core modules' functions, read once per process:
    {name: (module name, ast.FunctionDef)}."""
    return core_functions()


@functools.cache
def reference_bodies():
    """The reference's functions: {name: body dump}, from the core modules."""
    return {
        name: without_docstring(node)
        for name, (_, node) in reference_functions().items()
    }


def reference_function(name):
    """The reference implementation of graded name ``name``."""
    if name in REFERENCE_VALUES:
        return None
    module, _ = reference_functions()[name]
    return getattr(importlib.import_module(f"fashionlib.{module}"), name)


def own_work(name, defined, origin, references):
    """Why the graded ``name`` is not the student's own work, or None."""
    if name in REFERENCE_VALUES:
        return None
    if name not in defined:
        return f"{name} is not defined by the notebook: {REFERENCE_USED}"
    if origin.get("module") != "__main__":
        return (
            f"{name} comes from {origin.get('module')}, not from the "
            f"notebook: {REFERENCE_USED}"
        )
    if defined[name] == references.get(name):
        return f"{name} is the reference's code: {REFERENCE_USED}"
    return None


# --- Running one submission --------------------------------------------------


def job_calls(parts):
    """The calls of the chapter's checks, for the job file."""
    return {
        p.check: {"name": p.names[0], "calls": probes.PROBES[p.check]}
        for p in parts
    }


def prepare_job(folder, submission, parts, settings, inputs):
    """Fill the job ``folder``: notebook copy, inputs, calls, limits."""
    (folder / "work").mkdir(parents=True)
    shutil.copy(submission.path, folder / "submission.ipynb")
    np.savez(folder / "inputs.npz", **inputs)
    job = {
        "cell_timeout": settings.cell_timeout,
        "notebook_timeout": settings.notebook_timeout,
        "output_limit": settings.output_limit,
        "check_timeout": CHECK_TIMEOUT,
        "sandboxed": settings.sandboxed,
        "calls": job_calls(parts),
    }
    (folder / "job.json").write_text(json.dumps(job))


def tools_folder(folder):
    """A folder with the runner and the harness, for the sandbox."""
    here = Path(__file__).parent
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("runner.py", "harness.py"):
        shutil.copy(here / name, folder / name)
    return folder


def run_job(folder, lib, tools, settings):
    """Run the runner on job ``folder``; returns a note if it was stopped."""
    data = default_data_dir()
    data = data if data.is_dir() else None
    if settings.sandboxed:
        command = sandbox.command(folder, lib, tools, data, settings.memory)
        env = None
    else:
        command = sandbox.unsandboxed_command(folder, tools)
        env = sandbox.unsandboxed_environment(lib, data)
    limit = settings.notebook_timeout + CHECK_TIMEOUT + 60
    process = subprocess.Popen(
        command,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return f"the run was stopped after {limit:.0f} s"
    return None


def kernel_results(folder, parts):
    """The raw results the kernel saved: {check: (origin, [results])}.

    A check without results (the kernel never got there) is missing.
    """
    try:
        summary = json.loads((folder / "results.json").read_text())
        with np.load(folder / "results.npz", allow_pickle=False) as saved:
            arrays = dict(saved)
    except (OSError, ValueError):
        return {}
    found = {}
    for p in parts:
        entry = summary.get(p.check)
        if not isinstance(entry, dict):
            continue
        results = []
        for i, item in enumerate(entry.get("results", [])):
            if isinstance(item, int):
                keys = [f"{p.check}/{i}/{j}" for j in range(item)]
                results.append([arrays.get(k, np.array(np.nan)) for k in keys])
            else:
                results.append(str(item))
        found[p.check] = (entry.get("origin", {}), results)
    return found


def runner_notes(folder):
    """The notes the runner wrote (what the notebook did wrong)."""
    try:
        notes = json.loads((folder / "runner.json").read_text())["notes"]
        return [str(note) for note in notes]
    except (OSError, ValueError, KeyError, TypeError):
        return ["the notebook did not finish running (no report from it)"]


def decide(parts, notebook, found, inputs):
    """(passed, message) per part from the kernel's raw results."""
    defined = notebook_functions(notebook)
    references = reference_bodies()
    decisions = []
    for p in parts:
        name = p.names[0]
        if p.check not in found:
            decisions.append((False, "not checked: the kernel stopped first"))
            continue
        origin, got = found[p.check]
        problem = own_work(name, defined, origin, references)
        if problem:
            decisions.append((False, problem))
            continue
        expected = probes.reference_results(
            p.check, reference_function(name), inputs, REFERENCE_VALUES
        )
        decisions.append(probes.verdict(p.check, got, expected))
    return decisions


def run_submission(submission, settings, lib, tools, inputs):
    """Grade one submission: ([(passed, message)] per part, notes)."""
    import nbformat

    parts = chapter_rubric(submission.chapter).parts
    try:
        check_size(submission.path)
        notebook = nbformat.read(submission.path, as_version=4)
    except (OSError, ValueError, UnicodeDecodeError) as error:
        message = f"could not read the notebook: {error}"
        return [(False, message)] * len(parts), [], None
    with tempfile.TemporaryDirectory(prefix="fashionlib-grade-") as folder:
        folder = Path(folder)
        prepare_job(folder, submission, parts, settings, inputs)
        stopped = run_job(folder, lib, tools, settings)
        notes = runner_notes(folder) + ([stopped] if stopped else [])
        found = kernel_results(folder, parts)
        decisions = decide(parts, notebook, found, inputs)
        executed = folder / "executed.ipynb"
        executed = executed.read_bytes() if executed.is_file() else None
    return decisions, notes, executed


#: Largest notebook the grader reads (bytes).
NOTEBOOK_LIMIT = 50 * 1024**2


def check_size(path):
    """Raise ValueError if the file ``path`` is larger than
    :data:`NOTEBOOK_LIMIT` (checked before it is read)."""
    size = os.stat(path).st_size
    if size > NOTEBOOK_LIMIT:
        raise ValueError(
            f"it holds {size} bytes, more than the {NOTEBOOK_LIMIT} a "
            "notebook may have: clear its outputs and submit it again"
        )


def rows_of(submission, decisions, notes):
    """One row per part of the chapter's rubric."""
    parts = chapter_rubric(submission.chapter).parts
    return [
        {
            "student": submission.student,
            "chapter": submission.chapter,
            "check": p.check,
            "passed": passed,
            "message": message,
            "points": p.points if passed else 0,
            "max_points": p.points,
            "notes": "; ".join(notes),
        }
        for p, (passed, message) in zip(parts, decisions, strict=True)
    ]


def grade_one(submission, settings, lib, tools, inputs):
    """Grade one submission, write its feedback; returns its rows."""
    decisions, notes, executed = run_submission(
        submission, settings, lib, tools, inputs
    )
    rows = rows_of(submission, decisions, notes)
    if settings.feedback_dir:
        write_feedback(rows, executed, settings.feedback_dir)
    return rows


def grade(submissions, settings=Settings(), jobs=1):
    """Grade ``submissions`` (Submission list), ``jobs`` at a time.

    Returns one row per (submission, check), in the submissions' order.
    Raises SandboxError when the sandbox is asked for and bwrap is missing,
    GradingError when the grader's own runner fails on a canary notebook
    (:mod:`~fashionlib.teaching.preflight`): a student never gets a 0 for
    the grader's fault.
    """
    if settings.sandboxed:
        sandbox.require()
    seed = settings.seed if settings.seed is not None else secrets.randbits(32)
    inputs = probes.make_inputs(seed)
    with tempfile.TemporaryDirectory(prefix="fashionlib-grader-") as shared:
        lib = build.write_student_build(Path(shared) / "lib" / "fashionlib")
        tools = tools_folder(Path(shared) / "tools")
        if submissions:
            data = default_data_dir()
            preflight.check_machinery(
                lib.parent, tools, data if data.is_dir() else None, settings
            )
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            graded = pool.map(
                lambda s: grade_one(s, settings, lib.parent, tools, inputs),
                submissions,
            )
            return [row for rows in graded for row in rows]


# --- Reporting ---------------------------------------------------------------

#: Columns of the grade table and of its CSV file.
COLUMNS = (
    "student",
    "chapter",
    "check",
    "passed",
    "message",
    "points",
    "max_points",
    "notes",
)


def shorten(text, width):
    """``text`` on one line, cut to ``width`` characters."""
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def format_table(rows, width=70):
    """A plain-text table: rows, each student's total, then the notes."""
    lines = [
        (
            r["student"],
            r["chapter"],
            r["check"],
            "passed" if r["passed"] else shorten(r["message"], width),
            f"{r['points']}/{r['max_points']}",
        )
        for r in rows
    ]
    for student in dict.fromkeys(r["student"] for r in rows):
        mine = [r for r in rows if r["student"] == student]
        points = sum(r["points"] for r in mine)
        lines.append(
            (
                student,
                "",
                "TOTAL",
                "",
                f"{points}/{sum(r['max_points'] for r in mine)}",
            )
        )
    header = ("student", "chapter", "check", "result", "points")
    widths = [
        max(len(str(row[i])) for row in [header, *lines]) for i in range(5)
    ]

    def render(row):
        cells = (
            str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)
        )
        return "  ".join(cells).rstrip()

    notes = {
        (r["student"], r["chapter"]): r["notes"] for r in rows if r["notes"]
    }
    return "\n".join(
        [render(header), render(["-" * w for w in widths])]
        + [render(line) for line in lines]
        + [f"note on {s} ({c}): {note}" for (s, c), note in notes.items()]
    )


def csv_text(rows, columns):
    """``rows`` (dicts) as CSV text with a header of ``columns``."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(rows)
    return text.getvalue()


def write_csv(rows, path):
    """Write the rows as CSV (columns COLUMNS) to ``path`` atomically."""
    with atomic_file(path) as f:
        f.write(csv_text(rows, COLUMNS).encode())


def scores(rows):
    """{student: {chapter: [points, max_points]}} summed over ``rows``."""
    book = {}
    for r in rows:
        score = book.setdefault(r["student"], {}).setdefault(
            r["chapter"], [0, 0]
        )
        score[0] += r["points"]
        score[1] += r["max_points"]
    return book


def gradebook_lines(book):
    """The gradebook of ``book`` (as :func:`scores` makes it): a list of
    dicts with points per chapter, totals and maxima, and the columns."""
    chapters = book_chapters(book)
    lines = []
    for student, line in book.items():
        lines.append(
            {
                "student": student,
                **{c: line[c][0] if c in line else "" for c in chapters},
                "total": sum(score[0] for score in line.values()),
                "max_total": sum(score[1] for score in line.values()),
            }
        )
    return lines, ["student", *chapters, "total", "max_total"]


def book_chapters(book):
    """The chapters graded in ``book``, in the rubric's order."""
    chapters = dict.fromkeys(c for line in book.values() for c in line)
    return sorted(
        chapters, key=lambda c: list(RUBRIC).index(c) if c in RUBRIC else 0
    )


def gradebook(rows):
    """Students by chapters: a list of dicts with points, totals, maxima."""
    return gradebook_lines(scores(rows))


def write_gradebook(rows, path):
    """Write the gradebook CSV (students by chapters) to ``path``."""
    write_lines(gradebook(rows), path)


def write_lines(gradebook, path):
    """Write ``gradebook`` (lines, columns) as CSV to ``path``."""
    lines, columns = gradebook
    with atomic_file(path) as f:
        f.write(csv_text(lines, columns).encode())


#: Largest gradebook file the grader reads back (bytes).
GRADEBOOK_LIMIT = 10 * 1024**2


def read_gradebook(path):
    """The gradebook CSV at ``path`` as :func:`scores` makes it ({} when
    there is none); the maxima of its chapters come from the rubric.

    GradingError, before any grading, if it is not a gradebook of this
    grader (columns student, chapters of the rubric, total, max_total).
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        if path.stat().st_size > GRADEBOOK_LIMIT:
            raise ValueError(f"larger than {GRADEBOOK_LIMIT} bytes")
        reader = csv.DictReader(io.StringIO(path.read_text("utf-8")))
        columns = reader.fieldnames or []
        chapters = columns[1:-2]
        if columns[:1] + columns[-2:] != ["student", "total", "max_total"]:
            raise ValueError(f"columns {columns}")
        maxima = {c: chapter_total(c) for c in chapters}
        return {
            line["student"]: {
                c: [int(line[c]), maxima[c]] for c in chapters if line[c]
            }
            for line in reader
        }
    except (OSError, ValueError, KeyError, TypeError, csv.Error) as error:
        raise GradingError(
            f"{path} is not a gradebook this grader wrote ({error}): move "
            "it away, or give another --out"
        ) from None


def chapter_total(chapter):
    """The automatic points of ``chapter``; ValueError if it is unknown."""
    if chapter not in RUBRIC:
        raise ValueError(f"unknown chapter {chapter!r}")
    return sum(p.points for p in RUBRIC[chapter].parts)


def accumulated(old, rows):
    """The gradebook ``old`` ({student: {chapter: [points, max]}}) updated
    with ``rows``: each (student, chapter) they grade is replaced, every
    other entry kept."""
    book = {student: dict(line) for student, line in old.items()}
    for student, line in scores(rows).items():
        book.setdefault(student, {}).update(line)
    return book


def feedback_text(rows):
    """The feedback of one student and chapter, in Markdown."""
    first = rows[0]
    title = RUBRIC[first["chapter"]].title
    points = sum(r["points"] for r in rows)
    lines = [
        f"# Feedback for {first['student']}: {title}",
        "",
        f"Points: {points} of {sum(r['max_points'] for r in rows)}. Your "
        f"executed notebook is `{first['chapter']}.ipynb`, beside this file.",
        "",
    ]
    for r in rows:
        verdict = "passed" if r["passed"] else "not passed"
        lines += [
            f"## `{r['check']}`: {verdict}, {r['points']} of "
            f"{r['max_points']} points",
            "",
        ]
        if not r["passed"]:
            lines += ["```text", r["message"], "```", ""]
    if first["notes"]:
        lines += ["## Notes", ""]
        lines += [f"- {note}" for note in first["notes"].split("; ")]
    return "\n".join(lines).rstrip() + "\n"


def write_feedback(rows, executed, folder):
    """Write FOLDER/STUDENT/CHAPTER.md and the executed notebook beside it."""
    first = rows[0]
    target = Path(folder) / first["student"] / first["chapter"]
    with atomic_file(target.with_suffix(".md")) as f:
        f.write(feedback_text(rows).encode())
    if executed is not None:
        with atomic_file(target.with_suffix(".ipynb")) as f:
            f.write(executed)
