"""The student edition: no solution leaks into the notebooks or the site, and the notebooks check themselves.

Every chapter's student notebook is executed twice: with the reference implementations put back
in place of the stubs (it must run clean, top to bottom), and as generated (it must stop at the
first verify cell with a message naming what to write).
"""

import html
import importlib
import inspect
import json
import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from fashionlib import edition

CHAPTERS = edition.chapter_files()
SITE_CHAPTERS = [
    "warmup",
    "activations",
    "neuron",
    "network",
]  # prose solutions, an answer cell, code solutions


def fragments(text, minimum=20):
    """Plain runs of ``text`` (split at markup characters), whitespace collapsed, at least ``minimum`` long.

    Targets of roles such as {ref}`chapter-initialisation` are labels shared by the whole book, not solution text.
    """
    text = re.sub(r"\{[\w:]+\}`[^`]*`", " ", text)
    runs = re.split(r"[`$*{}\[\]()<>\\|_^=\"']|:pyobject:|:language:", text)
    return {
        " ".join(run.split())
        for run in runs
        if len(" ".join(run.split())) >= minimum
    }


def visible_text(chapter):
    """Everything a student may see of a chapter: cells without solutions, reference and answer cells."""
    kept = []
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            kept.append(edition.without_solutions(cell.source))
        elif not {"reference", "exercise-answer"} & set(edition.tags(cell)):
            kept.append(cell.source)
    return " ".join(" ".join(kept).split())


def secret_fragments(path):
    """Pieces of a chapter that must not reach students: solution text, hidden function bodies, answer cells."""
    chapter = edition.read_chapter(path)
    secrets = set()
    for _, block in edition.solution_blocks(chapter):
        secrets |= fragments("\n".join(block.splitlines()[1:-1]))
    for cell in chapter.cells:
        if "exercise-answer" in edition.tags(cell):
            secrets |= {
                " ".join(line.split())
                for line in cell.source.splitlines()
                if line.strip()
            }
    for name, module in edition.hidden_functions(chapter).items():
        function = getattr(importlib.import_module(module), name)
        docstring = inspect.getdoc(function) or ""
        body = inspect.getsource(function).split('"""')[-1]
        secrets |= {
            " ".join(line.split())
            for line in body.splitlines()
            if len(line.strip()) >= 12 and line.strip() not in docstring
        }
    visible = visible_text(chapter)
    return {secret for secret in secrets if secret not in visible}


def reference_source(chapter):
    """The source of all reference cells of a chapter."""
    return "\n".join(
        cell.source
        for cell in chapter.cells
        if "reference" in edition.tags(cell)
    )


def notebook_haystack(notebook):
    """All text of a notebook (sources, outputs, cell and notebook metadata), whitespace collapsed."""
    parts = [json.dumps(notebook.metadata, ensure_ascii=False)]
    for cell in notebook.cells:
        parts += [
            cell.source,
            json.dumps(cell.metadata, ensure_ascii=False),
            json.dumps(cell.get("outputs", []), ensure_ascii=False),
        ]
    return " ".join(" ".join(parts).split())


def leaks(secrets, haystack):
    """The secrets found in ``haystack``."""
    return sorted(secret for secret in secrets if secret in haystack)


@pytest.fixture(scope="module")
def student_dir(tmp_path_factory):
    """The student notebooks of every chapter (no site), made once for the module."""
    out = tmp_path_factory.mktemp("student")
    made = edition.make_student_edition(out_dir=out, site=False)
    assert [p.stem for p in made["notebooks"]] == list(CHAPTERS)
    return out


def student_notebook(student_dir, name):
    """The generated student notebook of chapter ``name``."""
    return nbformat.read(
        student_dir / "notebooks" / f"{name}.ipynb", as_version=4
    )


def test_every_chapter_with_exercises_is_in_the_edition():
    assert {"data", "warmup", "network", "classification"} <= set(CHAPTERS)
    assert "intro" not in CHAPTERS


