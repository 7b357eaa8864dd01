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
