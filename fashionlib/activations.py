"""Activation units: element-wise non-linearities applied after each affine layer.

Every function takes a vector of shape ``(m,)`` (a list is converted) and
returns a float vector of the same shape.
"""

import numpy as np
import scipy.special


def as_vector(x):
    """Return ``x`` as a 1-D float array of shape ``(m,)``; reject other ranks."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(
            f"expected a vector of shape (m,), got an array of shape {x.shape}; "
            "flatten an image with .ravel() before passing it in"
        )
    return x


def relu(x):
    """Rectified linear unit ``max(0, x)``, element-wise: ``(m,) -> (m,)``."""
    return np.maximum(as_vector(x), 0.0)


def identity(x):
    """The identity map, returned as a new float vector: ``(m,) -> (m,)``."""
    return as_vector(x).copy()


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, element-wise: ``(m,) -> (m,)``.

    ``scipy.special.expit`` evaluates it without overflow for large ``|x|``.
    """
    return scipy.special.expit(as_vector(x))
