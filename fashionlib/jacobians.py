"""Jacobian matrices of every layer, built explicitly.

Defined for the chapter "Layer-wise Jacobians" (book/jacobians.md).

A Jacobian of a function from ``R^n`` to ``R^m`` has shape ``(m, n)``: row
``i`` holds the partial derivatives of output ``i``.  Element-wise
activations have diagonal Jacobians; the affine layer has a dense one with
respect to its input and a block-diagonal one with respect to its weights.

In the book's notation (book/notation.md): the ``x`` of ``d_relu_d_x``,
``d_identity_d_x`` and ``d_sigmoid_d_x`` is the activation's input, the
pre-activation i_k; the ``x`` of ``d_affine_d_W`` is the layer's input
x_{k-1}, and ``W`` is W_k, shape ``(m_k, m_{k-1} + 1)``.
"""

import numpy as np

from fashionlib.activations import as_vector, sigmoid
from fashionlib.layers import as_weights, homogeneous


def d_relu_d_x(x):
    """Jacobian of relu at ``x`` ``(m,)``: ``(m, m)``, diagonal ``x > 0``.

    The diagonal holds 1 where ``x > 0`` and 0 elsewhere, the kink included.
    """
    return np.diag((as_vector(x) > 0).astype(float))


def d_identity_d_x(x):
    """Jacobian of the identity at ``x``: the ``(m, m)`` identity matrix."""
    return np.eye(as_vector(x).size)


def d_sigmoid_d_x(x):
    """Jacobian of sigmoid at ``x`` ``(m,)``: ``(m, m)``, diagonal s (1 - s).

    Here ``s = sigmoid(x)``.
    """
    s = sigmoid(x)
    return np.diag(s * (1.0 - s))


def d_affine_d_x(W):
    """Jacobian of ``affine(x, W)`` with respect to ``x``: ``(m_out, m_in)``.

    It is ``W`` ``(m_out, m_in + 1)`` without its bias column (W bar).
    """
    return np.asarray(W, dtype=float)[:, :-1]


def d_affine_d_W(x, W):
    """Jacobian of ``affine(x, W)`` with respect to ``W``, flattened by rows.

    Shape ``(m_out, m_out * (m_in + 1))``: output ``i`` depends only on row
    ``i`` of ``W``, through ``[x; 1]``, so ``[x; 1]^T`` repeats along the
    block diagonal: the Kronecker product ``I_{m_out} (x) [x; 1]^T``.
    """
    m_out = as_weights(W, as_vector(x).size).shape[0]
    return np.kron(np.eye(m_out), homogeneous(x))
