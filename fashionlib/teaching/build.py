"""The student build of ``fashionlib``: the package without the answers.

It ships everything the notebooks need (data loading, plots, the checks and
every ungraded function) and, for each graded function, a stub with the
same signature whose docstring states the contract
(:mod:`fashionlib.teaching.exercises`). A stub calls the
student's own function once the notebook has handed it over with
``fashionlib.use(...)``, so that given code (plots, training, the checks)
runs on the student's work; before that it raises NotImplementedError
naming the chapter to write it in. Optional (hacker) functions fall back to
the given naive version instead. The subpackage ``teaching`` is left out.
"""

import ast
import re
import shutil
from pathlib import Path

from fashionlib.teaching.exercises import STUBBED, stub
from fashionlib.teaching.library import (
    PACKAGE,
    core_modules,
    graded_functions,
)

#: The module of the student build that holds the student's functions.
YOURS_MODULE = '''"""Your functions: the stubs of this student build call them.

``fashionlib.use(relu, identity)`` hands your functions to fashionlib, so
that its given code (plots, training, the checks) calls them. A graded
function you have not handed over raises NotImplementedError.
"""

import importlib

#: Your functions, by name.
YOURS = {{}}
#: Graded function -> the chapter whose notebook asks for it.
CHAPTERS = {chapters!r}
#: Optional function -> (module, given function used until you write yours).
FALLBACKS = {fallbacks!r}


def use(*functions):
    """Let fashionlib's own code call your ``functions`` (each by its name)."""
    for function in functions:
        name = getattr(function, "__name__", None)
        if name not in CHAPTERS:
            raise ValueError(
                f"{{name!r}} is not a function you write; "
                f"these are: {{', '.join(CHAPTERS)}}"
            )
        if getattr(function, "__module__", "").startswith("fashionlib"):
            raise ValueError(f"pass your own {{name}}, not fashionlib's stub")
        YOURS[name] = function


def written(name):
    """Your function ``name`` (or the given fallback of an optional one)."""
    if name in YOURS:
        return YOURS[name]
    if name in FALLBACKS:
        module, given = FALLBACKS[name]
        return getattr(importlib.import_module(module), given)
    raise NotImplementedError(
        f"{{name}} is not written yet: write it in the notebook of the "
        f"chapter '{{CHAPTERS[name]}}' and hand it over with "
        f"fashionlib.use({{name}})"
    )
'''


def signature_text(node):
    """The parameter list of function ``node`` as source, and the call.

    Returns (parameters, arguments): ``"x, W, seed=0"`` and
    ``"x, W, seed"`` (keyword-only parameters passed by name).
    """
    parameters = ast.unparse(node.args)
    arguments = [a.arg for a in node.args.posonlyargs + node.args.args]
    arguments += [f"{a.arg}={a.arg}" for a in node.args.kwonlyargs]
    return parameters, ", ".join(arguments)


def stub_text(node):
    """Source of the stub of function ``node``: contract, then delegation."""
    parameters, arguments = signature_text(node)
    call = f'return _yours.written("{node.name}")({arguments})'
    return stub(node.name, parameters, [call])


def stubbed_module(source):
    """A module's ``source`` with each graded function replaced by its stub.

    Returns the new source; unchanged when the module has no graded
    function.
    """
    tree = ast.parse(source)
    lines = source.splitlines(keepends=True)
    graded = [
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name in STUBBED
    ]
    if not graded:
        return source
    for node in reversed(graded):
        start = min([node.lineno] + [d.lineno for d in node.decorator_list])
        stub = stub_text(node)
        lines[start - 1 : node.end_lineno] = [stub]
    imports = [
        node
        for node in tree.body
        if isinstance(node, (ast.Import, ast.ImportFrom))
    ]
    after = imports[-1].end_lineno if imports else 0  # before any def
    lines.insert(after, "from fashionlib import _yours\n")
    return "".join(lines)


def yours_module(package=PACKAGE):
    """Source of the student build's ``_yours`` module."""
    graded = graded_functions(package)
    chapters = {name: STUBBED[name].chapter for name in graded}
    fallbacks = {
        name: (f"fashionlib.{graded[name]}", STUBBED[name].fallback)
        for name in graded
        if STUBBED[name].fallback
    }
    return YOURS_MODULE.format(chapters=chapters, fallbacks=fallbacks)


