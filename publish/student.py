"""The student's cells of a chapter: no solutions, no answers.

:func:`student_cells` is what :func:`publish.notebook.chapter_notebook`
does for the student edition: each cell tagged ``reference`` becomes a stub
per graded function (its signature, its contract as docstring, ``raise
NotImplementedError``) handed to fashionlib with ``fashionlib.use``; a cell
tagged ``exercise-answer`` becomes ``# YOUR CODE HERE`` assignments of
``None``; a cell for the student's functions from other chapters comes
first where needed; each ``{solution}`` disappears, a prose solution
becomes a "your answer here" cell, and claim cells (assertions on the
reference's results) are left out.  Verify cells stay.
"""

import ast
import importlib
import inspect
import re

import nbformat

from fashionlib.teaching.exercises import CHAPTERS, STUBBED, stub
from fashionlib.teaching.library import (
    call_graph,
    graded_functions,
    referenced,
)
from publish.sources import (
    PublishError,
    is_claim,
    solution_blocks,
    split_solutions,
    tags,
)

#: The line that marks where a student writes code.
STUB_MARKER = "# YOUR CODE HERE"
#: The text of a cell that replaces a prose solution.
ANSWER_TEXT = "*Your answer here.*"
#: How the note on a cell that waits for later chapters ends.
WAITING = ": runs once pasted above."


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
    (:mod:`fashionlib.teaching.exercises`), and a body that raises
    NotImplementedError (with ``message``, if any)."""
    name = function.__name__
    signature = inspect.signature(function)
    parameters = str(signature.replace(return_annotation=signature.empty))
    raises = "raise NotImplementedError" + (
        f"({message!r})" if message else ""
    )
    source = stub(name, parameters[1:-1], [STUB_MARKER, raises])
    try:
        ast.parse(source)
    except SyntaxError as error:
        raise PublishError(
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
        if name in STUBBED:
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


def new_cell(kind, source, cell_tags):
    """A fresh cell with no outputs and only tags as metadata."""
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
    if is_claim(cell):
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
        raise PublishError(
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
        and not STUBBED[name].fallback
        and not name.endswith("_array")
    ]


def later_functions(names, chapter):
    """Those of ``names`` that a chapter after ``chapter`` asks for."""
    order = list(CHAPTERS)
    if chapter not in order:
        return set()
    return {
        n
        for n in names
        if order.index(STUBBED[n].chapter) > order.index(chapter)
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
    home = STUBBED[name].chapter
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


#: Engine modules whose code computes graded quantities.
ENGINES = ("fashionlib.batch",)


def engine_note(chapter):
    """What the student notebook says when the chapter's code uses an
    engine module (which computes graded quantities): calling it from a
    graded function scores 0."""
    used = sorted(
        {
            module
            for cell in chapter.cells
            if cell.cell_type == "code"
            for module, _ in imported_names(cell.source)
            if module in ENGINES
        }
    )
    if not used:
        return ""
    return (
        f"\n\n**Your functions must not call {', '.join(used)}.** This "
        "chapter's given code uses it, so it ships with your fashionlib, "
        "but the grader gives 0 to a graded function that calls it: write "
        "each exercise from the chapter's own mathematics."
    )


def student_cells(chapter, name):
    """The cells of the student notebook of ``chapter`` (a notebook read
    from the MyST source of the chapter called ``name``)."""
    hidden = hidden_functions(chapter)
    intro = new_cell(
        "markdown",
        (
            f"*Student notebook for the chapter `{name}`.* "
            f"Replace each `{STUB_MARKER}` and its `raise "
            "NotImplementedError` with your code, and write your answers "
            f"where it says {ANSWER_TEXT} Keep this notebook beside the "
            "folder `fashionlib` that came with it. Run the notebook from "
            "the top: each cell tagged `verify` checks your work and stops "
            "with a message naming the function to fix."
        )
        + engine_note(chapter),
        [],
    )
    own = {n for n in STUBBED if n in hidden}
    needed = functions_needed(chapter, own)
    cells = [intro, earlier_cell(needed, name)]
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            cells.extend(student_markdown_cells(cell))
        elif cell.cell_type == "code":
            cells.append(student_code_cell(cell, hidden))
    cells = [cell for cell in cells if cell is not None]
    mark_waiting(cells, later_functions(needed, name))
    return cells
