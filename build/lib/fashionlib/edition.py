"""The student edition: the same chapters with every solution taken out.

From the chapter sources (``book/*.md``, MyST notebooks listed in ``_toc.yml``) this module makes

- one student notebook per chapter: each cell tagged ``reference`` (it imports a reference
  implementation whose code a ``{solution}`` shows) becomes a stub per function, with the
  function's own signature and docstring and ``raise NotImplementedError``; a cell tagged
  ``exercise-answer`` becomes ``# YOUR CODE HERE`` assignments of ``None``; each ``{solution}``
  disappears, and a solution written in prose becomes a "your answer here" cell. Verify cells
  stay, so a student's notebook stops at the first check whose function is not written yet;
- the student site: the book with the solutions removed from the sources, sphinx-exercise's
  ``hide_solutions`` on, reference and answer cells hidden, and no copied sources.

Stubs come from ``inspect.signature`` and ``inspect.getdoc`` of fashionlib's functions, so they
cannot drift from the reference implementations.
"""

import ast
import importlib
import inspect
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from fashionlib.data import atomic_file

#: The repository root, whose book/ holds the chapter sources.
REPOSITORY = Path(__file__).resolve().parent.parent
#: Where the student edition is written by default.
STUDENT_DIR = REPOSITORY / "_build" / "student"
#: The line that marks where a student writes code.
STUB_MARKER = "# YOUR CODE HERE"
#: The text of a cell that replaces a prose solution.
ANSWER_TEXT = "*Your answer here.*"
#: Matches the opening fence of a solution directive (backticks or colons) and its label.
SOLUTION_OPENING = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}\s*(?P<label>\S*)"
)


class EditionError(ValueError):
    """A chapter cannot be turned into its student edition; the message says why and what to do."""


def read_yaml(path):
    """The YAML file at ``path``; EditionError if PyYAML (installed with the book tools) is missing."""
    try:
        import yaml
    except ImportError:
        raise EditionError(
            "the student edition needs the book tools: pip install -e '.[book]'"
        ) from None
    return yaml.safe_load(Path(path).read_text())


def write_yaml(data, path):
    """Write ``data`` as YAML to ``path``, keys in their order."""
    import yaml

    Path(path).write_text(yaml.safe_dump(data, sort_keys=False))


def chapter_files(root=REPOSITORY):
    """The chapters with exercises, in the order of ``_toc.yml``: {name: path of book/NAME.md}."""
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
    """The chapter paths for ``names`` (all chapters when empty); EditionError names the valid ones."""
    chapters = chapter_files(root)
    if not chapters:
        raise EditionError(
            f"no chapters found under {root}: run from a checkout of the book (it has _toc.yml)"
        )
    unknown = [name for name in names if name not in chapters]
    if unknown:
        raise EditionError(
            f"unknown chapter {', '.join(unknown)}: choose from {', '.join(chapters)}"
        )
    return {name: chapters[name] for name in (names or chapters)}


# --- Solutions in Markdown -----------------------------------------------------------------


def split_solutions(text):
    """Split Markdown ``text`` into ("text", str) and ("solution", label, body) pieces, in order."""
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
                f"the {{solution}} at line {index + 1} has no closing {fence}: close the directive"
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
    """Every ``{solution}`` block of a notebook's Markdown cells, as (label, source) pairs."""
    return [
        (piece[1], piece[2])
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for piece in split_solutions(cell.source)
        if piece[0] == "solution"
    ]


def hidden_functions(notebook):
    """The functions whose code a ``{solution}`` of the chapter shows: {name: module}, from each literalinclude."""
    include = re.compile(
        r"\{literalinclude\}\s*\S*?fashionlib/(\w+)\.py\s*\n(?:\s*:[\w-]+:.*\n)*?\s*:pyobject:\s*(\w+)"
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


# --- Stubs ---------------------------------------------------------------------------------


def imported_names(source):
    """(module, name) for each ``from fashionlib.X import name`` in code ``source``."""
    return [
        (node.module, alias.name)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.ImportFrom)
        and (node.module or "").startswith("fashionlib")
        for alias in node.names
    ]


def stub_source(function):
    """A stub with ``function``'s name, signature and docstring whose body raises NotImplementedError."""
    docstring = inspect.getdoc(function) or f"Write {function.__name__}."
    prefix = "r" if "\\" in docstring else ""
    body = (
        f'    {prefix}"""'
        + docstring.replace("\n", "\n    ").replace("    \n", "\n")
        + '"""'
    )
    source = (
        f"def {function.__name__}{inspect.signature(function)}:\n{body}\n"
        f"    {STUB_MARKER}\n    raise NotImplementedError\n"
    )
    try:
        ast.parse(source)
    except SyntaxError as error:
        raise EditionError(
            f"the stub of {function.__name__} is not valid Python ({error}): "
            "give its parameters defaults that are literals"
        ) from None
    return source


def stub_cell_source(reference_source, hidden):
    """Stubs for the hidden functions a reference cell imports, plus an import of the others (given code)."""
    stubs, given = [], []
    for module, name in imported_names(reference_source):
        if name in hidden:
            stubs.append(
                stub_source(getattr(importlib.import_module(module), name))
            )
        else:
            given.append(
                f"from {module} import {name}  # given: the chapter shows its code"
            )
    return "\n".join(given + ["\n\n".join(stubs)]).strip() + "\n"