def test_the_leak_finder_finds_the_solutions_in_the_original_chapters():
    for name, path in CHAPTERS.items():
        chapter = edition.read_chapter(path)
        original = notebook_haystack(chapter)
        secrets = secret_fragments(path)
        assert secrets, f"{name}: no solution text found to look for"
        assert leaks(secrets, original), (
            f"{name}: the leak finder misses the solutions of the original"
        )


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_no_solution_reaches_the_student_notebook(student_dir, name):
    notebook = student_notebook(student_dir, name)
    assert (
        leaks(secret_fragments(CHAPTERS[name]), notebook_haystack(notebook))
        == []
    )
    hidden = edition.hidden_functions(edition.read_chapter(CHAPTERS[name]))
    for cell in notebook.cells:
        assert not {"reference", "exercise-answer"} & set(edition.tags(cell))
        assert "{solution}" not in cell.source
        assert (
            cell.get("outputs", []) == []
            and cell.get("execution_count") is None
        )
        if cell.cell_type == "code":
            assert not hidden.keys() & {
                n for _, n in edition.imported_names(cell.source)
            }, cell.source


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_stubs_keep_signature_and_docstring(student_dir, name):
    chapter = edition.read_chapter(CHAPTERS[name])
    namespace = {}
    stubs = [
        cell.source
        for cell in student_notebook(student_dir, name).cells
        if "stub" in edition.tags(cell)
    ]
    for source in stubs:
        assert edition.STUB_MARKER in source
        exec(source, namespace)
    for module, function_name in edition.imported_names(
        reference_source(chapter)
    ):
        reference = getattr(importlib.import_module(module), function_name)
        if function_name not in edition.hidden_functions(chapter):
            continue
        stub = namespace[function_name]
        assert inspect.signature(stub) == inspect.signature(reference)
        assert inspect.getdoc(stub) == inspect.getdoc(reference)
        with pytest.raises(NotImplementedError):
            stub(*[None] * len(inspect.signature(stub).parameters))


def test_prose_solutions_become_answer_cells(student_dir):
    chapter = edition.read_chapter(CHAPTERS["warmup"])
    notebook = student_notebook(student_dir, "warmup")
    answers = [
        cell for cell in notebook.cells if "answer" in edition.tags(cell)
    ]
    prose = [
        block
        for _, block in edition.solution_blocks(chapter)
        if "{literalinclude}" not in block
    ]
    assert len(answers) == len(prose) >= 5
    assert all(edition.ANSWER_TEXT in cell.source for cell in answers)


def test_exercise_answer_cell_becomes_a_stub(student_dir):
    sources = [
        cell.source for cell in student_notebook(student_dir, "network").cells
    ]
    assert edition.STUB_MARKER + "\nW1 = None\nW2 = None\n" in sources
    assert not any("np.ones((5, 2))" in source for source in sources)


def test_unclosed_solution_is_reported():
    with pytest.raises(edition.EditionError, match="no closing"):
        edition.split_solutions(
            "text\n````{solution} ex-a\n:class: dropdown\nanswer\n"
        )


def test_unknown_chapter_lists_the_valid_ones():
    with pytest.raises(edition.EditionError, match="choose from data, warmup"):
        edition.select_chapters(["nope"])
    result = subprocess.run(
        [sys.executable, "-m", "fashionlib", "student", "--chapter", "nope"],
        capture_output=True,
        text=True,
    )
    assert (
        result.returncode == 2
        and "invalid choice: 'nope'" in result.stderr
        and "warmup" in result.stderr
    )


def with_references(notebook, chapter):
    """The student notebook with each stub cell replaced by the chapter's reference or answer cell."""
    originals = [
        cell.source
        for cell in chapter.cells
        if {"reference", "exercise-answer"} & set(edition.tags(cell))
    ]
    stubs = [
        cell
        for cell in notebook.cells
        if {"stub", "given"} & set(edition.tags(cell))
    ]
    assert len(stubs) == len(originals)
    for cell, source in zip(stubs, originals):
        cell.source = source
    return notebook


