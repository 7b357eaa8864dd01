"""The student edition: the same chapters without solutions or answers.

From the chapter sources (``book/*.md``, MyST notebooks listed in
``_toc.yml``) this module makes

- the student build of ``fashionlib`` (:mod:`fashionlib.teaching.build`);
- one student notebook per chapter, run beside that build: each cell
  tagged ``reference`` becomes a stub per graded function (its signature,
  its contract as docstring, ``raise NotImplementedError``) handed to
  fashionlib with ``fashionlib.use``; a cell tagged ``exercise-answer``
  becomes ``# YOUR CODE HERE`` assignments of ``None``; a cell for the
  student's functions from other chapters comes first where needed; each
  ``{solution}`` disappears, a prose solution becomes a "your answer here"
  cell, and cells tagged ``claim`` (assertions on the reference's results)
  are left out. Verify cells stay;
- the student site: the book with the solutions removed, sphinx-exercise's
  ``hide_solutions`` on, reference and answer cells hidden, the student
  build in place of the package, links to left-out chapters as plain
  titles, and no copied sources.
"""

import ast
import importlib
import inspect
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from fashionlib.data import atomic_file
from fashionlib.teaching.build import write_student_build
from fashionlib.teaching.contracts import (
    CONTRACTS,
    FALLBACKS,
    chapter_of,
    core_functions,
    graded_functions,
)
from fashionlib.teaching.rubric import RUBRIC

#: The repository root, whose book/ holds the chapter sources.
REPOSITORY = Path(__file__).resolve().parents[2]
#: Where the student edition is written by default.
STUDENT_DIR = REPOSITORY / "_build" / "student"
#: The line that marks where a student writes code.
STUB_MARKER = "# YOUR CODE HERE"
#: The text of a cell that replaces a prose solution.
ANSWER_TEXT = "*Your answer here.*"
#: A {ref} role, bare (``{ref}`label```) or with text (``{ref}`a <label>```).
REF_ROLE = re.compile(
    r"\{ref\}`(?:(?P<text>[^`<]+?)\s*<(?P<label>[\w-]+)>|(?P<bare>[\w-]+))`"
)
#: How the note on a cell that waits for later chapters ends.
WAITING = ": runs once pasted above."
#: Pages of the student site besides the chapters.
FIXED_PAGES = ("intro", "notation", "references")
#: A MyST role of the Python domain (func, class) that links the API
#: reference.
API_ROLE = re.compile(r"\{py:\w+\}`~?(?:[\w.]+\.)?(?P<name>\w+)`")
#: The opening fence of a solution directive (backticks or colons), label.
SOLUTION_OPENING = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}\s*(?P<label>\S*)"
)


class EditionError(ValueError):
    """A chapter cannot be turned into its student edition (message: why,
    and what to do)."""


def read_yaml(path):
    """The YAML file at ``path``; EditionError if PyYAML (a book tool) is
    missing."""
    try:
        import yaml
    except ImportError:
        raise EditionError(
            "the student edition needs the book tools: "
            "pip install -e '.[book]'"
        ) from None
    return yaml.safe_load(Path(path).read_text())


def write_yaml(data, path):
    """Write ``data`` as YAML to ``path``, keys in their order."""
    import yaml

    Path(path).write_text(yaml.safe_dump(data, sort_keys=False))


def chapter_files(root=REPOSITORY):
    """The chapters with exercises, in ``_toc.yml`` order: {name: path}."""
    if not (Path(root) / "_toc.yml").is_file():
        return {}
    toc = read_yaml(Path(root) / "_toc.yml")
    files = [
        entry["file"]
        for part in toc.get("parts", [])
        for entry in part.get("chapters", [])
    ]
    chapters = {}
    for file in files:
        path = Path(root) / f"{file}.md"
        if path.exists() and "{exercise}" in path.read_text():
            chapters[path.stem] = path
    return chapters


