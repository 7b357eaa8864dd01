"""The graded definitions of a notebook, extracted without running it.

The probe process runs only what this module extracts: the last top-level
``def`` of each graded function, and the top-level statements (imports,
assignments, other definitions) whose names those functions reference,
directly or through each other, in notebook order. No other cell runs
there, so nothing the notebook does elsewhere can change a result.
"""

import ast
from dataclasses import dataclass

from fashionlib.teaching.contracts import parse, referenced


@dataclass(frozen=True)
class Definitions:
    """A notebook's top-level statements and the names each one binds."""

    statements: tuple
    bindings: dict  # name -> index of the last statement binding it


def cell_python(source):
    """A code cell's source as Python (IPython magics turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(source)


def bound(statement):
    """The names a top-level ``statement`` binds (none if it is kept out:
    expressions, loops and other statements that run code for effect)."""
    if isinstance(
        statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    ):
        return {statement.name}
    if imports(statement):
        return {
            (a.asname or a.name).split(".")[0]
            for a in statement.names
            if a.name != "*"
        }
    if isinstance(statement, (ast.Assign, ast.AnnAssign)):
        targets = (
            statement.targets
            if isinstance(statement, ast.Assign)
            else [statement.target]
        )
        return {
            node.id
            for target in targets
            for node in ast.walk(target)
            if isinstance(node, ast.Name)
        }
    return set()


def imports(statement):
    """Whether ``statement`` is an import."""
    return isinstance(statement, (ast.Import, ast.ImportFrom))


def definitions(notebook):
    """The top-level statements of ``notebook``'s code cells, in order.

    A cell that does not parse is left out, as the kernel would stop it.
    RecursionError and MemoryError reach the caller (a hostile cell).
    """
    statements, bindings = [], {}
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = parse(cell_python(cell.source))
        except SyntaxError:
            continue
        for statement in tree.body:
            for name in bound(statement):
                bindings[name] = len(statements)
            statements.append(statement)
    return Definitions(tuple(statements), bindings)


def needed(found, names):
    """Indices of the statements that ``names`` need, in notebook order."""
    todo, kept = [n for n in names if n in found.bindings], set()
    while todo:
        index = found.bindings[todo.pop()]
        if index in kept:
            continue
        kept.add(index)
        todo += [
            n
            for n in referenced(found.statements[index])
            if n in found.bindings
        ]
    return sorted(kept)


def source(found, names):
    """Python source of the statements ``names`` need, in notebook order."""
    return "\n".join(
        ast.unparse(found.statements[i]) for i in needed(found, names)
    )


def function_body(found, name):
    """The ``ast.dump`` of the body of the notebook's last ``def name``,
    without its docstring; None when its last binding is not a ``def``."""
    index = found.bindings.get(name)
    node = None if index is None else found.statements[index]
    if not isinstance(node, ast.FunctionDef):
        return None
    return without_docstring(node)


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


def library_used(found, name, forbidden):
    """The ``forbidden`` library functions that ``name``'s statements use:
    imported from ``fashionlib`` by name, or reached as an attribute of an
    imported ``fashionlib`` module."""
    imported, modules = {}, set()
    for statement in found.statements:
        if isinstance(statement, ast.ImportFrom) and (
            statement.module or ""
        ).startswith("fashionlib"):
            for alias in statement.names:
                imported[alias.asname or alias.name] = alias.name
        elif isinstance(statement, ast.Import):
            modules |= {
                (a.asname or a.name).split(".")[0]
                for a in statement.names
                if a.name.startswith("fashionlib")
            }
    modules |= set(imported)  # from fashionlib import batch
    used = set()
    for index in needed(found, [name]):
        for node in ast.walk(found.statements[index]):
            if isinstance(node, ast.Name) and node.id in imported:
                used.add(imported[node.id])
            elif isinstance(node, ast.Attribute) and root(node) in modules:
                used.add(node.attr)
    return sorted(used & set(forbidden))


def root(node):
    """The name an attribute chain ``a.b.c`` starts from (or None)."""
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None
