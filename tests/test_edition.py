"""The student edition: no graded body or solution reaches the students.

The student build, the notebooks and the site are searched for the body of
every graded function (and each distinctive line of one) and for solution
text. A student notebook with the reference cells put back has the
chapter's code cells (which the book build executes); a few notebooks are
executed as generated and must stop at a verify cell naming what to write.
"""

import ast
import html
import importlib
import inspect
import json
import re
import subprocess
import sys

import nbformat
import pytest
from conftest import ROOT
from nbclient.exceptions import CellExecutionError

from fashionlib.teaching import build, exercises, library
from publish import edition, sources, student
from publish.notebook import read_chapter

CHAPTERS = edition.chapter_files(ROOT)
SITE_CHAPTERS = [
    "warmup",
    "activations",
    "neuron",
    "network",
]  # prose solutions, an answer cell, code solutions


def fragments(text, minimum=20):
    """Plain runs of ``text`` (split at markup characters), whitespace
    collapsed, at least ``minimum`` long.

    Targets of roles such as {ref}`chapter-initialisation` are labels
    shared by the whole book, not solution text.
    """
    text = re.sub(r"\{[\w:]+\}`[^`]*`", " ", text)
    runs = re.split(r"[`$*{}\[\]()<>\\|_^=\"']|:pyobject:|:language:", text)
    return {
        " ".join(run.split())
        for run in runs
        if len(" ".join(run.split())) >= minimum
    }


def visible_text(chapter):
    """Everything a student may see of a chapter: cells without solutions,
    reference and answer cells."""
    kept = []
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            kept.append(sources.without_solutions(cell.source))
        elif not {"reference", "exercise-answer"} & set(sources.tags(cell)):
            kept.append(cell.source)
    return " ".join(" ".join(kept).split())


def secret_fragments(path):
    """Pieces of a chapter that must not reach students: solution text,
    hidden function bodies, answer cells."""
    chapter = read_chapter(path)
    secrets = set()
    for _, block in sources.solution_blocks(chapter):
        secrets |= fragments("\n".join(block.splitlines()[1:-1]))
    for cell in chapter.cells:
        if "exercise-answer" in sources.tags(cell):
            secrets |= {
                " ".join(line.split())
                for line in cell.source.splitlines()
                if line.strip()
            }
    for name, module in student.hidden_functions(chapter).items():
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
        if "reference" in sources.tags(cell)
    )


def notebook_haystack(notebook):
    """All text of a notebook (sources, outputs, cell and notebook
    metadata), whitespace collapsed."""
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
def student_dir(tmp_path_factory, book_record):
    """The student notebooks of every chapter (no site), made once."""
    out = tmp_path_factory.mktemp("student")
    made = edition.make_student_edition(
        ROOT, out_dir=out, site=False, reader=book_record
    )
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
        chapter = read_chapter(path)
        original = notebook_haystack(chapter)
        secrets = secret_fragments(path)
        assert secrets, f"{name}: no solution text found to look for"
        assert leaks(secrets, original), (
            f"{name}: the leak finder misses the solutions of the original"
        )


@pytest.mark.slow  # writes the student edition
@pytest.mark.parametrize("name", list(CHAPTERS))
def test_no_solution_reaches_the_student_notebook(student_dir, name):
    notebook = student_notebook(student_dir, name)
    assert (
        leaks(secret_fragments(CHAPTERS[name]), notebook_haystack(notebook))
        == []
    )
    haystack = notebook_haystack(notebook)
    shown = visible_text(read_chapter(CHAPTERS[name]))
    bodies = {
        function: sorted(
            line for line in lines if line in haystack and line not in shown
        )
        for function, lines in graded_lines().items()
    }
    assert {f: hits for f, hits in bodies.items() if hits} == {}
    hidden = student.hidden_functions(read_chapter(CHAPTERS[name]))
    for cell in notebook.cells:
        assert not {"reference", "exercise-answer"} & set(sources.tags(cell))
        assert "{solution}" not in cell.source
        assert (
            cell.get("outputs", []) == []
            and cell.get("execution_count") is None
        )
        if cell.cell_type == "code":
            assert not hidden.keys() & {
                n for _, n in student.imported_names(cell.source)
            }, cell.source


