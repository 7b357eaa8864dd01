"""Backpropagation: pushing the loss gradient back through each layer.

Defined for the chapter "Backpropagation" (book/backprop.md).

Every ``backprop_*`` function takes the upstream gradient ``Jx_E``, a row of
shape ``(1, m_out)`` holding dE/d(output), and returns the downstream row
dE/d(input).  The activations' functions take the layer's pre-activation
``x`` (the affine output), as the network stores it in its forward pass.

The homework's names are kept; in the book's notation (book/notation.md),
for layer k: ``backprop_relu_x(Jx_E, x)`` maps the row g_k = dE/dx_k
(``Jx_E``) at the pre-activation i_k (``x``) to the error row
delta_k = dE/di_k; ``backprop_affine_x(Jx_E, W)`` maps delta_k to
g_{k-1} = delta_k W_bar_k; ``backprop_affine_W(Jx_E, x, W)`` gives
dE/dW_k = delta_k^T [x_{k-1}; 1]^T, with ``x`` = x_{k-1} and ``W`` = W_k.

Two variants compute the same numbers:

* naive (``*_naive``): build the layer's Jacobian and multiply by it;
* fast (no suffix): use the Jacobian's structure and never build it.
  A diagonal Jacobian becomes an element-wise product, the affine-x
  Jacobian a slice of ``W``, the Kronecker affine-W Jacobian an outer product.
"""

import numpy as np

from fashionlib import _validate, activations
from fashionlib.activations import as_vector, sigmoid_array
from fashionlib.jacobians import (
    d_affine_d_W,
    d_affine_d_x,
    d_identity_d_x,
    d_relu_d_x,
    d_sigmoid_d_x,
)
from fashionlib.layers import affine, homogeneous
from fashionlib.loss import d_l2_d_x, l2
from fashionlib.network import initialize_network, nn

# --- naive: multiply by the explicit Jacobian --------------------------------


def backprop_relu_x_naive(Jx_E, x):
    """dE/d(input) of relu at pre-activation ``x``: ``(1, m) -> (1, m)``.

    Multiplies by the ``(m, m)`` Jacobian of
    :func:`fashionlib.jacobians.d_relu_d_x`.
    """
    return Jx_E @ d_relu_d_x(x)


def backprop_identity_x_naive(Jx_E, x):
    """dE/d(input) of the identity: ``(1, m) @ (m, m) -> (1, m)``."""
    return Jx_E @ d_identity_d_x(x)


def backprop_sigmoid_x_naive(Jx_E, x):
    """dE/d(input) of sigmoid at pre-activation ``x``: ``(1, m) -> (1, m)``.

    Multiplies by the ``(m, m)`` Jacobian of
    :func:`fashionlib.jacobians.d_sigmoid_d_x`.
    """
    return Jx_E @ d_sigmoid_d_x(x)


def backprop_affine_x_naive(Jx_E, W):
    """dE/dx of ``affine(x, W)``: ``(1, m_out) @ (m_out, m_in)``.

    Returns the row ``(1, m_in)``.
    """
    return Jx_E @ d_affine_d_x(W)


def backprop_affine_W_naive(Jx_E, x, W):
    """dE/dW of ``affine(x, W)``, W flattened row by row.

    ``(1, m_out) @ (m_out, m_out (m_in + 1))``: a row of length
    ``m_out (m_in + 1)``.
    """
    return Jx_E @ d_affine_d_W(x, W)


# --- fast: exploit the structure, build no Jacobian ------------------------


def backprop_relu_array(G, Z):
    """dE/d(input) of relu for any shape (a batch ``(B, m)`` too).

    ``G`` where the pre-activation ``Z > 0``, else 0; the shape of ``G``.
    """
    return G * (Z > 0)


def backprop_sigmoid_array(G, Z):
    """dE/d(input) of sigmoid for any shape: ``G * s (1 - s)``.

    Here ``s = sigmoid(Z)`` of the pre-activation ``Z``.
    """
    s = sigmoid_array(Z)
    return G * (s * (1 - s))


