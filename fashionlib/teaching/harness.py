"""The probe process: the graded functions alone, called on the inputs.

The grader starts ``python harness.py PROBE_FOLDER`` in a fresh process
(inside the sandbox when there is one). The folder, read-only, holds
``job.json`` (the graded definitions extracted from the notebook, the calls
to make, the library functions each check may use) and ``inputs.npz``. No
other cell of the notebook runs here. The results go to the standard output
as one uncompressed npz: ``CHECK/CALL/ITEM`` arrays, ``CHECK/CALL/error``
texts and ``CHECK/library`` (the library functions a check's calls used).
What the student's code prints goes to /dev/null. This module imports only
NumPy: it runs where ``fashionlib.teaching`` does not exist.
"""

import importlib.abc
import importlib.machinery
import io
import json
import os
import sys

import numpy as np


def tanh_(z):
    """The activation the probes hand to functions that take one."""
    return np.tanh(np.asarray(z, dtype=float))


def back_tanh_(g, z):
    """The backward pass of :func:`tanh_`: ``g (1 - tanh(z)^2)``."""
    return np.asarray(g, dtype=float) * (1 - np.tanh(np.asarray(z)) ** 2)


def half_(z):
    """A second activation for the probes: ``z / 2``, a new float array."""
    return np.asarray(z, dtype=float) / 2


def back_half_(g, z):
    """The backward pass of :func:`half_`."""
    return np.asarray(g, dtype=float) / 2


#: Names every probe's code may use, besides ``f``, ``A`` and ``g``.
HELPERS = {
    "np": np,
    "tanh_": tanh_,
    "back_tanh_": back_tanh_,
    "half_": half_,
    "back_half_": back_half_,
}


def as_arrays(out):
    """A probe's ``out`` as a list of float arrays (ValueError if not)."""
    items = list(out) if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(item, dtype=float) for item in items]


def run_calls(function, calls, arrays, namespace=None):
    """Run each probe ``(label, code)`` on ``function``; one result per call.

    A result is a list of float arrays, or the text of the error raised.
    ``namespace`` (the graded definitions) is visible to the code as ``g``.
    """
    results = []
    for _, code in calls:
        scope = {
            **HELPERS,
            "f": function,
            "g": namespace or {},
            "A": {key: np.array(value) for key, value in arrays.items()},
        }
        try:
            exec(code, scope)
            results.append(as_arrays(scope["out"]))
        except BaseException as error:  # noqa: B036 (the student's code)
            results.append(f"{type(error).__name__}: {error}"[:2000])
    return results


class Library:
    """Tripwires on the library's given functions, by check.

    Every function of a ``fashionlib`` module named in ``given`` is
    replaced, as the module loads, by a wrapper that notes its use and
    raises unless the check running (``current``; None while the
    definitions run) may use it.
    """

    def __init__(self, given, allowed, handed):
        self.given, self.allowed, self.handed = set(given), allowed, handed
        self.current, self.used = None, {}

    def wire(self, module):
        """Replace the given functions of ``module`` by tripwires."""
        if module.__name__ == "fashionlib._yours":
            module.YOURS.update(self.handed)
        for name, value in list(vars(module).items()):
            if name in self.given and callable(value):
                setattr(module, name, self.tripwire(module.__name__, value))

    def tripwire(self, module, function):
        """``function`` that refuses to serve a check not allowed it."""
        name, library = function.__name__, self

        def wired(*args, **kwargs):
            check = library.current
            if check is not None and name not in library.allowed[check]:
                library.used.setdefault(check, set()).add(f"{module}.{name}")
                raise RuntimeError(f"uses a library implementation: {name}")
            return function(*args, **kwargs)

        return wired


class WiringFinder(importlib.abc.MetaPathFinder):
    """Finds ``fashionlib`` modules and wires each as it loads."""

    def __init__(self, library):
        self.library = library

    def find_spec(self, name, path, target=None):
        if not name.startswith("fashionlib."):
            return None
        spec = importlib.machinery.PathFinder.find_spec(name, path, target)
        if spec is not None and spec.loader is not None:
            spec.loader = WiringLoader(spec.loader, self.library)
        return spec


class WiringLoader(importlib.abc.Loader):
    """A module loader that wires the module once it has run."""

    def __init__(self, loader, library):
        self.loader, self.library = loader, library

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        self.loader.exec_module(module)
        self.library.wire(module)


def definitions(source):
    """Run the graded definitions; returns their namespace, or the error."""
    namespace = {"__name__": "__submission__", "__builtins__": __builtins__}
    try:
        exec(compile(source, "<notebook>", "exec"), namespace)
    except BaseException as error:  # noqa: B036 (the student's code)
        return f"{type(error).__name__}: {error}"[:2000]
    return namespace


def probe(job, arrays):
    """{key: array} of the results of every call of ``job``."""
    handed = {}
    library = Library(job["given"], job["allowed"], handed)
    sys.meta_path.insert(0, WiringFinder(library))
    namespace = definitions(job["source"])
    if isinstance(namespace, dict):
        handed.update(
            (name, value)
            for name, value in namespace.items()
            if name in job["graded"] and callable(value)
        )
    saved = {}
    for check, spec in job["calls"].items():
        library.current = check
        if isinstance(namespace, dict):
            function = namespace.get(spec["name"])
            results = run_calls(function, spec["calls"], arrays, namespace)
        else:
            results = [namespace] * len(spec["calls"])
        for i, result in enumerate(results):
            if isinstance(result, str):
                saved[f"{check}/{i}/error"] = np.array(result)
            else:
                saved.update(
                    (f"{check}/{i}/{j}", item) for j, item in enumerate(result)
                )
        if library.used.get(check):
            saved[f"{check}/library"] = np.array(
                ", ".join(sorted(library.used[check]))
            )
    return saved


def main(folder):
    """Probe the job in ``folder``; the npz goes to the standard output."""
    out = os.dup(1)
    quiet = os.open(os.devnull, os.O_WRONLY)
    os.dup2(quiet, 1)
    with open(os.path.join(folder, "job.json")) as f:
        job = json.load(f)
    with np.load(os.path.join(folder, "inputs.npz")) as stored:
        arrays = dict(stored)
    buffer = io.BytesIO()
    np.savez(buffer, **probe(job, arrays))
    with os.fdopen(out, "wb") as f:
        f.write(buffer.getvalue())


if __name__ == "__main__":
    main(sys.argv[1])