def select_chapters(names, root=REPOSITORY):
    """The chapter paths for ``names`` (all when empty); EditionError names
    the valid ones."""
    chapters = chapter_files(root)
    if not chapters:
        raise EditionError(
            f"no chapters found under {root}: run from a checkout of the "
            "book (it has _toc.yml)"
        )
    unknown = [name for name in names if name not in chapters]
    if unknown:
        raise EditionError(
            f"unknown chapter {', '.join(unknown)}: choose from "
            f"{', '.join(chapters)}"
        )
    return {name: chapters[name] for name in (names or chapters)}


# --- Solutions in Markdown ---------------------------------------------------


def split_solutions(text):
    """Split Markdown ``text`` into ("text", str) and ("solution", label,
    body) pieces, in order."""
    pieces, lines, start = [], text.split("\n"), 0
    index = 0
    while index < len(lines):
        opening = SOLUTION_OPENING.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        end = next(
            (
                j
                for j in range(index + 1, len(lines))
                if lines[j].strip()
                and set(lines[j].strip()) == {fence[0]}
                and len(lines[j].strip()) >= len(fence)
            ),
            None,
        )
        if end is None:
            raise EditionError(
                f"the {{solution}} at line {index + 1} has no closing "
                f"{fence}: close the directive"
            )
        pieces.append(("text", "\n".join(lines[start:index])))
        pieces.append(
            ("solution", opening["label"], "\n".join(lines[index : end + 1]))
        )
        start = index = end + 1
    pieces.append(("text", "\n".join(lines[start:])))
    return [
        piece for piece in pieces if piece[0] == "solution" or piece[1].strip()
    ]


def solution_blocks(notebook):
    """Every ``{solution}`` block of a notebook's Markdown cells, as
    (label, source) pairs."""
    return [
        (piece[1], piece[2])
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for piece in split_solutions(cell.source)
        if piece[0] == "solution"
    ]


def hidden_functions(notebook):
    """The functions whose code a ``{solution}`` of the chapter shows
    (each literalinclude): {name: module}."""
    include = re.compile(
        r"\{literalinclude\}\s*\S*?fashionlib/(\w+)\.py\s*\n"
        r"(?:\s*:[\w-]+:.*\n)*?\s*:pyobject:\s*(\w+)"
    )
    return {
        name: f"fashionlib.{module}"
        for _, block in solution_blocks(notebook)
        for module, name in include.findall(block)
    }


def without_solutions(text):
    """Markdown ``text`` with every ``{solution}`` block removed."""
    return "\n".join(
        piece[1] for piece in split_solutions(text) if piece[0] == "text"
    )


# --- Stubs -------------------------------------------------------------------


def imported_names(source):
    """(module, name) for each ``from fashionlib.X import name`` in code
    ``source``."""
    return [
        (node.module, alias.name)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("fashionlib")
        for alias in node.names
    ]


def stub_source(function, message=""):
    """A stub of ``function``: its signature, its contract as docstring
    (:data:`~fashionlib.teaching.contracts.CONTRACTS`), and a body that
    raises NotImplementedError (with ``message``, if any)."""
    name = function.__name__
    docstring = textwrap.fill(
        CONTRACTS[name], 72, initial_indent="    ", subsequent_indent="    "
    ).strip()
    raises = "raise NotImplementedError" + (
        f"({message!r})" if message else ""
    )
    source = (
        f'def {name}{inspect.signature(function)}:\n    """{docstring}\n'
        f'    """\n    {STUB_MARKER}\n    {raises}\n'
    )
    try:
        ast.parse(source)
    except SyntaxError as error:
        raise EditionError(
            f"the stub of {name} is not valid Python ({error}): "
            "give its parameters defaults that are literals"
        ) from None
    return source


def handed_over(names):
    """The line letting fashionlib's own code call the functions ``names``."""
    return f"fashionlib.use({', '.join(names)})\n"


