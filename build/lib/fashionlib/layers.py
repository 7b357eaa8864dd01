"""A single neuron and an affine layer, both in homogeneous coordinates.

The bias is folded into the weights: an input ``x`` of shape ``(m,)`` is
extended by a constant 1 to ``(m + 1,)``, so that ``w @ [x, 1]`` is the
weighted sum plus bias.  A layer's weights ``W`` therefore have shape
``(m_out, m_in + 1)`` with the bias in the last column.
"""

import numpy as np

from fashionlib.activations import as_vector


def homogeneous(x):
    """Append a constant 1 to ``x``: ``(m,) -> (m + 1,)``."""
    return np.append(as_vector(x), 1.0)


def as_weights(W, m_in):
    """Return ``W`` as a float matrix of shape ``(m_out, m_in + 1)``, or raise."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[1] != m_in + 1:
        raise ValueError(
            f"weights of shape {W.shape} do not fit an input of length {m_in}: "
            f"expected (m_out, {m_in + 1}), one column per input plus the bias column"
        )
    return W


def neuron(x, w, h):
    """One neuron: ``h(w @ [x, 1])``.

    x: input vector ``(m,)``; w: weights ``(m + 1,)``, bias last;
    h: activation function.  Returns a scalar.
    """
    x_h = homogeneous(x)
    w = as_vector(w)
    if w.shape != x_h.shape:
        raise ValueError(
            f"a neuron with {x_h.size - 1} inputs needs {x_h.size} weights "
            f"(one per input plus the bias), got {w.size}"
        )
    return h(np.array([w @ x_h]))[0]


def affine(x, W):
    """Affine layer ``W @ [x, 1]``: ``(m_in,) -> (m_out,)`` with ``W`` of shape ``(m_out, m_in + 1)``."""
    x_h = homogeneous(x)
    return as_weights(W, x_h.size - 1) @ x_h
