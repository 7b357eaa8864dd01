"""Grading student notebooks: probe each in a sandbox, decide outside it.

Everything a submission can touch is hostile input. The grader reads each
notebook under caps (:mod:`fashionlib.teaching.hostile`) and extracts the
graded functions' definitions (:mod:`fashionlib.teaching.extract`). A
fresh process in the sandbox (:mod:`fashionlib.teaching.harness`) runs
those definitions alone on the grader's inputs (drawn afresh from a secret
seed) and writes the raw results to a pipe the grader reads up to a cap;
the grader checks them against its own copy of the job and compares them
with the reference implementation's. The whole notebook runs separately
(:mod:`fashionlib.teaching.runner`), for the feedback only. A graded
function the notebook does not define itself, whose code is the
reference's, or that calls a library implementation gets no points; a
submission that cannot be read is one row per check naming the file.
"""

import csv
import functools
import importlib
import io
import json
import os
import re
import secrets
import selectors
import shutil
import signal
import subprocess
import tempfile
import time
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashionlib.data import atomic_file, default_data_dir
from fashionlib.teaching import (
    build,
    extract,
    hostile,
    preflight,
    probes,
    sandbox,
)
from fashionlib.teaching.exercises import STUBBED
from fashionlib.teaching.library import call_graph, core_functions
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
#: The message of a function that calls the library's version of itself.
LIBRARY_USED = "uses a library implementation"
#: Bytes of the probes' results, of the runner's notes, of the executed
#: notebook that the grader reads back.
RESULTS_LIMIT, NOTES_LIMIT = 32 * 1024**2, 1024**2
EXECUTED_LIMIT = 32 * 1024**2


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
    paths = [Path(p).absolute() for p in paths]
    stems = [p.stem for p in paths]
    if len(set(stems)) == len(stems):
        return stems
    common = Path(os.path.commonpath([str(p.parent) for p in paths]))
    return [str(p.relative_to(common).with_suffix("")) for p in paths]


def name_problem(name):
    """Why ``name`` (``/``-separated parts) is not a safe student name, or
    None: no part may be empty, ``.`` or ``..``, or hold a control
    character or a backslash."""
    if any(part in ("", ".", "..") for part in name.split("/")):
        return f"its student name {name!r} is empty, '.' or '..'"
    if any(c == "\\" or unicodedata.category(c) in ("Cc", "Cf") for c in name):
        return f"its student name {name!r} holds a control character"
    return None


def refuse(refused, message):
    """Append ``message`` to the list ``refused``; GradingError if None."""
    if refused is None:
        raise GradingError(message)
    refused.append(message)


def safe_submissions(found, refused):
    """Those of ``found`` whose student names are safe; the others are
    refused (:func:`refuse`), one line each naming the file."""
    kept = []
    for s in found:
        problem = name_problem(s.student)
        if problem:
            refuse(refused, f"skipped {s.path!r}: {problem}; rename it")
        else:
            kept.append(s)
    return kept


def find_submissions(paths, chapter, refused=None):
    """The submissions among ``paths`` (files or folders) for ``chapter``.

    A folder holds either one folder per student (``STUDENT/CHAPTER.ipynb``)
    or notebooks named after students (``STUDENT.ipynb``, for the chapter
    given). ``chapter`` "all" takes every chapter of the rubric found in
    per-student folders. GradingError when nothing fits. Unsafe student
    names and linked student folders are refused (see
    :func:`safe_submissions`).
    """
    found, loose = [], []
    for path in map(Path, paths):
        if path.is_file():
            loose.append(path)
        elif path.is_dir():
            folders = sorted(p for p in path.iterdir() if p.is_dir())
            for student in folders:
                if student.is_symlink():
                    refuse(refused, f"skipped {str(student)!r}: a link")
                    continue
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
    found = safe_submissions(found, refused)
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


@functools.cache
def reference_functions():
    """The core modules' functions, read once per process:
    {name: (module name, ast.FunctionDef)}."""
    return core_functions()


@functools.cache
def reference_bodies():
    """The reference's functions: {name: body dump}, from the core modules."""
    return {
        name: extract.without_docstring(node)
        for name, (_, node) in reference_functions().items()
    }


