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


def write_student_build(target, package=PACKAGE):
    """Write the student build of ``package`` into the folder ``target``.

    ``target`` becomes an importable ``fashionlib`` (put its parent on the
    path). Returns ``target``. The old folder is replaced.
    """
    target = Path(target)
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    for name, path in core_modules(package).items():
        (target / f"{name}.py").write_text(stubbed_module(path.read_text()))
    init = (Path(package) / "__init__.py").read_text()
    (target / "__init__.py").write_text(
        init + "\nfrom fashionlib._yours import use  # noqa: E402\n"
    )
    (target / "_yours.py").write_text(yours_module(package))
    for path in Path(package).glob("_*.py"):
        if not path.name.startswith("__"):  # private helpers, no CLI
            shutil.copy(path, target / path.name)
    return target