def answer_stub_source(answer_source):
    """``# YOUR CODE HERE`` and ``NAME = None`` for each name an exercise-answer cell assigns."""
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


# --- Student notebooks -------------------------------------------------------------------


def read_chapter(path):
    """The chapter at ``path`` as a notebook (jupytext reads the MyST Markdown)."""
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
    """A Markdown cell without its solutions; a prose solution (no literalinclude) becomes an answer cell."""
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
    """The student version of a code cell: stubs for reference and answer cells, other cells as they are."""
    if "reference" in tags(cell):
        source = stub_cell_source(cell.source, hidden)
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
            f"a cell imports the reference {', '.join(leaked)}, which the chapter asks the student "
            "to write: move that import into the cell tagged `reference`"
        )
    kept = new_cell("code", cell.source, tags(cell))
    kept.metadata.update(
        {key: value for key, value in cell.metadata.items() if key == "mystnb"}
    )
    if "remove-cell" in tags(cell):
        kept.metadata["jupyter"] = {"source_hidden": True}
    return kept


def student_notebook(path):
    """The student notebook of the chapter at ``path`` (an nbformat v4 notebook, no outputs)."""
    import nbformat

    chapter = read_chapter(path)
    hidden = hidden_functions(chapter)
    intro = new_cell(
        "markdown",
        (
            f"*Student notebook for the chapter `{Path(path).stem}`.* Replace each `{STUB_MARKER}` and its "
            "`raise NotImplementedError` with your code, and write your answers where it says "
            f"{ANSWER_TEXT} Run the notebook from the top: each cell tagged `verify` checks your work and "
            "stops with a message naming the function to fix."
        ),
        [],
    )
    cells = [intro]
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            cells.extend(student_markdown_cells(cell))
        elif cell.cell_type == "code":
            cells.append(student_code_cell(cell, hidden))
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
    """Write ``out_dir/notebooks/NAME.ipynb`` for each chapter {name: path}; returns the paths written."""
    written = []
    for name, path in chapters.items():
        target = Path(out_dir) / "notebooks" / f"{name}.ipynb"
        write_notebook(student_notebook(path), target)
        written.append(target)
    return written


# --- The student site --------------------------------------------------------------------


def student_chapter_text(path):
    """The MyST source of a chapter for the student site: no solutions; reference and answer cells hidden."""
    import jupytext

    chapter = read_chapter(path)
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            cell.source = without_solutions(cell.source)
        elif {"reference", "exercise-answer"} & set(tags(cell)):
            cell.metadata["tags"] = sorted(
                set(tags(cell)) - {"reference", "exercise-answer"}
                | {"remove-cell"}
            )
    return jupytext.writes(chapter, fmt="md:myst")


def student_toc(root, chapters):
    """``_toc.yml`` for the student site: the front page, the chosen chapters and the references."""
    toc = read_yaml(Path(root) / "_toc.yml")
    keep = {f"book/{name}" for name in chapters} | {"book/references"}
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
    """``_config.yml`` for the student site: solutions hidden, no copied sources, no download button."""
    config = read_yaml(Path(root) / "_config.yml")
    config["title"] = f"{config['title']} (student edition)"
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
    """Fill ``source_dir`` with the student site's sources: config, toc, book/ with edited chapters."""
    root, source_dir = Path(root), Path(source_dir)
    shutil.copytree(
        root / "book",
        source_dir / "book",
        ignore=shutil.ignore_patterns("*.md", "__pycache__"),
    )
    shutil.copytree(
        root / "fashionlib",
        source_dir / "fashionlib",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    for page in ("intro", "references"):
        shutil.copy(
            root / "book" / f"{page}.md", source_dir / "book" / f"{page}.md"
        )
    for name, path in chapters.items():
        (source_dir / "book" / f"{name}.md").write_text(
            student_chapter_text(path)
        )
    write_yaml(student_toc(root, chapters), source_dir / "_toc.yml")
    write_yaml(student_config(root), source_dir / "_config.yml")


def build_student_site(chapters, out_dir, root=REPOSITORY):
    """Build the student site into ``out_dir/html`` from generated sources; returns (exit status, log text).

    The chapters are executed as in the book (the reference cells run, hidden), so figures and
    glued numbers are there. The old site is replaced only when the build succeeds.
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
    """The WARNING lines of a Sphinx log (ipykernel's TCP notice is not one)."""
    return [
        line
        for line in log.splitlines()
        if "WARNING" in line and "Kernel is running over TCP" not in line
    ]


def make_student_edition(
    names=(), out_dir=STUDENT_DIR, site=True, root=REPOSITORY
):
    """Write the student notebooks (and build the site) for the chapters ``names`` (all when empty).

    Returns a dict: ``notebooks`` (paths), ``site`` (the html folder or None), ``warnings`` (list).
    Raises EditionError when a chapter is unknown, cannot be transformed, or the site fails to build.
    """
    chapters = select_chapters(list(names), root)
    notebooks = write_student_notebooks(chapters, out_dir)
    if not site:
        return {"notebooks": notebooks, "site": None, "warnings": []}
    status, log = build_student_site(chapters, out_dir, root)
    if status != 0:
        tail = "\n".join(log.splitlines()[-30:])
        raise EditionError(
            f"the student site did not build (exit status {status}); the end of the log:\n{tail}"
        )
    return {
        "notebooks": notebooks,
        "site": Path(out_dir) / "html",
        "warnings": build_warnings(log),
    }