def reference_function(name):
    """The reference implementation of graded name ``name``."""
    if name in REFERENCE_VALUES:
        return None
    module, _ = reference_functions()[name]
    return getattr(importlib.import_module(f"fashionlib.{module}"), name)


@functools.cache
def reference_graph():
    """Each core function -> the names it mentions, read once per process."""
    return call_graph()


@functools.cache
def given_functions():
    """The library functions the student build ships as they are (every
    core function that is not graded)."""
    return frozenset(set(reference_functions()) - set(STUBBED))


@functools.cache
def allowed_functions(name):
    """The given functions the reference of ``name`` reaches through the
    call graph (fallbacks of optional functions included): those a
    student's ``name`` may call too."""
    graph = reference_graph()
    todo, seen = list(graph.get(name, ())), set()
    while todo:
        other = todo.pop()
        if other in seen or other == name:
            continue
        seen.add(other)
        fallback = STUBBED[other].fallback if other in STUBBED else ""
        todo += list(graph.get(other, ())) + [fallback or other]
    return frozenset(seen & given_functions())


def own_work(name, found):
    """Why the graded ``name`` is not the student's own work, or None."""
    if name in REFERENCE_VALUES:
        return None
    body = extract.function_body(found, name)
    index = found.bindings.get(name)
    if (
        body is None
        and index is not None
        and not extract.imports(found.statements[index])
    ):
        return f"{name} is not a function the notebook defines with def"
    if body is None:
        return f"{name} is not defined by the notebook: {REFERENCE_USED}"
    if body == reference_bodies().get(name):
        return f"{name} is the reference's code: {REFERENCE_USED}"
    forbidden = given_functions() - allowed_functions(name)
    used = extract.library_used(found, name, forbidden)
    if used:
        return f"{name} calls {', '.join(used)}: {LIBRARY_USED}"
    return None


# --- Running one submission --------------------------------------------------


def probe_job(found, parts):
    """The probe process's job: the graded definitions, the calls, and
    the library functions each check may call."""
    names = [name for p in parts for name in p.names]
    graded = sorted(set(STUBBED) & set(found.bindings))
    return {
        "source": extract.source(found, [*names, *graded]),
        "graded": graded,
        "given": sorted(given_functions()),
        "allowed": {
            p.check: sorted(allowed_functions(p.names[0])) for p in parts
        },
        "calls": {
            p.check: {"name": p.names[0], "calls": p.probes}
            for p in parts
        },
    }


def write_folder(folder, files):
    """Make ``folder`` holding ``files`` ({name: bytes})."""
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)


def npz_bytes(arrays):
    """``arrays`` ({name: array}) as the bytes of an npz file."""
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def tools_folder(folder):
    """A folder with the runner and the harness, for the sandbox."""
    here = Path(__file__).parent
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("runner.py", "harness.py"):
        shutil.copy(here / name, folder / name)
    return folder


def start(folder, lib, tools, settings, program, data=None):
    """Start ``program`` of ``tools`` on job ``folder`` (in the sandbox)."""
    if settings.sandboxed:
        command = sandbox.command(
            folder, lib, tools, data, settings.memory, program
        )
        env = None
    else:
        command = sandbox.unsandboxed_command(folder, tools, program)
        env = sandbox.unsandboxed_environment(lib, data)
    return subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE
        if program == "harness.py"
        else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def stop(process):
    """Kill ``process`` and everything it started; wait for it."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()


def capped_output(process, cap, seconds):
    """(bytes, None) of ``process``'s standard output read to its end, or
    (None, why not) when it exceeds ``cap`` bytes or ``seconds``."""
    deadline = time.monotonic() + seconds
    chunks, size = [], 0
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        while (left := deadline - time.monotonic()) > 0:
            if not selector.select(left):
                continue
            chunk = os.read(process.stdout.fileno(), 1 << 16)
            if not chunk:
                return b"".join(chunks), None
            size += len(chunk)
            if size > cap:
                return None, f"returned more than {cap} bytes"
            chunks.append(chunk)
    return None, f"ran longer than {seconds} s"


def probe_output(process):
    """The probe ``process``'s results ({key: array}), or why there are
    none; the process is stopped."""
    try:
        data, problem = capped_output(process, RESULTS_LIMIT, CHECK_TIMEOUT)
    finally:
        process.stdout.close()
        stop(process)
    if problem is None and not data:
        problem = "stopped before returning any result"
    if problem:
        return f"the graded functions {problem}"
    try:
        return hostile.load_npz(data, RESULTS_LIMIT)
    except hostile.HostileInput as error:
        return f"the graded functions' results are unreadable: {error}"


def start_notebook(folder, lib, tools, settings):
    """Start executing the notebook of job ``folder``, for the feedback."""
    data = default_data_dir()
    data = data if data.is_dir() else None
    return start(folder, lib, tools, settings, "runner.py", data)


def notebook_stopped(process, settings):
    """Wait for the notebook's run; a note if it had to be stopped."""
    limit = settings.notebook_timeout + 60
    try:
        process.wait(timeout=limit)
    except subprocess.TimeoutExpired:
        stop(process)
        return f"the run was stopped after {limit:.0f} s"
    return None