def stub_cell_source(reference_source):
    """Stubs for the graded functions a reference cell imports, handed to
    fashionlib with ``use``; the other names imported as given code."""
    stubs, given, names = [], [], []
    for module, name in imported_names(reference_source):
        if name in CONTRACTS:
            function = getattr(importlib.import_module(module), name)
            stubs.append(stub_source(function))
            names.append(name)
        else:
            given.append(
                f"from {module} import {name}  # given: the chapter shows it"
            )
    if not stubs:
        return "\n".join(given) + "\n"
    parts = ["import fashionlib", *given]
    return (
        "\n".join(parts)
        + "\n\n\n"
        + "\n\n".join(stubs)
        + ("\n\n" + handed_over(names))
    )


def answer_stub_source(answer_source):
    """``# YOUR CODE HERE`` and ``NAME = None`` for each name that an
    exercise-answer cell assigns."""
    names = [
        target.id
        for node in ast.parse(answer_source).body
        if isinstance(node, ast.Assign)
        for target in node.targets
        if isinstance(target, ast.Name)
    ]
    return (
        "\n".join([STUB_MARKER] + [f"{name} = None" for name in names]) + "\n"
    )


# --- Student notebooks -------------------------------------------------------


def read_chapter(path):
    """The chapter at ``path`` as a notebook (jupytext reads the MyST)."""
    import jupytext

    return jupytext.read(Path(path))


def tags(cell):
    """The tags of a cell, as a list."""
    return list(cell.metadata.get("tags", []))


def new_cell(kind, source, cell_tags):
    """A fresh cell with no outputs and only tags as metadata."""
    import nbformat

    make = (
        nbformat.v4.new_code_cell
        if kind == "code"
        else nbformat.v4.new_markdown_cell
    )
    return make(source, metadata={"tags": cell_tags} if cell_tags else {})


def student_markdown_cells(cell):
    """A Markdown cell without its solutions; a prose solution (no
    literalinclude) becomes an answer cell."""
    cells = []
    for piece in split_solutions(cell.source):
        if piece[0] == "text":
            cells.append(new_cell("markdown", piece[1].strip("\n"), []))
        elif "{literalinclude}" not in piece[2]:
            cells.append(
                new_cell(
                    "markdown",
                    f"**Your answer** ({piece[1]}):\n\n{ANSWER_TEXT}",
                    ["answer"],
                )
            )
    return cells


def student_code_cell(cell, hidden):
    """The student version of a code cell (None for a claim, which asserts
    the reference's results): stubs for reference and answer cells."""
    if "claim" in tags(cell):
        return None
    if "reference" in tags(cell):
        source = stub_cell_source(cell.source)
        return new_cell(
            "code", source, ["stub" if STUB_MARKER in source else "given"]
        )
    if "exercise-answer" in tags(cell):
        return new_cell("code", answer_stub_source(cell.source), ["stub"])
    leaked = sorted(
        name for _, name in imported_names(cell.source) if name in hidden
    )
    if leaked:
        raise EditionError(
            f"a cell imports the reference {', '.join(leaked)}, which the "
            "chapter asks the student to write: move that import into the "
            "cell tagged `reference`"
        )
    kept = new_cell("code", cell.source, tags(cell))
    kept.metadata.update(
        {key: value for key, value in cell.metadata.items() if key == "mystnb"}
    )
    if "remove-cell" in tags(cell):
        kept.metadata["jupyter"] = {"source_hidden": True}
    return kept


