"""The reference library read from its source: its modules, its
functions and which names each function mentions."""

import ast
import functools
import threading
from pathlib import Path

from fashionlib.teaching.exercises import STUBBED

#: The core package, whose modules hold the reference implementations.
PACKAGE = Path(__file__).resolve().parent.parent


def core_modules(package=PACKAGE):
    """The core modules' files: {module name: path} (no teaching, no _*)."""
    return {
        path.stem: path
        for path in sorted(Path(package).glob("*.py"))
        if not path.stem.startswith("_")
    }


#: Held while parsing, so that the grading threads take turns, since
#: ast.parse is not safe in parallel threads on CPython 3.11.7 (it raises
#: "AST constructor recursion depth mismatch").
PARSE_LOCK = threading.Lock()


def parse(source):
    """``ast.parse(source)``, one thread at a time (:data:`PARSE_LOCK`)."""
    with PARSE_LOCK:
        return ast.parse(source)


def core_functions(package=PACKAGE):
    """Every top-level function of the core modules:
    {name: (module name, ast.FunctionDef)}."""
    found = {}
    for module, path in core_modules(package).items():
        for node in parse(path.read_text()).body:
            if isinstance(node, ast.FunctionDef):
                found[node.name] = (module, node)
    return found


def graded_functions(package=PACKAGE):
    """Every function the student build stubs: {name: module name}."""
    return {
        name: module
        for module, name, _ in function_summaries(package)
        if name in STUBBED
    }


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


def call_graph(package=PACKAGE):
    """Each core function -> the names its body mentions."""
    return {
        name: set(names) for _, name, names in function_summaries(package)
    }


def function_summaries(package=PACKAGE):
    """``(module name, function name, names it mentions)`` for every
    top-level function of the core modules, in their order."""
    return [
        (module, name, names)
        for module, path in core_modules(package).items()
        for name, names in module_summary(path.read_text())
    ]


@functools.lru_cache(maxsize=64)
def module_summary(source):
    """``((function name, frozenset of the names it mentions), ...)`` for
    the top-level functions of a module's ``source``, parsed once per
    source text (the student edition asks for every chapter)."""
    return tuple(
        (node.name, frozenset(referenced(node)))
        for node in parse(source).body
        if isinstance(node, ast.FunctionDef)
    )