def results_of(check, calls, arrays):
    """The results of ``check``'s ``calls`` in ``arrays``, strictly: a
    list (one entry per call: arrays, or an error text) and the keys
    used; ValueError when one is missing or not what the harness writes."""
    results, used = [], set()
    for i in range(len(calls)):
        error = f"{check}/{i}/error"
        if error in arrays:
            if arrays[error].dtype.kind != "U" or arrays[error].ndim:
                raise ValueError(f"{error} is not a text")
            results.append(str(arrays[error]))
            used.add(error)
            continue
        items = []
        while (key := f"{check}/{i}/{len(items)}") in arrays:
            if arrays[key].dtype != np.float64:
                raise ValueError(f"{key} is not a float array")
            items.append(arrays[key])
            used.add(key)
        if not items:
            raise ValueError(f"no result for call {i} of {check}")
        results.append(items)
    return results, used


def probe_results(arrays, job):
    """{check: results or the reason there are none} from the harness's
    ``arrays``, checked against the grader's own ``job`` (a missing, extra
    or mis-typed entry fails its check)."""
    if isinstance(arrays, str):
        return dict.fromkeys(job["calls"], arrays)
    found, used = {}, set()
    for check, spec in job["calls"].items():
        library = f"{check}/library"
        try:
            found[check], keys = results_of(check, spec["calls"], arrays)
            used |= keys | {library}
        except ValueError as error:
            found[check] = (
                f"the graded functions' results are malformed: {error}"
            )
            continue
        if library in arrays:
            found[check] = (
                f"{spec['name']} calls {clean(str(arrays[library]))}: "
                f"{LIBRARY_USED}"
            )
    extra = sorted(set(arrays) - used)
    if extra:
        return dict.fromkeys(
            job["calls"], f"the probes returned unexpected results: {extra[0]}"
        )
    return found


def runner_notes(folder):
    """The notes the runner wrote (what the notebook did wrong)."""
    try:
        notes = hostile.read_json(folder / "runner.json", NOTES_LIMIT)
    except hostile.HostileInput as error:
        return [f"the notebook did not finish running ({error})"]
    if not isinstance(notes, dict) or not isinstance(notes.get("notes"), list):
        return ["the notebook's run left a malformed report"]
    return [clean(str(note))[:300] for note in notes["notes"][:20]]


def executed_notebook(folder):
    """The executed notebook's bytes for the feedback, validated; or None
    and a note."""
    path = folder / "executed.ipynb"
    try:
        data = hostile.read_capped(path, EXECUTED_LIMIT)
        hostile.parse_notebook(data, path.name)
    except hostile.HostileInput as error:
        return None, f"the executed notebook is not in the feedback: {error}"
    return data, None


def decide(parts, found, results, inputs):
    """(passed, message) per part from the probes' ``results``."""
    decisions = []
    for p in parts:
        name = p.names[0]
        problem, got = own_work(name, found), results[p.check]
        if problem or isinstance(got, str):
            decisions.append((False, problem or got))
            continue
        expected = probes.reference_results(
            p, reference_function(name), inputs, REFERENCE_VALUES
        )
        decisions.append(probes.verdict(p, got, expected))
    return decisions


