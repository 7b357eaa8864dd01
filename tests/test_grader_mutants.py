"""No wrong answer earns a point: the grader against a catalogue of them.

For every function the rubric checks, the mutants of its reference (one
operator, comparison, constant or index changed, a statement dropped, a
return value replaced: the kinds of change mutmut makes) go through the
grader's probes and verdict directly, without a notebook. Each must fail
its check, unless ``grader_equivalent_mutants.txt`` lists it with the
reason it behaves like the reference on every input the contract allows.

    .venv/bin/python -m pytest tests/test_grader_mutants.py -s  # counts
"""

import ast
import contextlib
import copy
import importlib
import inspect
import signal
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from fashionlib.teaching import grading, probes, rubric

EQUIVALENTS = Path(__file__).with_name("grader_equivalent_mutants.txt")
INPUTS = probes.make_inputs(2026)
#: Seconds one mutant may run its probes.
MUTANT_TIMEOUT = 10
OPERATORS = {
    ast.Add: ast.Sub,
    ast.Sub: ast.Add,
    ast.Mult: ast.Div,
    ast.Div: ast.Mult,
    ast.FloorDiv: ast.Div,
    ast.Pow: ast.Mult,
    ast.MatMult: ast.Mult,
    ast.Mod: ast.FloorDiv,
}
COMPARISONS = {
    ast.Lt: ast.LtE,
    ast.LtE: ast.Lt,
    ast.Gt: ast.GtE,
    ast.GtE: ast.Gt,
    ast.Eq: ast.NotEq,
    ast.NotEq: ast.Eq,
    ast.Is: ast.IsNot,
    ast.IsNot: ast.Is,
    ast.In: ast.NotIn,
    ast.NotIn: ast.In,
}


def changed(node):
    """The mutants of one syntax node: a list of new nodes."""
    kind = type(node)
    if kind is ast.BinOp and type(node.op) in OPERATORS:
        op = OPERATORS[type(node.op)]()
        return [ast.BinOp(node.left, op, node.right)]
    if kind is ast.Compare and type(node.ops[0]) in COMPARISONS:
        op = COMPARISONS[type(node.ops[0])]()
        return [ast.Compare(node.left, [op, *node.ops[1:]], node.comparators)]
    if kind is ast.UnaryOp and isinstance(node.op, (ast.USub, ast.Not)):
        return [node.operand]
    if kind is ast.Constant and type(node.value) in (int, float):
        return [ast.Constant(node.value + 1)]
    if kind is ast.Constant and isinstance(node.value, bool):
        return [ast.Constant(not node.value)]
    if kind is ast.BoolOp:
        other = ast.Or if isinstance(node.op, ast.And) else ast.And
        return [ast.BoolOp(other(), node.values)]
    return []


def skipped(tree):
    """Nodes not to mutate: docstrings, error messages, raise statements."""
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Raise, ast.JoinedStr)):
            out |= {id(n) for n in ast.walk(node)}
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            out.add(id(node))
    return out


def mutants(function):
    """{description: source} of the mutants of ``function``'s source."""
    source = textwrap.dedent(inspect.getsource(function))
    tree = ast.parse(source)
    body = tree.body[0].body
    if isinstance(body[0], ast.Expr) and isinstance(
        body[0].value, ast.Constant
    ):
        body.pop(0)  # the docstring
    found, leave = {}, skipped(tree)

    def add(description, mutated):
        key, n = description, 1
        while key in found:
            n += 1
            key = f"{description} #{n}"
        found[key] = ast.unparse(mutated)

    nodes = [n for statement in body for n in ast.walk(statement)]
    for index, original in enumerate(nodes):
        if id(original) in leave:
            continue
        for new in changed(original):
            copied = copy.deepcopy(tree)
            target = [n for st in copied.body[0].body for n in ast.walk(st)][
                index
            ]
            replace(copied, target, new)
            add(
                f"line {getattr(original, 'lineno', 0)}: "
                f"{ast.unparse(original)} -> {ast.unparse(new)}",
                copied,
            )
    for index, statement in enumerate(body):
        copied = copy.deepcopy(tree)
        copied.body[0].body[index] = (
            ast.Pass()
            if not isinstance(statement, ast.Return)
            else ast.Return(ast.Constant(None))
        )
        kind = "return None" if isinstance(statement, ast.Return) else "pass"
        first = ast.unparse(statement).splitlines()[0]
        add(f"line {statement.lineno}: {first} -> {kind}", copied)
    return found