#: Operators that make an expression a formula worth hiding.
FORMULA_OPERATORS = (ast.Mult, ast.MatMult, ast.Div, ast.Pow)
#: What a docstring of the student build says instead of a formula.
HIDDEN_FORMULA = "(see the chapter)"


def squeezed(text):
    """``text`` without whitespace and ``*`` (``2 (x - y)`` matches
    ``2 * (x - y)``, ``s(1-s)`` matches ``s * (1 - s)``)."""
    return re.sub(r"[\s*]", "", text)


def computed_formulas(sources):
    """Every product, quotient or power of names that a function of the
    Python ``sources`` computes in what it returns, squeezed."""
    found = set()
    for source in sources:
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Return) and node.value is not None:
                found |= {
                    squeezed(ast.unparse(part))
                    for part in ast.walk(node.value)
                    if isinstance(part, ast.BinOp)
                    and isinstance(part.op, FORMULA_OPERATORS)
                    and any(isinstance(n, ast.Name) for n in ast.walk(part))
                }
    return found


def without_formulas(source, formulas):
    """``source`` with each ``code`` span of a docstring that spells out
    one of ``formulas`` replaced by :data:`HIDDEN_FORMULA`."""
    lines = source.splitlines(keepends=True)
    for node in ast.walk(ast.parse(source)):
        body = getattr(node, "body", None)
        if not (
            isinstance(node, (ast.Module, ast.FunctionDef, ast.ClassDef))
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        ):
            continue
        first, last = body[0].lineno - 1, body[0].end_lineno
        text = "".join(lines[first:last])
        hidden = re.sub(
            r"``(.+?)``",
            lambda m: HIDDEN_FORMULA
            if any(f in squeezed(m[1]) for f in formulas)
            else m[0],
            text,
            flags=re.S,
        )
        lines[first:last] = [hidden] + [""] * (last - first - 1)
    return "".join(lines)


def imported_modules(path):
    """The core modules that the Python file ``path`` imports
    (``from fashionlib.X import``, ``from fashionlib import X``)."""
    found = set()
    for node in ast.walk(ast.parse(Path(path).read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "fashionlib":
                found |= {alias.name for alias in node.names}
            elif node.module.startswith("fashionlib."):
                found.add(node.module.split(".")[1])
        elif isinstance(node, ast.Import):
            found |= {
                a.name.split(".")[1]
                for a in node.names
                if a.name.startswith("fashionlib.")
            }
    return found


def shipped_modules(modules, package=PACKAGE):
    """The core modules a student build needs: ``modules`` (those its
    chapters import), what the package's ``__init__`` imports, and what
    each of these imports in turn."""
    core = core_modules(package)
    todo = set(modules) | imported_modules(Path(package) / "__init__.py")
    shipped = set()
    while todo:
        name = todo.pop()
        if name in core and name not in shipped:
            shipped.add(name)
            todo |= imported_modules(core[name])
    return shipped


def write_student_build(target, package=PACKAGE, modules=None):
    """Write the student build of ``package`` into the folder ``target``.

    ``target`` becomes an importable ``fashionlib`` (put its parent on the
    path). ``modules``: the core modules the chosen chapters import (all
    when None); the build ships only those and what they need
    (:func:`shipped_modules`), so that engine code computing graded
    quantities (``batch``) reaches the students only with a chapter that
    uses it. No docstring spells out a formula the package computes
    (:func:`without_formulas`). Returns ``target``. The old folder is
    replaced.
    """
    target = Path(target)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    core = core_modules(package)
    keep = set(core) if modules is None else shipped_modules(modules, package)
    formulas = computed_formulas(path.read_text() for path in core.values())
    for name, path in core.items():
        if name in keep:
            (target / f"{name}.py").write_text(
                without_formulas(stubbed_module(path.read_text()), formulas)
            )
    init = (Path(package) / "__init__.py").read_text()
    (target / "__init__.py").write_text(
        init + "\nfrom fashionlib._yours import use  # noqa: E402\n"
    )
    (target / "_yours.py").write_text(yours_module(package))
    for path in Path(package).glob("_*.py"):
        if not path.name.startswith("__"):  # private helpers, no CLI
            shutil.copy(path, target / path.name)
    return target