@pytest.mark.slow  # writes the student edition
@pytest.mark.parametrize("name", list(CHAPTERS))
def test_stubs_keep_signature_and_state_the_contract(student_dir, name):
    chapter = read_chapter(CHAPTERS[name])
    namespace = {"fashionlib": FakeFashionlib()}
    stubs = [
        cell.source
        for cell in student_notebook(student_dir, name).cells
        if "stub" in sources.tags(cell)
    ]
    for source in stubs:
        assert student.STUB_MARKER in source
        exec(source.replace("import fashionlib\n", ""), namespace)
    for module, function_name in student.imported_names(
        reference_source(chapter)
    ):
        if function_name not in exercises.STUBBED:
            continue
        reference = getattr(importlib.import_module(module), function_name)
        stub = namespace[function_name]
        assert inspect.signature(stub) == inspect.signature(reference)
        assert (
            " ".join(inspect.getdoc(stub).split())
            == exercises.STUBBED[function_name].contract
        )
        with pytest.raises(NotImplementedError):
            stub(*[None] * len(inspect.signature(stub).parameters))


class FakeFashionlib:
    """Stands in for the student build's ``use`` when stubs are exec'd."""

    @staticmethod
    def use(*functions):
        assert all(callable(f) for f in functions)


@pytest.mark.slow  # writes the student edition
def test_prose_solutions_become_answer_cells(student_dir):
    chapter = read_chapter(CHAPTERS["warmup"])
    notebook = student_notebook(student_dir, "warmup")
    answers = [
        cell for cell in notebook.cells if "answer" in sources.tags(cell)
    ]
    prose = [
        block
        for _, block in sources.solution_blocks(chapter)
        if "{literalinclude}" not in block
    ]
    assert len(answers) == len(prose) >= 5
    assert all(student.ANSWER_TEXT in cell.source for cell in answers)


@pytest.mark.slow  # writes the student edition
def test_exercise_answer_cell_becomes_a_stub(student_dir):
    sources = [
        cell.source for cell in student_notebook(student_dir, "network").cells
    ]
    assert student.STUB_MARKER + "\nW1 = None\nW2 = None\n" in sources
    assert not any("np.ones((5, 2))" in source for source in sources)


def test_unclosed_solution_is_reported():
    with pytest.raises(sources.PublishError, match="no closing"):
        sources.split_solutions(
            "text\n````{solution} ex-a\n:class: dropdown\nanswer\n"
        )