def referenced(tree):
    """Every name and attribute a syntax tree mentions."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            names.add(node.id)
        elif isinstance(node, ast.Attribute):
            names.add(node.attr)
        elif isinstance(node, ast.alias):
            names.add(node.name.rsplit(".", 1)[-1])
    return names


def call_graph():
    """Each core function -> the names its body mentions."""
    return {
        name: referenced(node) for name, (_, node) in core_functions().items()
    }


def cell_needs(source, graph, graded):
    """The graded functions code ``source`` calls, directly or through
    given code (``graph``: each core function -> the names it mentions)."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return set()
    tree.body = [  # importing a function does not call it
        node
        for node in tree.body
        if not isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    todo, seen = referenced(tree), set()
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            if name not in graded:
                todo |= graph.get(name, set())
    return seen & set(graded)


def functions_needed(chapter, own):
    """Graded functions of other chapters that the code of ``chapter``
    calls, directly or through given code; ``own`` are its own."""
    graph, graded = call_graph(), graded_functions()
    seen = set()
    for cell in chapter.cells:
        if cell.cell_type == "code" and "reference" not in tags(cell):
            seen |= cell_needs(cell.source, graph, graded)
    return [
        name
        for name in graded
        if name in seen
        and name not in own
        and name not in FALLBACKS
        and not name.endswith("_array")
    ]


def later_functions(names, chapter):
    """Those of ``names`` that a chapter after ``chapter`` asks for."""
    order = list(RUBRIC)
    if chapter not in order:
        return set()
    return {
        n for n in names if order.index(chapter_of(n)) > order.index(chapter)
    }


def assigned(source):
    """Names that code ``source`` binds at its top level."""
    names = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        else:
            names |= {
                t.id
                for t in ast.walk(node)
                if isinstance(t, ast.Name) and isinstance(t.ctx, ast.Store)
            }
    return names


def loaded(source):
    """Names that code ``source`` reads when it runs (function bodies, not
    run by a definition, left out)."""
    return {
        node.id
        for statement in ast.parse(source).body
        if not isinstance(statement, (ast.FunctionDef, ast.ClassDef))
        for node in ast.walk(statement)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }


def mark_waiting(cells, later):
    """Tag ``raises-exception`` each code cell that needs a function of a
    later chapter (``later``), or a name such a cell makes, so that running
    the notebook goes on past it; a comment says why."""
    graph, graded = call_graph(), graded_functions()
    waiting = set()
    for cell in cells:
        if cell.cell_type != "code" or {"stub", "earlier"} & set(tags(cell)):
            continue
        try:
            uses = loaded(cell.source) - assigned(cell.source)
        except SyntaxError:
            continue
        missing = sorted(cell_needs(cell.source, graph, graded) & later)
        if not missing and not uses & waiting:
            continue
        waiting |= assigned(cell.source)
        why = ", ".join(missing) or "a cell above that waits"
        cell.source = (
            f"# Needs {why} (later chapters){WAITING}\n" + cell.source
        )
        cell.metadata["tags"] = tags(cell) + ["raises-exception"]


def paste_message(name, chapter):
    """What the stub of ``name`` says in the notebook of ``chapter``."""
    home = chapter_of(name)
    if later_functions([name], chapter):
        return (
            f"{name} is written in a later chapter, '{home}': the cells "
            "that need it run once you paste it here"
        )
    return f"paste your {name} from the chapter '{home}'"


def earlier_cell(names, chapter):
    """A cell for the student's functions from other chapters (needed by
    the notebook of ``chapter``), or None."""
    if not names:
        return None
    graded = graded_functions()
    stubs = [
        stub_source(
            getattr(importlib.import_module(f"fashionlib.{graded[n]}"), n),
            paste_message(n, chapter),
        )
        for n in names
    ]
    source = (
        "# Your functions from other chapters: paste your own versions.\n"
        "import fashionlib\n\n\n"
        + "\n\n".join(stubs)
        + "\n\n"
        + handed_over(names)
    )
    return new_cell("code", source, ["earlier"])


def student_notebook(path):
    """The student notebook of the chapter at ``path`` (nbformat v4, no
    outputs)."""
    import nbformat

    chapter = read_chapter(path)
    hidden = hidden_functions(chapter)
    intro = new_cell(
        "markdown",
        (
            f"*Student notebook for the chapter `{Path(path).stem}`.* "
            f"Replace each `{STUB_MARKER}` and its `raise "
            "NotImplementedError` with your code, and write your answers "
            f"where it says {ANSWER_TEXT} Keep this notebook beside the "
            "folder `fashionlib` that came with it. Run the notebook from "
            "the top: each cell tagged `verify` checks your work and stops "
            "with a message naming the function to fix."
        ),
        [],
    )
    own = {n for n in CONTRACTS if n in hidden}
    needed = functions_needed(chapter, own)
    cells = [intro, earlier_cell(needed, Path(path).stem)]
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            cells.extend(student_markdown_cells(cell))
        elif cell.cell_type == "code":
            cells.append(student_code_cell(cell, hidden))
    cells = [cell for cell in cells if cell is not None]
    mark_waiting(cells, later_functions(needed, Path(path).stem))
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": dict(chapter.metadata["kernelspec"])},
    )
    nbformat.validate(notebook)
    return notebook


