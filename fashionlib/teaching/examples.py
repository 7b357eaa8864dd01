"""Example submissions, to try the grader before a real course arrives.

Two answers to the activations chapter: :data:`RIGHT_ACTIVATIONS` writes
the three functions correctly, :data:`SLIP_ACTIVATIONS` drops the minus
sign in the sigmoid's exponent (relu and identity still pass).
:func:`write_submission` saves code as a notebook, as a student would
return it.  The instructors chapter, the grading tests and the grading
benchmark all start from these.
"""

from pathlib import Path

import nbformat

__all__ = ["RIGHT_ACTIVATIONS", "SLIP_ACTIVATIONS", "write_submission"]

#: A correct answer to the activations chapter (10 of 10 points).
RIGHT_ACTIVATIONS = """
import numpy as np

def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)

def identity(x):
    return np.array(x, dtype=float)

def sigmoid(x):
    return 1 / (1 + np.exp(-np.asarray(x, dtype=float)))
"""

#: The same answer with the classic sigmoid slip (6 of 10 points).
SLIP_ACTIVATIONS = RIGHT_ACTIVATIONS.replace(
    "np.exp(-np.asarray", "np.exp(np.asarray"
)


def write_submission(path, sources):
    """Write a notebook with one code cell per string of ``sources`` to
    ``path`` (its folders are made); returns ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cells = [nbformat.v4.new_code_cell(source) for source in sources]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    return path