def test_unknown_chapter_lists_the_valid_ones():
    with pytest.raises(sources.PublishError, match="choose from data, warmup"):
        edition.select_chapters(["nope"], ROOT)
    result = subprocess.run(
        [sys.executable, "-m", "fashionlib", "student", "--chapter", "nope"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 1
    assert "unknown chapter nope" in result.stderr
    assert "warmup" in result.stderr


def with_references(notebook, chapter):
    """The student notebook with each stub cell replaced by the chapter's
    reference or answer cell, and the cells the edition adds removed."""
    originals = [
        cell.source
        for cell in chapter.cells
        if {"reference", "exercise-answer"} & set(sources.tags(cell))
    ]
    stubs = [
        cell
        for cell in notebook.cells
        if {"stub", "given"} & set(sources.tags(cell))
    ]
    assert len(stubs) == len(originals)
    for cell, source in zip(stubs, originals, strict=True):
        cell.source = source
    notebook.cells = [
        cell for cell in notebook.cells if "earlier" not in sources.tags(cell)
    ]
    for cell in notebook.cells:
        first, _, rest = cell.source.partition("\n")
        if first.endswith(student.WAITING):
            cell.source = rest
    return notebook


def code_cells(notebook):
    """The sources of a notebook's code cells."""
    return [c.source for c in notebook.cells if c.cell_type == "code"]


@pytest.mark.slow  # writes the student edition
@pytest.mark.parametrize("name", list(CHAPTERS))
def test_student_notebook_with_the_references_is_the_chapter(
    student_dir, name
):
    """Put back, the reference cells give the chapter's code cells, which
    the book build executes: so the notebook runs clean with them."""
    chapter = read_chapter(CHAPTERS[name])
    restored = with_references(student_notebook(student_dir, name), chapter)
    expected = [c for c in chapter.cells if "claim" not in sources.tags(c)]
    assert code_cells(restored) == [
        c.source for c in expected if c.cell_type == "code"
    ]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["activations", "objective"])
def test_student_notebook_with_stubs_stops_naming_what_to_write(
    student_dir, name, notebook_client
):
    """Run beside the student build, the notebook stops at a cell whose
    error names a function of a stub or earlier cell (cells tagged
    raises-exception, which wait for later chapters, let it go on)."""
    notebook = student_notebook(student_dir, name)
    written = {
        n
        for cell in notebook.cells
        if {"stub", "earlier"} & set(sources.tags(cell))
        for n in re.findall(r"^def (\w+)", cell.source, re.M)
    }
    with pytest.raises(CellExecutionError) as failure:
        notebook_client(notebook, student_dir / "notebooks").execute()
    message = re.sub(r"\x1b\[[0-9;]*m", "", str(failure.value))
    named = re.search(
        r"(\w+) is not written yet|paste your (\w+) from|"
        r"(\w+) is written in a later chapter",
        message,
    )
    assert named and next(filter(None, named.groups())) in written, message[
        -2000:
    ]


def squeeze(text):
    """``text`` with its whitespace collapsed to single spaces."""
    return " ".join(text.split())


def graded_lines():
    """Each graded function's body and its distinctive lines: lines of 12+
    characters that no ungraded code of the package has too."""
    graded = library.graded_functions()
    bodies, ungraded = {}, []
    for path in library.core_modules().values():
        source = path.read_text()
        rest = source
        for node in ast.parse(source).body:
            if isinstance(node, ast.FunctionDef) and node.name in graded:
                segment = ast.get_source_segment(source, node)
                rest = rest.replace(segment, "")
                body = node.body[1:] if ast.get_docstring(node) else node.body
                lines = source.splitlines()  # the body's lines, comments too
                bodies[node.name] = "\n".join(
                    lines[body[0].lineno - 1 : node.end_lineno]
                )
        ungraded.append(squeeze(rest))
    ungraded = " ".join(ungraded)
    return {
        name: {squeeze(text)}
        | {
            squeeze(line)
            for line in text.splitlines()
            if len(line.strip()) >= 12 and squeeze(line) not in ungraded
        }
        for name, text in bodies.items()
    }


def test_the_body_finder_finds_the_bodies_in_the_package():
    package = " ".join(
        " ".join(path.read_text().split())
        for path in library.PACKAGE.glob("*.py")
    )
    for name, lines in graded_lines().items():
        assert all(line in package for line in lines), name


def test_the_student_build_holds_no_graded_body(tmp_path):
    target = build.write_student_build(tmp_path / "fashionlib")
    text = " ".join(
        " ".join(path.read_text().split()) for path in target.glob("*.py")
    )
    found = {
        name: sorted(line for line in lines if line in text)
        for name, lines in graded_lines().items()
    }
    assert {name: hits for name, hits in found.items() if hits} == {}
    assert not (target / "teaching").exists()
    assert not (target / "__main__.py").exists()


def test_student_build_stubs_raise_until_handed_over(tmp_path):
    build.write_student_build(tmp_path / "fashionlib")
    code = (
        "import numpy as np, fashionlib\n"
        "from fashionlib.backprop import backprop_affine_x_naive\n"
        "try:\n"
        "    fashionlib.relu([1.0])\n"
        "except NotImplementedError as error:\n"
        "    print(error)\n"
        "def d_affine_d_x(W):\n"
        "    return 2 * W[:, :-1]\n"
        "fashionlib.use(d_affine_d_x)\n"
        "print(backprop_affine_x_naive(np.ones((1, 1)), np.ones((1, 2))))\n"
        "print(fashionlib.backprop_relu_x(np.ones((1, 2)), np.array([1, -1])))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0, "the relu fallback is not given code"
    assert result.stdout.startswith(
        "relu is not written yet: write it in the notebook of the chapter "
        "'activations'"
    ), result.stdout + result.stderr
    assert "[[2.]]" in result.stdout
    assert "d_relu_d_x is not written yet" in result.stderr


def test_student_command_reads_the_book_it_is_given(tmp_path):
    """The installed package finds no chapters of its own: the book is
    the current folder, or --book."""
    command = [sys.executable, "-m", "fashionlib", "student", "--no-site"]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert f"no chapters found under {tmp_path.resolve()}" in result.stderr
    assert "--book" in result.stderr


def test_core_package_imports_nothing_of_teaching():
    core = [f"fashionlib.{m}" for m in library.core_modules()]
    code = (
        f"import sys, fashionlib, {', '.join(core)}\n"
        "print([m for m in sys.modules if 'teaching' in m])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True
    )
    assert result.stdout.strip() == "[]", result.stderr
    for path in library.core_modules().values():
        assert "teaching" not in path.read_text(), path


@pytest.fixture(scope="module")
def student_site(tmp_path_factory, book_record):  # slow: builds 4 chapters
    """The student site of SITE_CHAPTERS, built (executed) once."""
    out = tmp_path_factory.mktemp("student-site")
    made = edition.make_student_edition(
        ROOT, SITE_CHAPTERS, out_dir=out, reader=book_record
    )
    return made


def site_text(folder):
    """The text of every file of the site (HTML tags removed, entities
    decoded), whitespace collapsed."""
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


@pytest.mark.slow
def test_student_site_builds_without_warnings(student_site):
    """Not even for links to the chapters left out of this partial site:
    they show as the plain title of that chapter."""
    assert student_site["warnings"] == []
    for name in SITE_CHAPTERS:
        assert (student_site["site"] / "book" / f"{name}.html").is_file()
    assert not list(student_site["site"].rglob("_sources"))
    page = (student_site["site"] / "book" / "network.html").read_text()
    assert "chapter-initialisation" not in page
    assert "<em>Initialisation</em>" in page


@pytest.mark.slow
def test_no_solution_reaches_the_student_site(student_site):
    text = site_text(student_site["site"])
    for name in SITE_CHAPTERS:
        assert leaks(secret_fragments(CHAPTERS[name]), text) == []
    bodies = {
        name: sorted(line for line in lines if line in text)
        for name, lines in graded_lines().items()
    }
    assert {name: hits for name, hits in bodies.items() if hits} == {}
    page = (student_site["site"] / "book" / "network.html").read_text()
    assert (
        'class="admonition solution' not in page
        and "ex-network-weights" in page
    )
    assert "from fashionlib.layers import affine" not in page


def test_instructors_chapter_documents_every_teaching_module():
    page = (ROOT / "book" / "instructors.md").read_text()
    documented = set(
        re.findall(r"automodule:: fashionlib\.teaching\.(\w+)", page)
    )
    modules = {
        p.stem
        for p in (library.PACKAGE / "teaching").glob("*.py")
        if p.stem != "__init__"
    }
    assert documented == modules
    api = (ROOT / "book" / "api.md").read_text()
    assert "teaching" not in api


def spelled(expression):
    """An expression as a docstring may spell it: no spaces, no ``*``."""
    return re.sub(r"[\s*]", "", expression)


def package_formulas(package=library.PACKAGE):
    """Each product, quotient or power of names that a function of the
    package returns or computes in its return value, spelled."""
    found = set()
    for path in library.core_modules(package).values():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Return) and node.value is not None:
                found |= {
                    spelled(ast.unparse(part))
                    for part in ast.walk(node.value)
                    if isinstance(part, ast.BinOp)
                    and type(part.op).__name__
                    in {"Mult", "MatMult", "Div", "Pow"}
                    and any(isinstance(n, ast.Name) for n in ast.walk(part))
                }
    return found


def docstring_code(folder):
    """(file, code span) for each ``code`` of every docstring under
    ``folder``, spelled."""
    spans = []
    for path in sorted(folder.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef)):
                docstring = ast.get_docstring(node) or ""
                spans += [
                    (path.name, spelled(span))
                    for span in re.findall(r"``(.+?)``", docstring, re.S)
                ]
    return spans


def test_no_student_docstring_spells_out_a_computed_formula(tmp_path):
    target = build.write_student_build(tmp_path / "fashionlib")
    formulas = package_formulas()
    # the engine's affine layer and l2's gradient, for two
    assert {"X_h@W.T", "2(Y-T)/Y.dtype.type(len(Y))"} <= formulas
    found = sorted(
        (name, span, formula)
        for name, span in docstring_code(target)
        for formula in formulas
        if formula in span
    )
    assert found == []


def test_student_build_ships_the_engine_only_with_a_chapter_using_it(
    tmp_path,
):
    chapters = edition.chapter_files(ROOT)
    for names, engine in ((["warmup", "network"], False), (["beyond"], True)):
        modules = edition.chapter_modules({n: chapters[n] for n in names})
        target = build.write_student_build(
            tmp_path / "-".join(names) / "fashionlib", modules=modules
        )
        assert (target / "batch.py").exists() == engine, names
        assert (target / "activations.py").exists()  # __init__ needs it