def write_notebook(notebook, path):
    """Write ``notebook`` to ``path`` atomically."""
    import nbformat

    with atomic_file(path) as f:
        f.write(nbformat.writes(notebook).encode())


def write_student_notebooks(chapters, out_dir):
    """Write ``out_dir/notebooks/NAME.ipynb`` for each chapter {name: path}
    and the student build beside them (``notebooks/fashionlib``, which a
    notebook run there imports); returns the notebooks' paths."""
    write_student_build(Path(out_dir) / "notebooks" / "fashionlib")
    written = []
    for name, path in chapters.items():
        target = Path(out_dir) / "notebooks" / f"{name}.ipynb"
        write_notebook(student_notebook(path), target)
        written.append(target)
    return written


# --- The student site --------------------------------------------------------


def defined_labels(text):
    """The labels ``(label)=`` that a page's MyST ``text`` defines."""
    return re.findall(r"^\(([\w-]+)\)=\s*$", text, re.M)


def chapter_labels(root=REPOSITORY):
    """Every label a page of the book defines -> that page's title."""
    labels = {}
    for path in sorted((Path(root) / "book").glob("*.md")):
        text = path.read_text()
        title = re.search(r"^# (.+)$", text, re.M)
        for label in defined_labels(text):
            labels[label] = title[1].strip() if title else path.stem
    return labels


def unlink_left_out(text, kept, labels):
    """``text`` with each {ref} to a page outside ``kept`` (labels defined
    on the site) replaced by the plain, emphasised title of that page."""

    def plain(match):
        label = match["label"] or match["bare"]
        if label in kept or label not in labels:
            return match[0]
        title = f"*{labels[label]}*"
        return f"{match['text'].strip()} ({title})" if match["text"] else title

    return REF_ROLE.sub(plain, text)


def student_chapter_text(path, kept=None, labels=None):
    """The MyST source of a chapter for the student site: no solutions;
    reference and answer cells hidden (claim cells, hidden already, run
    with the instructor's package and glue the prose's numbers); links to
    the API reference, which the site leaves out, as code; links to
    left-out pages (``kept``: the labels the site defines) as plain
    titles."""
    import jupytext

    chapter = read_chapter(path)
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            cell.source = API_ROLE.sub(
                r"`\g<name>`", without_solutions(cell.source)
            )
            if kept is not None:
                cell.source = unlink_left_out(cell.source, kept, labels)
        elif {"reference", "exercise-answer"} & set(tags(cell)):
            cell.metadata["tags"] = sorted(
                set(tags(cell)) - {"reference", "exercise-answer"}
                | {"remove-cell"}
            )
    return jupytext.writes(chapter, fmt="md:myst")


def student_toc(root, chapters):
    """``_toc.yml`` for the student site: the front page, the chosen
    chapters and the references."""
    toc = read_yaml(Path(root) / "_toc.yml")
    keep = {f"book/{name}" for name in chapters} | {
        f"book/{page}" for page in FIXED_PAGES
    }
    parts = []
    for part in toc["parts"]:
        entries = [
            entry
            for entry in part.get("chapters", [])
            if entry["file"] in keep
        ]
        if entries:
            parts.append({**part, "chapters": entries})
    return {**toc, "parts": parts}