def backprop_relu_x(Jx_E, x):
    """dE/d(input) of relu: the gradient where ``x > 0``, else 0.

    ``Jx_E`` ``(1, m)`` is g_k, ``x`` ``(m,)`` the pre-activation i_k;
    returns the error row delta_k ``(1, m)``.
    """
    return backprop_relu_array(Jx_E, as_vector(x))


def backprop_identity_x(Jx_E, x):
    """dE/d(input) of the identity: the gradient unchanged (a copy).

    ``(1, m) -> (1, m)``; ``x`` (the pre-activation) is not needed.
    """
    return np.array(Jx_E, dtype=float)


def backprop_sigmoid_x(Jx_E, x):
    """dE/d(input) of sigmoid: times ``s (1 - s)`` element-wise.

    ``(1, m) -> (1, m)``, with ``s = sigmoid(x)`` of the pre-activation.
    """
    return backprop_sigmoid_array(Jx_E, as_vector(x))


def backprop_affine_x(Jx_E, W):
    """dE/dx of ``affine(x, W)``: times ``W`` without its bias column.

    ``(1, m_out) -> (1, m_in)``; a batch of rows ``(B, m_out)`` gives
    ``(B, m_in)``, one row per sample.
    """
    return Jx_E @ np.asarray(W)[:, :-1]


def backprop_affine_W(Jx_E, x, W):
    """dE/dW of ``affine(x, W)``: the outer product of ``Jx_E`` and [x; 1].

    Returns ``(m_out, m_in + 1)``, the shape of ``W``; ``.reshape(1, -1)``
    gives the row that the naive variant returns.
    """
    return np.asarray(Jx_E).reshape(-1, 1) * homogeneous(x).reshape(1, -1)


#: Naive backprop functions (explicit Jacobian products), by layer kind.
NAIVE = {
    "relu": backprop_relu_x_naive,
    "identity": backprop_identity_x_naive,
    "sigmoid": backprop_sigmoid_x_naive,
    "affine_x": backprop_affine_x_naive,
    "affine_W": backprop_affine_W_naive,
}
#: Fast backprop functions (exploit each Jacobian's structure), by layer kind.
FAST = {
    "relu": backprop_relu_x,
    "identity": backprop_identity_x,
    "sigmoid": backprop_sigmoid_x,
    "affine_x": backprop_affine_x,
    "affine_W": backprop_affine_W,
}


def architecture(
    network_shape, hidden="relu", output="identity", seed=0, naive=False
):
    """The dict ``backprop_nn_W(x, label, **architecture)`` takes.

    For widths ``[m_0, ..., m_L]``: ``W_list`` from
    :func:`~fashionlib.network.initialize_network` (``seed``), ``h_list``
    with ``hidden`` on layers 1 to L-1 and ``output`` on layer L,
    ``back_h_list`` their backward functions.  Names: relu, identity or
    sigmoid.  ``naive=True`` takes every backward function, the affine ones
    too, from the naive variants (explicit Jacobians).
    """
    names = [hidden] * (len(network_shape) - 2) + [output]
    for name in names:
        if name not in ("relu", "identity", "sigmoid"):
            raise ValueError(
                f"unknown activation {name!r}: choose relu, identity or "
                "sigmoid"
            )
    table = NAIVE if naive else FAST
    result = {
        "W_list": initialize_network(network_shape, seed),
        "h_list": [getattr(activations, name) for name in names],
        "back_h_list": [table[name] for name in names],
    }
    if naive:
        result["backprop_affine_x"] = table["affine_x"]
        result["backprop_affine_W"] = table["affine_W"]
    return result


# --- the whole network -----------------------------------------------------


