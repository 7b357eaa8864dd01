"""A single neuron and an affine layer, both in homogeneous coordinates.

Defined for the chapters "A single neuron" (book/neuron.md) and "Layers and
the forward pass" (book/network.md).

The bias is folded into the weights: an input ``x`` of shape ``(m,)`` is
extended by a constant 1 to ``x~ = [x; 1]`` of shape ``(m + 1,)``, so that
``w @ x~`` is the weighted sum plus bias.  A layer's weights ``W_k``
therefore have shape ``(m_k, m_{k-1} + 1)`` with the biases in the last
column.  In the code, ``x_h`` is ``x~``.
"""

import numpy as np

from fashionlib.activations import as_vector


def homogeneous(x):
    """The extended input ``x~ = [x; 1]``: ``(m,) -> (m + 1,)``."""
    return np.concatenate([as_vector(x), [1.0]])


def as_weights(W, m_in):
    """``W`` as a float matrix of shape ``(m_out, m_in + 1)``, or raise."""
    W = np.asarray(W, dtype=float)
    if W.ndim != 2 or W.shape[1] != m_in + 1:
        raise ValueError(
            f"weights of shape {W.shape} do not fit an input of length "
            f"{m_in}: expected (m_out, {m_in + 1}), one column per input "
            "plus the bias column"
        )
    return W


def neuron(x, w, h):
    """One neuron: ``h(w @ [x; 1])``.

    x: input vector ``(m,)``; w: weights ``(m + 1,)``, bias last;
    h: activation function ``(1,) -> (1,)``.  Returns a scalar.
    """
    x_h = homogeneous(x)  # x~
    w = as_vector(w)
    if w.shape != x_h.shape:
        raise ValueError(
            f"a neuron with {x_h.size - 1} inputs needs {x_h.size} weights "
            f"(one per input plus the bias), got {w.size}"
        )
    return h(np.array([w @ x_h]))[0]


def affine(x, W):
    """Affine layer ``W @ [x; 1]``: ``(m_in,) -> (m_out,)``.

    ``W`` has shape ``(m_out, m_in + 1)``, biases in the last column; in a
    network, ``affine(x_{k-1}, W_k)`` is the pre-activation ``i_k``.
    """
    x_h = homogeneous(x)  # x~
    return as_weights(W, x_h.size - 1) @ x_h


def neuron_loss_gradient(x, w, b, y, h, h_prime):
    """Gradient of ``f = (h(w x + b) - y)^2`` for scalars x, w, b, y.

    Returns the row ``[[df/dw, df/db, df/dx]]``, shape ``(1, 3)``.  ``h``
    maps a vector ``(1,)`` to ``(1,)``; ``h_prime(i)`` is its derivative at
    a scalar ``i``.
    """
    i = w * x + b  # the input of the activation
    delta = 2 * (h(np.array([i]))[0] - y) * h_prime(i)  # df/di
    return np.array([[delta * x, delta, delta * w]])
