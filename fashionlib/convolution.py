"""The per-sample 2-D convolution layer, its Jacobians, and max pooling.

Defined for the chapter "Convolution" (book/convolution.md).  In the
book's notation (book/notation.md) one image ``U`` has shape
``(C_in, n_h, n_w)`` (channels, rows, columns), a kernel ``K`` has shape
``(C_out, C_in, k, k)`` and the biases ``b`` shape ``(C_out,)``;
``V = conv2d(U, K, b)`` has shape ``(C_out, n_h', n_w')``.  A gradient of
the loss keeps the shape of its tensor: ``G`` is dE/dV, shaped like ``V``;
``.reshape(1, -1)`` gives the book's row.  A tensor is flattened row-major,
(channel, row, column), which the book writes vec(U).  The code's names
differ from three of the book's symbols: the kernel side ``k`` is F, the
``stride`` is t, and the book's images are square, n_h = n_w = H.

As in PyTorch's ``Conv2d``, "convolution" means the cross-correlation:
the kernel slides over the image without being flipped.  The mini-batch
engine's convolution (``fashionlib.cnn``) computes the same layer for a
batch of channels-last images; :func:`engine_weights` converts a kernel.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from fashionlib.network import random_matrix


def output_size(n, k, padding=0, stride=1):
    """Output side for a side of ``n`` pixels: ``(n + 2p - k) // s + 1``.

    ``k`` is the kernel side, ``padding`` ``p`` the zeros added on each
    side, ``stride`` ``s`` the step between windows.
    """
    if k < 1 or padding < 0 or stride < 1:
        raise ValueError(
            f"kernel {k}, padding {padding}, stride {stride}: need k >= 1, "
            "padding >= 0 and stride >= 1"
        )
    if n + 2 * padding < k:
        raise ValueError(
            f"a kernel of side {k} does not fit a side of {n} pixels padded "
            f"by {padding}: pad more or take a smaller kernel"
        )
    return (n + 2 * padding - k) // stride + 1


def as_image(U):
    """``U`` as a float array ``(C, n_h, n_w)``, or raise ValueError."""
    U = np.asarray(U, dtype=float)
    if U.ndim != 3:
        raise ValueError(
            f"an image must have shape (channels, rows, columns), got "
            f"{U.shape}: add a channel axis with U[None] for one channel"
        )
    return U


def conv_arguments(U, K, b):
    """``U``, ``K``, ``b`` as float arrays whose shapes fit, or raise."""
    U, K, b = as_image(U), np.asarray(K, dtype=float), np.asarray(b, float)
    if K.ndim != 4 or K.shape[1] != U.shape[0]:
        raise ValueError(
            f"kernel of shape {K.shape} does not fit an image with "
            f"{U.shape[0]} channels: expected (C_out, {U.shape[0]}, k, k)"
        )
    if b.shape != (K.shape[0],):
        raise ValueError(
            f"biases of shape {b.shape} do not fit {K.shape[0]} output "
            f"channels: expected ({K.shape[0]},)"
        )
    return U, K, b


def pad(U, padding):
    """``U`` ``(C, n_h, n_w)`` with ``padding`` zeros on every side."""
    p = padding
    return np.pad(as_image(U), ((0, 0), (p, p), (p, p)))


def window_matrix(U, kernel_shape, padding=0, stride=1):
    """Every window of ``U`` as a row: ``(n_h' n_w', C_in k_h k_w)``.

    Row ``i n_w' + j`` is the window of output pixel ``(i, j)`` (counting
    from 0) in the padded image, flattened (channel, row, column).
    """
    U = pad(U, padding)
    for n, k in zip(U.shape[1:], kernel_shape, strict=True):
        output_size(n, k, 0, stride)  # raises if the kernel does not fit
    # windows[q, i, j] is the k_h x k_w patch of channel q at (s i, s j)
    windows = sliding_window_view(U, kernel_shape, axis=(1, 2))
    windows = windows[:, ::stride, ::stride]
    rows, columns = windows.shape[1:3]
    return windows.transpose(1, 2, 0, 3, 4).reshape(rows * columns, -1)


def conv2d(U, K, b, padding=0, stride=1):
    """The convolution layer: ``(C_in, n_h, n_w) -> (C_out, n_h', n_w')``.

    ``V[o, i, j] = b[o] + sum(K[o] * window (i, j) of the padded U)``:
    kernel ``K`` ``(C_out, C_in, k, k)``, biases ``b`` ``(C_out,)``.
    """
    U, K, b = conv_arguments(U, K, b)
    C_out, _, k_h, k_w = K.shape
    rows = output_size(U.shape[1], k_h, padding, stride)
    M = window_matrix(U, (k_h, k_w), padding, stride)  # one row per pixel
    V = M @ K.reshape(C_out, -1).T + b  # (n_h' n_w', C_out)
    return V.T.reshape(C_out, rows, -1)


# --- the convolution as an affine map ---------------------------------------


def conv_matrix(K, input_shape, padding=0, stride=1):
    """The matrix T with ``vec(conv2d(U, K, 0)) = T vec(U)``.

    Shape ``(C_out n_h' n_w', C_in n_h n_w)`` for ``input_shape``
    ``(C_in, n_h, n_w)``.  Built entry by entry from the definition: row
    (o, i, j), column (q, r, c) holds ``K[o, q, u, v]`` where pixel (r, c)
    sits at (u, v) in the window of output pixel (i, j); zeros elsewhere.
    It is the Jacobian of ``conv2d`` with respect to ``U``.
    """
    K = np.asarray(K, dtype=float)
    C_out, C_in, k = K.shape[:3]
    _, n_h, n_w = input_shape
    rows = output_size(n_h, k, padding, stride)
    columns = output_size(n_w, k, padding, stride)
    T = np.zeros((C_out, rows, columns, C_in, n_h, n_w))
    for i in range(rows):
        for j in range(columns):
            for u in range(k):
                for v in range(k):
                    r = i * stride + u - padding  # the pixel under K[.., u, v]
                    c = j * stride + v - padding
                    if 0 <= r < n_h and 0 <= c < n_w:
                        T[:, i, j, :, r, c] = K[:, :, u, v]
    return T.reshape(C_out * rows * columns, C_in * n_h * n_w)


def conv_weights(K, b, input_shape, padding=0, stride=1):
    """The layer as the book's affine weights ``[T, b repeated]``.

    Shape ``(C_out n_h' n_w', C_in n_h n_w + 1)``, bias column last, so
    that ``affine(vec(U), W) == vec(conv2d(U, K, b))``.
    """
    T = conv_matrix(K, input_shape, padding, stride)
    pixels = T.shape[0] // len(b)
    return np.hstack([T, np.repeat(np.asarray(b, float), pixels)[:, None]])


def d_conv2d_d_K(U, K, padding=0, stride=1):
    """Jacobian of ``vec(conv2d(U, K, b))`` with respect to ``vec(K)``.

    Shape ``(C_out n_h' n_w', C_out C_in k k)``: output channel ``o``
    depends only on ``K[o]``, through the window matrix M of ``U``, so
    ``I_{C_out} (x) M``, as the affine layer's ``I (x) [x; 1]^T``.
    """
    K = np.asarray(K, dtype=float)
    M = window_matrix(U, K.shape[2:], padding, stride)
    return np.kron(np.eye(K.shape[0]), M)


# --- backpropagation --------------------------------------------------------


def dilate(G, stride):
    """``G`` ``(C, a, b)`` with ``stride - 1`` zeros between its entries.

    Shape ``(C, s (a - 1) + 1, s (b - 1) + 1)``.
    """
    C, a, b = G.shape
    D = np.zeros((C, stride * (a - 1) + 1, stride * (b - 1) + 1))
    D[:, ::stride, ::stride] = G
    return D


def backprop_conv2d_U(G, K, input_shape, padding=0, stride=1):
    """dE/dU of ``conv2d``: the "full" correlation of G with flipped K.

    ``G`` ``(C_out, n_h', n_w')`` is dE/dV; returns ``input_shape``
    ``(C_in, n_h, n_w)``.  A stride spreads G out first (zeros between
    its entries); the pixels of the padding are cut off at the end.
    """
    G, K = np.asarray(G, dtype=float), np.asarray(K, dtype=float)
    C_in, n_h, n_w = input_shape
    k = K.shape[-1]
    K_flipped = K[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)  # (C_in, C_out)
    full = conv2d(dilate(G, stride), K_flipped, np.zeros(C_in), k - 1)
    G_U = np.zeros((C_in, n_h + 2 * padding, n_w + 2 * padding))
    G_U[:, : full.shape[1], : full.shape[2]] = full  # rest: no window
    return G_U[:, padding : padding + n_h, padding : padding + n_w]


def backprop_conv2d_K(G, U, K, padding=0, stride=1):
    """dE/dK of ``conv2d``: the correlation of the input with G.

    ``G`` ``(C_out, n_h', n_w')`` is dE/dV, ``U`` the input; returns the
    shape of ``K``: ``dK[o, q]`` is the padded ``U[q]`` correlated with
    ``G[o]`` (spread out by the stride), its first k x k entries.
    """
    G, K = np.asarray(G, dtype=float), np.asarray(K, dtype=float)
    U, D = pad(U, padding), dilate(G, stride)
    C_out, C_in, k, _ = K.shape
    kernel = D[:, None]  # (C_out, 1, ., .): G[o] slides over one channel
    dK = [conv2d(U[q : q + 1], kernel, np.zeros(C_out)) for q in range(C_in)]
    return np.stack(dK, axis=1)[:, :, :k, :k]


def backprop_conv2d_b(G):
    """dE/db of ``conv2d``: ``G`` ``(C_out, n_h', n_w')`` summed per channel.

    Returns ``(C_out,)``.
    """
    return np.asarray(G, dtype=float).sum(axis=(1, 2))


# --- max pooling ------------------------------------------------------------


def pool_blocks(U, size):
    """``U`` ``(C, n_h, n_w)`` cut into ``size`` x ``size`` blocks.

    Returns ``(C, n_h / size, n_w / size, size * size)``, each block
    flattened row by row; ValueError unless ``size`` divides both sides.
    """
    U = as_image(U)
    C, n_h, n_w = U.shape
    if size < 1 or n_h % size or n_w % size:
        raise ValueError(
            f"cannot pool a {n_h} x {n_w} image in blocks of {size}: "
            "choose a size that divides both sides"
        )
    blocks = U.reshape(C, n_h // size, size, n_w // size, size)
    return blocks.transpose(0, 1, 3, 2, 4).reshape(
        C, n_h // size, n_w // size, size * size
    )


def max_pool(U, size=2):
    """Max pooling: the largest entry of each ``size`` x ``size`` block.

    ``(C, n_h, n_w) -> (C, n_h / size, n_w / size)``.
    """
    return pool_blocks(U, size).max(axis=-1)


def pool_choices(U, size=2):
    """For each output of ``max_pool``, the flat index of its input.

    Shape ``(C n_h/size n_w/size,)``, indices into ``vec(U)``; at a tie,
    the first maximum of the block (row by row).
    """
    U = as_image(U)
    first = pool_blocks(U, size).argmax(axis=-1)  # first maximum at ties
    du, dv = np.divmod(first, size)
    c, i, j = np.indices(first.shape)
    position = (c, i * size + du, j * size + dv)
    return np.ravel_multi_index(position, U.shape).ravel()


def d_max_pool_d_U(U, size=2):
    """Jacobian of ``vec(max_pool(U))``: a selection matrix S.

    Shape ``(C n_h n_w / size^2, C n_h n_w)``: row ``l`` has one 1, in the
    column of the entry output ``l`` takes, and zeros elsewhere.
    """
    choices = pool_choices(U, size)
    S = np.zeros((choices.size, np.size(U)))
    S[np.arange(choices.size), choices] = 1.0
    return S


def backprop_max_pool(G, U, size=2):
    """dE/dU of ``max_pool``: each entry of G goes to its block's maximum.

    ``G`` ``(C, n_h / size, n_w / size)`` is dE/d(output), ``U`` the input
    ``(C, n_h, n_w)``; returns U's shape, zeros off the maxima.
    """
    U = as_image(U)
    G_U = np.zeros(U.size)
    G_U[pool_choices(U, size)] = np.ravel(G)  # the blocks do not overlap
    return G_U.reshape(U.shape)


# --- initialisation, and the link to the mini-batch engine ------------------


def conv_kernel(C_out, C_in, k, seed=0, draw=random_matrix):
    """A kernel ``(C_out, C_in, k, k)`` drawn like a layer with fan-in
    ``C_in k k``.

    ``draw(rows, columns, seed)`` is :func:`fashionlib.network.random_matrix`
    (uniform on +-sqrt(3 / fan-in)) or ``he_matrix``.
    """
    return draw(C_out, C_in * k * k, seed).reshape(C_out, C_in, k, k)


def conv_spreads(images, kernels, h, padding=0):
    """Pooled std of each convolution layer's pre-activations.

    ``images``: ``(N, C_0, n, n)``; ``kernels``: one ``(C_k, C_{k-1}, k,
    k)`` per layer, zero biases, stride 1; ``h``: the activation, ``(m,)
    -> (m,)``.  Returns a list of floats, one per layer: the std of all
    entries of its output ``V`` over the ``N`` images.
    """
    spreads, X = [], list(images)
    for K in kernels:
        b = np.zeros(len(K))
        V = np.stack([conv2d(U, K, b, padding) for U in X])
        spreads.append(float(V.std()))
        X = [h(v.ravel()).reshape(v.shape) for v in V]
    return spreads


def engine_weights(K, b):
    """``K``, ``b`` as a weight matrix of ``fashionlib.cnn``.

    Shape ``(C_out, k k C_in + 1)``: columns ordered (kernel row, kernel
    column, channel), the bias last, for channels-last images.
    """
    K = np.asarray(K, dtype=float)
    columns = K.transpose(0, 2, 3, 1).reshape(len(K), -1)
    return np.hstack([columns, np.asarray(b, dtype=float)[:, None]])