def read_submission(submission):
    """(notebook, definitions) of a submission read as hostile input;
    HostileInput names the file and what is wrong with it."""
    try:
        notebook = hostile.read_notebook(submission.path)
        return notebook, extract.definitions(notebook)
    except (RecursionError, MemoryError) as error:
        raise hostile.HostileInput(
            f"{Path(submission.path).name} cannot be analysed "
            f"({type(error).__name__}): simplify its code"
        ) from None


def run_submission(submission, settings, lib, tools, inputs):
    """Grade one submission: ([(passed, message)] per part, notes, the
    executed notebook's bytes or None)."""
    import nbformat

    parts = chapter_rubric(submission.chapter).parts
    try:
        notebook, found = read_submission(submission)
        job = probe_job(found, parts)
    except (hostile.HostileInput, RecursionError) as error:
        message = f"could not grade {submission.path}: {clean(str(error))}"
        return [(False, message)] * len(parts), [], None
    with tempfile.TemporaryDirectory(prefix="fashionlib-grade-") as folder:
        folder = Path(folder)
        probe = {"job.json": json.dumps(job).encode()}
        probe["inputs.npz"] = npz_bytes(inputs)
        write_folder(folder / "probe", probe)
        write_folder(
            folder / "job",
            {
                "submission.ipynb": nbformat.writes(notebook).encode(),
                "job.json": json.dumps(notebook_job(settings)).encode(),
            },
        )
        (folder / "job" / "work").mkdir()
        prober = start(folder / "probe", lib, tools, settings, "harness.py")
        runner = start_notebook(folder / "job", lib, tools, settings)
        try:
            arrays = probe_output(prober)
            stopped = notebook_stopped(runner, settings)
        finally:
            stop(runner)
        notes = runner_notes(folder / "job") + ([stopped] if stopped else [])
        executed, note = executed_notebook(folder / "job")
    decisions = decide(parts, found, probe_results(arrays, job), inputs)
    return decisions, notes + ([note] if note else []), executed


def notebook_job(settings):
    """The limits of the notebook's run, for the runner."""
    return {
        "cell_timeout": settings.cell_timeout,
        "notebook_timeout": settings.notebook_timeout,
        "output_limit": settings.output_limit,
        "sandboxed": settings.sandboxed,
    }


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


def clean(text):
    """``text`` without control and format characters (terminal escapes,
    bidirectional overrides); line breaks are kept."""
    return "".join(
        c
        for c in str(text)
        if c == "\n" or unicodedata.category(c) not in ("Cc", "Cf")
    )


def shorten(text, width):
    """``text`` on one clean line, cut to ``width`` characters."""
    text = " ".join(clean(text).split())
    return text if len(text) <= width else text[: width - 3] + "..."


def csv_cell(value):
    """A CSV cell that no spreadsheet runs as a formula (OWASP's advice:
    a text starting with = + - @ tab or CR gets a leading quote)."""
    if not isinstance(value, str):
        return value
    value = clean(value.replace("\t", " ").replace("\r", " "))
    return "'" + value if value[:1] in ("=", "+", "-", "@") else value


def fence(text):
    """A code fence longer than any run of backticks in ``text``."""
    longest = max((len(run) for run in re.findall("`+", text)), default=0)
    return "`" * max(3, longest + 1)


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
    lines = [[shorten(cell, 200) for cell in line] for line in lines]
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
        + [
            shorten(f"note on {s} ({c}): {note}", 2000)
            for (s, c), note in notes.items()
        ]
    )


def csv_text(rows, columns):
    """``rows`` (dicts) as CSV text with a header of ``columns``."""
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns)
    writer.writeheader()
    writer.writerows(
        {key: csv_cell(value) for key, value in row.items()} for row in rows
    )
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
        f"# Feedback for {shorten(first['student'], 200)}: {title}",
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
            message = clean(r["message"])
            lines += [f"{fence(message)}text", message, fence(message), ""]
    if first["notes"]:
        notes = clean("\n".join(first["notes"].split("; ")))
        lines += ["## Notes", "", f"{fence(notes)}text", notes, fence(notes)]
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