def backprop_nn_W(
    x,
    label,
    W_list,
    h_list,
    back_h_list,
    backprop_affine_x=backprop_affine_x,
    backprop_affine_W=backprop_affine_W,
):
    """Gradient of ``l2(nn(x), label)`` with respect to every weight matrix.

    x: input ``(m_0,)``; label: target ``(m_L,)`` (a scalar for one
    output).  Returns a list of rows, one per layer k = 1, ..., L, of shape
    ``(1, m_k * (m_{k-1} + 1))``; ``row.reshape(W.shape)`` gives the
    gradient in the layout of ``W``.  The affine propagation functions can
    be swapped for the naive ones.  The comments (a) to (d) name the parts
    of the backpropagation theorem of the book's chapter.
    """
    _validate.matching_lengths(
        W_list=W_list, h_list=h_list, back_h_list=back_h_list
    )
    # forward pass, k = 1, ..., L
    x_in_list, Wx_list = [], []
    for W, h in zip(W_list, h_list, strict=True):
        x_in_list.append(x)  # x_{k-1}
        Wx_list.append(affine(x, W))  # i_k = W_k [x_{k-1}; 1]
        x = h(Wx_list[-1])  # x_k = h_k(i_k); at the end x_L

    # (a) g_L = 2 (x_L - y)^T
    Jx_E = d_l2_d_x(x, label)

    # backward pass, k = L, ..., 1: x_in = x_{k-1}, Wx = i_k, W = W_k
    layers = zip(x_in_list, Wx_list, W_list, back_h_list, strict=True)
    JW_E_list = []
    for x_in, Wx, W, back_h in reversed(list(layers)):
        # (b) delta_k = g_k * h_k'(i_k)^T
        Jx_E = back_h(Jx_E, Wx)
        # (d) dE/dW_k = delta_k^T [x_{k-1}; 1]^T, flattened to a row
        JW_E_list.append(backprop_affine_W(Jx_E, x_in, W).reshape(1, -1))
        # (c) g_{k-1} = delta_k W_bar_k
        Jx_E = backprop_affine_x(Jx_E, W)
    return JW_E_list[::-1]  # dE/dW_1, ..., dE/dW_L


# --- numerical gradients for checking ----------------------------------------


def numerical_jacobian(f, x, eps=1e-6):
    """Centred-difference Jacobian of ``f`` at ``x``.

    Shape ``(f(x).size, x.size)``.

    ``x`` may have any shape (it is perturbed one entry at a time, in
    row-major order); a scalar ``f`` gives the gradient row ``(1, x.size)``.
    """
    x = np.array(x, dtype=float)
    flat = x.reshape(-1)
    columns = []
    for j in range(flat.size):
        saved = flat[j]
        flat[j] = saved + eps
        f_plus = np.atleast_1d(np.asarray(f(x), dtype=float)).reshape(-1)
        flat[j] = saved - eps
        f_minus = np.atleast_1d(np.asarray(f(x), dtype=float)).reshape(-1)
        flat[j] = saved
        columns.append((f_plus - f_minus) / (2.0 * eps))
    return np.stack(columns, axis=1)


def relative_error(analytic, numeric):
    """``||a - n|| / (||a|| + ||n||)`` over all entries: a float.

    It is 0 when both are zero.  Raises ValueError for shapes that differ
    and for a nan or inf entry, naming the argument that holds it.
    """
    a, n = np.asarray(analytic, dtype=float), np.asarray(numeric, dtype=float)
    if a.shape != n.shape:
        raise ValueError(
            f"cannot compare gradients of shapes {a.shape} and {n.shape}"
        )
    for name, values in (("analytic", a), ("numeric", n)):
        bad = np.size(values) - np.count_nonzero(np.isfinite(values))
        if bad:
            raise ValueError(
                f"the {name} gradient holds {bad} nan or inf entries: "
                "a relative error needs finite numbers"
            )
    scale = np.linalg.norm(a) + np.linalg.norm(n)
    return float(np.linalg.norm(a - n) / scale) if scale > 0 else 0.0


def numerical_gradient_W(x, label, W_list, h_list, **_):
    """Centred-difference gradient of ``l2(nn(x), label)`` for each ``W``.

    Rows ``(1, W.size)`` like those of :func:`backprop_nn_W`.
    """

    def loss_with(i, W_i):
        return l2(nn(x, W_list[:i] + [W_i] + W_list[i + 1 :], h_list), label)

    return [
        numerical_jacobian(lambda W_i, i=i: loss_with(i, W_i), W)
        for i, W in enumerate(W_list)
    ]