def replace(tree, target, new):
    """Put ``new`` in the place of node ``target`` inside ``tree``."""
    new = copy.deepcopy(new)
    for parent in ast.walk(tree):
        for field, value in ast.iter_fields(parent):
            if value is target:
                setattr(parent, field, new)
                return
            if isinstance(value, list) and any(v is target for v in value):
                value[[v is target for v in value].index(True)] = new
                return
    raise AssertionError("node not found")


def compiled(function, source):
    """The mutant ``source`` of ``function``, in its module's namespace."""
    module = importlib.import_module(function.__module__)
    namespace = dict(vars(module))
    tree = ast.fix_missing_locations(ast.parse(source))
    exec(compile(tree, "<mutant>", "exec"), namespace)
    return namespace[function.__name__]


@contextlib.contextmanager
def patched(function, mutant):
    """Every fashionlib module's name for ``function`` bound to ``mutant``."""
    modules = [
        m
        for name, m in sys.modules.items()
        if name.startswith("fashionlib.")
        and vars(m).get(function.__name__) is function
    ]
    for m in modules:
        setattr(m, function.__name__, mutant)
    try:
        yield
    finally:
        for m in modules:
            setattr(m, function.__name__, function)


def mutated_functions(name):
    """The reference of graded ``name`` and the helpers it calls by name
    that no other check grades (their mutants make it wrong too)."""
    functions = grading.reference_functions()
    graded = {p.names[0] for c in rubric.RUBRIC.values() for p in c.parts}
    called = {
        node.func.id
        for node in ast.walk(functions[name][1])
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
    }
    return [
        getattr(importlib.import_module(f"fashionlib.{module}"), n)
        for n, (module, _) in functions.items()
        if n == name or n in called and n not in graded
    ]


def alarm(signum, frame):
    raise TimeoutError(f"ran longer than {MUTANT_TIMEOUT} s")


def killed(check, mutant, expected):
    """Whether the grader fails ``mutant`` on ``check``."""
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(MUTANT_TIMEOUT)
    try:
        with np.errstate(all="ignore"):
            got = probes.reference_results(
                check, mutant, INPUTS, grading.REFERENCE_VALUES
            )
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    return not probes.verdict(check, got, expected)[0]


def equivalents():
    """{mutant name: reason} listed as equivalent."""
    listed = {}
    for line in EQUIVALENTS.read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, reason = line.partition("  ")
            listed[name.strip()] = reason.strip()
    return listed


PARTS = [
    p
    for chapter in rubric.RUBRIC.values()
    for p in chapter.parts
    if grading.reference_function(p.names[0]) is not None
]


@pytest.fixture(scope="module")
def counts():
    """Mutants, killed and equivalent per function (printed at the end)."""
    table = {}
    yield table
    print("\nfunction                            mutants  killed  equivalent")
    for name, (total, dead, same) in table.items():
        print(f"{name:35s} {total:7d} {dead:7d} {same:11d}")
    print("total", *(sum(row[i] for row in table.values()) for i in range(3)))


@pytest.mark.parametrize("part", PARTS, ids=lambda p: p.names[0])
def test_every_mutant_of_a_reference_fails_its_check(part, counts):
    reference = grading.reference_function(part.names[0])
    expected = probes.reference_results(
        part.check, reference, INPUTS, grading.REFERENCE_VALUES
    )
    listed, survivors, same, total = equivalents(), [], 0, 0
    for function in mutated_functions(part.names[0]):
        for description, source in mutants(function).items():
            total += 1
            name = f"{part.names[0]}: {function.__name__} {description}"
            mutant = compiled(function, source)
            with patched(function, mutant):
                f = mutant if function is reference else reference
                dead = killed(part.check, f, expected)
            if dead:
                assert name not in listed, f"listed but killed: {name}"
            elif name in listed:
                same += 1
            else:
                survivors.append(name)
    counts[part.names[0]] = (total, total - same - len(survivors), same)
    assert not survivors, "\n".join(survivors)


def test_every_listed_equivalent_gives_a_reason():
    assert all(equivalents().values())
