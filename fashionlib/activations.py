"""Activation units: element-wise non-linearities after each affine layer.

Defined for the chapter "Activation units" (book/activations.md).

Every function takes a vector of shape ``(m,)`` (a list is converted) and
returns a float vector of the same shape.  The ``*_array`` twins hold the
element-wise formula itself and accept an array of any shape and float dtype
(the mini-batch engine of :mod:`fashionlib.batch` applies them to a batch
``(B, m)``); the vector functions check their input and call them.

In a network, layer ``k`` applies its activation ``h_k`` to the
pre-activation ``i_k`` and returns the layer's output ``x_k = h_k(i_k)``;
the argument called ``x`` here is that ``i_k``.
"""

import numpy as np


def as_vector(x):
    """``x`` as a 1-D float array of shape ``(m,)``; reject other ranks."""
    x = np.asarray(x, dtype=float)
    if x.ndim != 1:
        raise ValueError(
            "expected a vector of shape (m,), got an array of shape "
            f"{x.shape}; flatten an image with .ravel() before passing it in"
        )
    return x


def relu_array(Z):
    """``max(0, Z)`` element-wise, any shape; keeps the dtype of ``Z``."""
    return np.maximum(Z, Z.dtype.type(0))


def identity_array(Z):
    """A copy of ``Z``, any shape and dtype."""
    return np.array(Z)


def sigmoid_array(Z):
    """``1 / (1 + exp(-Z))`` element-wise, any shape.

    ``scipy.special.expit`` never overflows.
    """
    # imported here: SciPy takes longer to load than the whole package, and
    # most chapters never call a sigmoid
    import scipy.special

    return scipy.special.expit(Z)


def relu(x):
    """Rectified linear unit ``max(0, x)``, element-wise: ``(m,) -> (m,)``."""
    return relu_array(as_vector(x))


def identity(x):
    """The identity map, returned as a new float vector: ``(m,) -> (m,)``."""
    return identity_array(as_vector(x))


def sigmoid(x):
    """Logistic function ``1 / (1 + exp(-x))``, element-wise: ``(m,) -> (m,)``.

    ``scipy.special.expit`` evaluates it without overflow for large ``|x|``.
    """
    return sigmoid_array(as_vector(x))