def execute(notebook, folder):
    """Execute ``notebook`` in ``folder`` with a fresh kernel; returns it with its outputs."""
    NotebookClient(
        notebook,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(folder)}},
    ).execute()
    return notebook


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_student_notebook_runs_clean_with_the_reference_functions(
    student_dir, name, tmp_path
):
    notebook = with_references(
        student_notebook(student_dir, name),
        edition.read_chapter(CHAPTERS[name]),
    )
    executed = execute(notebook, tmp_path)
    assert all(
        out.get("output_type") != "error"
        for cell in executed.cells
        for out in cell.get("outputs", [])
    )


@pytest.mark.parametrize("name", list(CHAPTERS))
def test_student_notebook_with_stubs_stops_at_the_first_verify_cell(
    student_dir, name, tmp_path
):
    notebook = student_notebook(student_dir, name)
    stub_indices = [
        i
        for i, cell in enumerate(notebook.cells)
        if "stub" in edition.tags(cell)
    ]
    if not stub_indices:
        execute(
            notebook, tmp_path
        )  # nothing to write (the warm-up): runs clean
        return
    with pytest.raises(CellExecutionError) as failure:
        execute(notebook, tmp_path)
    failed = [
        i
        for i, cell in enumerate(notebook.cells)
        if any(
            out.get("output_type") == "error"
            for out in cell.get("outputs", [])
        )
    ]
    first_verify = next(
        i
        for i in range(stub_indices[0], len(notebook.cells))
        if "verify" in edition.tags(notebook.cells[i])
    )
    assert failed == [first_verify]
    first_stub = notebook.cells[stub_indices[0]].source
    functions = re.findall(r"^def (\w+)", first_stub, re.M)
    if functions:
        message = (
            re.sub(r"\x1b\[[0-9;]*m", "", str(failure.value))
            .strip()
            .splitlines()[-1]
        )
        assert (
            re.fullmatch(
                r"AssertionError: (\w+) is not written yet: replace its `raise NotImplementedError` "
                "with your code",
                message,
            )[1]
            in functions
        )
    else:
        assert re.search(r"^(\w+) = None", first_stub, re.M)[1] in str(
            failure.value
        )


@pytest.fixture(scope="module")
def student_site(tmp_path_factory):
    """The student site of SITE_CHAPTERS, built (executed) once for the module."""
    out = tmp_path_factory.mktemp("student-site")
    made = edition.make_student_edition(SITE_CHAPTERS, out_dir=out)
    return made


def site_text(folder):
    """The text of every file of the site (HTML tags removed, entities decoded), whitespace collapsed."""
    texts = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {
            ".html",
            ".txt",
            ".md",
            ".ipynb",
            ".js",
            ".json",
            ".py",
        }:
            raw = path.read_text(errors="replace")
            texts.append(html.unescape(re.sub(r"<[^>]+>", " ", raw)))
    return " ".join(" ".join(texts).split())


def test_student_site_builds_without_warnings(student_site):
    """The only warnings allowed are references to chapters left out of this partial site."""
    for warning in student_site["warnings"]:
        label = re.search(r"undefined label: '(chapter-\w+)'", warning)
        assert (
            label and label[1].removeprefix("chapter-") not in SITE_CHAPTERS
        ), warning
    for name in SITE_CHAPTERS:
        assert (student_site["site"] / "book" / f"{name}.html").is_file()
    assert not list(student_site["site"].rglob("_sources"))


def test_no_solution_reaches_the_student_site(student_site):
    text = site_text(student_site["site"])
    for name in SITE_CHAPTERS:
        assert leaks(secret_fragments(CHAPTERS[name]), text) == []
    page = (student_site["site"] / "book" / "network.html").read_text()
    assert (
        'class="admonition solution' not in page
        and "ex-network-weights" in page
    )
    assert "from fashionlib.layers import affine" not in page
