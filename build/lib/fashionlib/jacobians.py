"""Jacobian matrices of every layer, built explicitly.

A Jacobian of a function from ``R^n`` to ``R^m`` has shape ``(m, n)``: row
``i`` holds the partial derivatives of output ``i``.  Element-wise
activations have diagonal Jacobians; the affine layer has a dense one with
respect to its input and a block-diagonal one with respect to its weights.
"""

import numpy as np

from fashionlib.activations import as_vector, sigmoid
from fashionlib.layers import homogeneous


def d_relu_d_x(x):
    """Jacobian of relu at ``x``: ``(m, m)`` diagonal with 1 where ``x > 0``, else 0."""
    return np.diag((as_vector(x) > 0).astype(float))


def d_identity_d_x(x):
    """Jacobian of the identity at ``x``: the ``(m, m)`` identity matrix."""
    return np.eye(as_vector(x).size)


def d_sigmoid_d_x(x):
    """Jacobian of sigmoid at ``x``: ``(m, m)`` diagonal ``s * (1 - s)`` with ``s = sigmoid(x)``."""
    s = sigmoid(x)
    return np.diag(s * (1.0 - s))


def d_affine_d_x(W):
    """Jacobian of ``affine(x, W)`` with respect to ``x``: ``W`` without its bias column, ``(m_out, m_in)``."""
    return np.asarray(W, dtype=float)[:, :-1]


def d_affine_d_W(x, W):
    """Jacobian of ``affine(x, W)`` with respect to ``W`` flattened row by row.

    Shape ``(m_out, m_out * (m_in + 1))``: output ``i`` depends only on row
    ``i`` of ``W``, through ``[x, 1]``, so ``[x, 1]`` repeats along the
    block diagonal, which is the Kronecker product ``I_{m_out} (x) [x, 1]``.
    """
    m_out = np.shape(W)[0]
    return np.kron(np.eye(m_out), homogeneous(x))