def student_config(root):
    """``_config.yml`` for the student site: solutions hidden, no copied
    sources, no download or launch buttons."""
    config = read_yaml(Path(root) / "_config.yml")
    config["title"] = f"{config['title']} (student edition)"
    # no Binder or Colab buttons: they open the book's notebooks, solutions
    # and all (and tools/, which holds their extension, is not copied)
    config.pop("launch_buttons", None)
    sphinx = config.setdefault("sphinx", {})
    sphinx.get("local_extensions", {}).pop("notebooks_branch", None)
    sphinx.get("config", {}).pop("launch_notebooks_branch", None)
    config.setdefault("sphinx", {})["recursive_update"] = (
        True  # merge the theme options below into Jupyter Book's
    )
    config["sphinx"].setdefault("config", {}).update(
        {
            "hide_solutions": True,
            "html_copy_source": False,
            "html_show_sourcelink": False,
            "html_theme_options": {"use_download_button": False},
        }
    )
    return config


def write_student_sources(root, chapters, source_dir):
    """Fill ``source_dir`` with the student site's sources: config, toc,
    book/ with edited pages, and the student build as ``fashionlib``."""
    root, source_dir = Path(root), Path(source_dir)
    shutil.copytree(
        root / "book",
        source_dir / "book",
        ignore=shutil.ignore_patterns("*.md", "__pycache__"),
    )
    write_student_build(source_dir / "fashionlib")
    fixed = {page: root / "book" / f"{page}.md" for page in FIXED_PAGES}
    labels = chapter_labels(root)
    kept = {
        label
        for path in [*chapters.values(), *fixed.values()]
        for label in defined_labels(path.read_text())
    }
    for name, path in fixed.items():
        text = API_ROLE.sub(r"`\g<name>`", path.read_text())
        (source_dir / "book" / f"{name}.md").write_text(
            unlink_left_out(text, kept, labels)
        )
    for name, path in chapters.items():
        (source_dir / "book" / f"{name}.md").write_text(
            student_chapter_text(path, kept, labels)
        )
    write_yaml(student_toc(root, chapters), source_dir / "_toc.yml")
    write_yaml(student_config(root), source_dir / "_config.yml")


def build_student_site(chapters, out_dir, root=REPOSITORY):
    """Build the student site into ``out_dir/html`` from generated sources.

    Returns (exit status, log text). The chapters are executed as in the
    book, with the instructor's package (the reference cells run, hidden),
    so figures and glued numbers are there; no code of it is shown. The
    old site is replaced only when the build succeeds.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=out_dir, prefix=".source-"
    ) as source_dir:
        write_student_sources(root, chapters, source_dir)
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        result = subprocess.run(
            [
                str(jupyter_book),
                "build",
                source_dir,
                "--all",
                "-n",
                "--keep-going",
                "--path-output",
                source_dir,
            ],
            capture_output=True,
            text=True,
        )
        log = result.stdout + result.stderr
        built = Path(source_dir) / "_build" / "html"
        if result.returncode == 0 and built.is_dir():
            shutil.rmtree(out_dir / "html", ignore_errors=True)
            shutil.move(str(built), out_dir / "html")
    return result.returncode, log


def build_warnings(log):
    """The WARNING lines of a Sphinx log (not ipykernel's TCP notice)."""
    return [
        line
        for line in log.splitlines()
        if "WARNING" in line and "Kernel is running over TCP" not in line
    ]


def make_student_edition(
    names=(), out_dir=STUDENT_DIR, site=True, root=REPOSITORY
):
    """Write the student build and notebooks (and build the site) for the
    chapters ``names`` (all when empty).

    Returns a dict: ``notebooks`` (paths), ``site`` (the html folder or
    None), ``warnings`` (list). Raises EditionError when a chapter is
    unknown, cannot be transformed, or the site fails to build.
    """
    chapters = select_chapters(list(names), root)
    notebooks = write_student_notebooks(chapters, out_dir)
    if not site:
        return {"notebooks": notebooks, "site": None, "warnings": []}
    status, log = build_student_site(chapters, out_dir, root)
    if status != 0:
        tail = "\n".join(log.splitlines()[-30:])
        raise EditionError(
            f"the student site did not build (exit status {status}); the "
            f"end of the log:\n{tail}"
        )
    return {
        "notebooks": notebooks,
        "site": Path(out_dir) / "html",
        "warnings": build_warnings(log),
    }
