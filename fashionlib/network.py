"""The forward pass of a fully connected network and its initialisation."""

import numpy as np

from fashionlib.layers import affine


def make_rng(seed=0):
    """Return a ``numpy.random.Generator``: ``seed`` is an int or already a Generator.

    The global NumPy random state is never used or changed.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def nn(x, W_list, h_list):
    """Forward pass: ``x`` of shape ``(m_0,)`` through ``n`` layers to ``(m_n,)``.

    Layer ``i`` computes ``h_list[i](affine(x, W_list[i]))`` with
    ``W_list[i]`` of shape ``(m_{i+1}, m_i + 1)``.
    """
    if len(W_list) != len(h_list):
        raise ValueError(
            f"{len(W_list)} weight matrices but {len(h_list)} activation functions: "
            "give one activation per layer"
        )
    for W, h in zip(W_list, h_list):
        x = h(affine(x, W))
    return x


def random_matrix(rows, columns, seed=0):
    """Weights uniform on ``[-a, a]`` with ``a = sqrt(3 / columns)``: shape ``(rows, columns)``.

    With inputs of variance 1, each output of ``W @ x`` then has variance 1
    (see the Initialisation chapter).  ``seed`` is an int or a Generator.
    """
    a = np.sqrt(3.0 / columns)
    return make_rng(seed).uniform(-a, a, size=(rows, columns))


def he_matrix(rows, columns, seed=0):
    """He initialisation: uniform on ``+-sqrt(6 / columns)``, shape ``(rows, columns)``.

    Variance ``2 / columns``, twice that of :func:`random_matrix`, which
    makes up for relu zeroing half of its inputs (He et al., 2015).
    """
    return np.sqrt(2.0) * random_matrix(rows, columns, seed)


def initialize_network(network_shape, seed=0):
    """Weights for layer widths ``[m_0, ..., m_n]``: a list of ``(m_i, m_{i-1} + 1)`` matrices.

    Weights come from :func:`random_matrix`, biases (last column) are zero.
    The same ``seed`` gives the same network.
    """
    if len(network_shape) < 2 or any(int(m) < 1 for m in network_shape):
        raise ValueError(
            f"network_shape {list(network_shape)} must list at least two positive widths, "
            "e.g. [784, 50, 10]"
        )
    rng = make_rng(seed)
    return [
        np.hstack([random_matrix(m_out, m_in, rng), np.zeros((m_out, 1))])
        for m_in, m_out in zip(network_shape[:-1], network_shape[1:])
    ]


def architecture(
    network_shape, hidden="relu", output="identity", seed=0, naive=False
):
    """The dict ``backprop_nn_W(x, label, **architecture)`` takes.

    For widths ``[m_0, ..., m_L]``: ``W_list`` from
    :func:`initialize_network` (``seed``), ``h_list`` with ``hidden`` on
    layers 1 to L-1 and ``output`` on layer L, ``back_h_list`` their
    backward functions.  Names: relu, identity or sigmoid.  ``naive=True``
    takes every backward function, the affine ones too, from the naive
    variants (explicit Jacobians).
    """
    # backprop imports this module (numerical_gradient_W runs nn), and the
    # forward pass comes first in the book: the backward functions are
    # looked up at call time, so loading stays one-way, backprop -> network
    from fashionlib import activations, backprop

    names = [hidden] * (len(network_shape) - 2) + [output]
    for name in names:
        if name not in ("relu", "identity", "sigmoid"):
            raise ValueError(
                f"unknown activation {name!r}: choose relu, identity or "
                "sigmoid"
            )
    table = backprop.NAIVE if naive else backprop.FAST
    result = {
        "W_list": initialize_network(network_shape, seed),
        "h_list": [getattr(activations, name) for name in names],
        "back_h_list": [table[name] for name in names],
    }
    if naive:
        result["backprop_affine_x"] = table["affine_x"]
        result["backprop_affine_W"] = table["affine_W"]
    return result
