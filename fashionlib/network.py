"""The forward pass of a fully connected network and its initialisation.

Defined for the chapters "Layers and the forward pass" (book/network.md) and
"Initialisation" (book/initialisation.md).

Notation of the book: layers ``k = 1, ..., L``; layer 0 is the input
``x_0`` of width ``m_0``.  Layer ``k`` computes the pre-activation
``i_k = W_k [x_{k-1}; 1]`` and its output ``x_k = h_k(i_k)``.  In the code,
``W_list[k - 1]`` is ``W_k`` (Python counts from 0) and the loop variable
``x`` holds ``x_{k-1}`` before a layer and ``x_k`` after it.
"""

import numpy as np

from fashionlib.layers import affine


def make_rng(seed=0):
    """A ``numpy.random.Generator``: ``seed`` is an int or a Generator.

    The global NumPy random state is never used or changed.
    """
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def nn(x, W_list, h_list):
    """Forward pass: ``x_0`` of shape ``(m_0,)`` through ``L`` layers.

    Returns ``x_L`` of shape ``(m_L,)``.  ``W_list[k - 1]`` is ``W_k``, of
    shape ``(m_k, m_{k-1} + 1)``; ``h_list[k - 1]`` is ``h_k``; layer ``k``
    computes ``x_k = h_k(affine(x_{k-1}, W_k))``.
    """
    if len(W_list) != len(h_list):
        raise ValueError(
            f"{len(W_list)} weight matrices but {len(h_list)} activation "
            "functions: give one activation per layer"
        )
    for W, h in zip(W_list, h_list, strict=True):
        x = h(affine(x, W))  # x: x_{k-1} before this line, x_k after it
    return x


def random_matrix(rows, columns, seed=0):
    """Weights uniform on ``[-a, a]``, ``a = sqrt(3 / columns)``.

    Shape ``(rows, columns)``, that is ``(m_k, m_{k-1})``: ``columns`` is
    the number of inputs of the layer.  For inputs whose mean square is 1
    each entry of ``W @ x`` then has variance 1 (Initialisation chapter).
    ``seed`` is an int or a Generator.
    """
    a = np.sqrt(3.0 / columns)
    return make_rng(seed).uniform(-a, a, size=(rows, columns))


def he_matrix(rows, columns, seed=0):
    """He initialisation: uniform on ``+-sqrt(6 / columns)``.

    Shape ``(rows, columns)``.  Variance ``2 / columns``, twice that of
    :func:`random_matrix`, which makes up for relu zeroing half of its
    inputs (He et al., 2015).
    """
    return np.sqrt(2.0) * random_matrix(rows, columns, seed)


def initialize_network(network_shape, seed=0):
    """Weights ``[W_1, ..., W_L]`` for the widths ``[m_0, ..., m_L]``.

    ``W_k`` has shape ``(m_k, m_{k-1} + 1)``: weights from
    :func:`random_matrix`, biases (last column) zero.  The same ``seed``
    gives the same network.
    """
    if len(network_shape) < 2 or any(int(m) < 1 for m in network_shape):
        raise ValueError(
            f"network_shape {list(network_shape)} must list at least two "
            "positive widths, e.g. [784, 50, 10]"
        )
    rng = make_rng(seed)
    return [
        np.hstack([random_matrix(m_out, m_in, rng), np.zeros((m_out, 1))])
        for m_in, m_out in zip(
            network_shape[:-1], network_shape[1:], strict=True
        )
    ]


def layer_spreads(X, matrices, h):
    """Spread of each layer's pre-activations ``i_k``, measured two ways.

    ``X``: the inputs ``x_0^(n)`` as rows, ``(N, m_0)``; ``matrices``:
    ``W_1, ..., W_L`` without bias column, ``(m_k, m_{k-1})`` each; ``h``:
    the activation of every layer, ``(m,) -> (m,)``.  Returns two lists of
    ``L`` floats: the *pooled* std of all ``N * m_k`` entries of ``i_k``,
    and the *per-neuron* spread, each neuron's std over the ``N`` inputs
    averaged over the ``m_k`` neurons.
    """
    pooled, per_neuron, x = [], [], X
    for W in matrices:
        i = x @ W.T  # row n is i_k^(n) = W_k x_{k-1}^(n)
        pooled.append(float(i.std()))
        per_neuron.append(float(i.std(axis=0).mean()))
        x = h(i.ravel()).reshape(i.shape)  # h takes vectors
    return pooled, per_neuron
