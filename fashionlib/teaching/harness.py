"""Calling graded functions on the grader's inputs, in the kernel and out.

The student's kernel runs :func:`probe_kernel` after the notebook: it calls
each graded function the notebook left in its namespace on the grader's
inputs and saves the raw results (arrays, or the error raised) to files.
The grader process runs :func:`run_calls` on the reference implementation
and compares. This module imports only NumPy: it is copied into the
sandbox, where ``fashionlib.teaching`` does not exist.
"""

import json

import numpy as np


def relu_(z):
    """The grader's own relu, passed to functions that take activations."""
    return np.maximum(np.asarray(z, dtype=float), 0.0)


def identity_(z):
    """The grader's own identity (a float copy)."""
    return np.array(z, dtype=float)


def back_relu_(g, z):
    """The grader's backward relu: ``g`` where ``z > 0``, else 0."""
    return np.asarray(g, dtype=float) * (np.asarray(z) > 0)


def back_identity_(g, z):
    """The grader's backward identity (a float copy of ``g``)."""
    return np.array(g, dtype=float)


#: Names every probe's code may use, besides ``f``, ``A`` and ``g``.
HELPERS = {
    "np": np,
    "relu_": relu_,
    "identity_": identity_,
    "back_relu_": back_relu_,
    "back_identity_": back_identity_,
}


def as_arrays(out):
    """A probe's ``out`` as a list of float arrays (ValueError if not)."""
    items = list(out) if isinstance(out, (list, tuple)) else [out]
    return [np.asarray(item, dtype=float) for item in items]


def run_calls(function, calls, arrays, namespace=None):
    """Run each probe ``(label, code)`` on ``function``; one result per call.

    A result is a list of float arrays, or the text of the error raised.
    ``namespace`` (the notebook's globals) is visible to the code as ``g``.
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


def describe(value):
    """Where ``value`` came from in the kernel: module and code file."""
    code = getattr(value, "__code__", None)
    return {
        "present": value is not None,
        "module": str(getattr(value, "__module__", "")),
        "file": str(getattr(code, "co_filename", "")),
    }


def probe_kernel(namespace, job_file):
    """Kernel side: call the graded names of ``job_file`` and save results.

    Writes ``results.npz`` (arrays ``CHECK/CALL/ITEM``) and ``results.json``
    (errors, counts and where each name came from) next to ``job_file``.
    """
    with open(job_file) as f:
        job = json.load(f)
    folder = job_file.rsplit("/", 1)[0]
    with np.load(f"{folder}/inputs.npz", allow_pickle=False) as stored:
        arrays = dict(stored)
    saved, summary = {}, {}
    for check, spec in job["calls"].items():
        value = namespace.get(spec["name"])
        function = value if callable(value) else None
        results = run_calls(function, spec["calls"], arrays, namespace)
        summary[check] = {"origin": describe(value), "results": []}
        for i, result in enumerate(results):
            if isinstance(result, str):
                summary[check]["results"].append(result)
                continue
            summary[check]["results"].append(len(result))
            for j, item in enumerate(result):
                saved[f"{check}/{i}/{j}"] = item
    np.savez(f"{folder}/results.npz", **saved)
    with open(f"{folder}/results.json", "w") as f:
        json.dump(summary, f)
