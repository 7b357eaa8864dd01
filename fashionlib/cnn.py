"""Convolutional layers for the mini-batch engine.

Defined for the chapter "A convolutional network on Fashion-MNIST"
(book/cnn.md).

A network is a list of layer tokens, read left to right:

- ``conv32x3``: 32 output channels, 3 x 3 kernels, stride 1, "same"
  padding (``k // 2``); ``conv32x5p0s2`` sets the padding and the stride;
- ``pool2``: 2 x 2 max pooling with stride 2;
- ``dense128``: an affine layer with 128 outputs (flattens its input);
- ``relu``, ``sigmoid``, ``identity``: element-wise activations;
- ``dropout0.3``: inverted dropout while training;
- ``flip``: mirrors each image left-right with probability 1/2 while
  training (data augmentation); nothing at prediction time.

A batch of images travels channels last, ``(B, H, W, C)``; the rows
``(B, 784)`` that the engine's data are made of enter as ``(B, 28, 28, 1)``.
Every weight matrix keeps the book's layout ``W`` ``(m_out, m_in + 1)``
with the bias in the last column; a convolution's ``m_in`` is
``k k C_in``, its columns ordered ``(row, column, channel)`` of the kernel.
im2col turns a convolution into one matrix product: each output pixel's
``C_in k k`` input window becomes a row, and the rows times ``W.T`` are
the output pixels, channels last already.
"""

import re
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from fashionlib.activations import identity_array, relu_array, sigmoid_array
from fashionlib.backprop import backprop_relu_array, backprop_sigmoid_array
from fashionlib.network import he_matrix, make_rng, random_matrix

#: Activation token -> (forward, backward), element-wise.
ACTIVATIONS = {
    "relu": (relu_array, backprop_relu_array),
    "identity": (identity_array, lambda G, Z: G),
    "sigmoid": (sigmoid_array, backprop_sigmoid_array),
}

#: The side of the input images, and their channels.
IMAGE_SHAPE = (28, 28, 1)

#: How layer tokens are written, for error messages and the help.
TOKEN_SYNTAX = (
    "conv<C>x<k>[p<pad>][s<stride>], pool<p>, dense<m>, relu, sigmoid, "
    "identity, dropout<fraction>, flip"
)


@dataclass(frozen=True)
class Layer:
    """One parsed token: its kind and its numbers."""

    kind: str  # conv, pool, dense, activation, dropout, flip
    size: int = 0  # output channels or widths; pool size
    kernel: int = 0
    padding: int = 0
    stride: int = 1
    name: str = ""  # activation name
    rate: float = 0.0  # dropout

    @property
    def has_weights(self):
        """True for the layers that own a weight matrix."""
        return self.kind in ("conv", "dense")


_PATTERNS = {
    "conv": re.compile(r"conv(\d+)x(\d+)(?:p(\d+))?(?:s(\d+))?"),
    "pool": re.compile(r"pool(\d+)"),
    "dense": re.compile(r"dense(\d+)"),
    "dropout": re.compile(r"dropout(0?\.\d+|0)"),
}


def parse_token(token):
    """The :class:`Layer` of one token; ValueError for an unknown one."""
    if token in ACTIVATIONS:
        return Layer("activation", name=token)
    if token == "flip":
        return Layer("flip")
    for kind, pattern in _PATTERNS.items():
        match = pattern.fullmatch(token)
        if not match:
            continue
        if kind == "conv":
            channels, kernel, padding, stride = match.groups()
            kernel = int(kernel)
            return Layer(
                "conv",
                size=int(channels),
                kernel=kernel,
                padding=kernel // 2 if padding is None else int(padding),
                stride=1 if stride is None else int(stride),
            )
        if kind == "dropout":
            return Layer("dropout", rate=float(match.group(1)))
        return Layer(kind, size=int(match.group(1)))
    raise ValueError(
        f"unknown layer {token!r}: write layers as {TOKEN_SYNTAX}"
    )


def parse_layers(tokens, input_shape=IMAGE_SHAPE):
    """Parse ``tokens`` into Layers and check that their shapes chain.

    Returns ``(layers, shapes)``: ``shapes[i]`` is the input shape of
    ``layers[i]`` and ``shapes[-1]`` the output's, ``(H, W, C)`` or
    ``(m,)``.  Raises ValueError naming the first layer that cannot take
    its input.
    """
    layers = [parse_token(str(token)) for token in tokens]
    shapes = [tuple(input_shape)]
    for token, layer in zip(tokens, layers, strict=True):
        shapes.append(output_shape(layer, shapes[-1], token))
    if not any(layer.has_weights for layer in layers):
        raise ValueError(f"layers {list(tokens)} have no conv or dense layer")
    return layers, shapes


def output_shape(layer, shape, token):
    """The output shape of ``layer`` for input ``shape``."""
    if layer.kind == "dense":
        return (layer.size,)
    if layer.kind not in ("conv", "pool"):
        return shape
    if len(shape) != 3:
        raise ValueError(f"layer {token!r} needs images, got shape {shape}")
    height, width, _ = shape
    if layer.kind == "pool":
        if layer.size < 1 or height % layer.size or width % layer.size:
            raise ValueError(
                f"layer {token!r} cannot pool {height} x {width} images: "
                "choose a size that divides both"
            )
        return (height // layer.size, width // layer.size, shape[2])
    side = [
        (n + 2 * layer.padding - layer.kernel) // layer.stride + 1
        for n in (height, width)
    ]
    if min(side) < 1 or layer.size < 1 or layer.stride < 1:
        raise ValueError(
            f"layer {token!r} does not fit {height} x {width} images"
        )
    return (side[0], side[1], layer.size)


def fan_in(layer, shape):
    """Inputs per output of a conv or dense layer: ``C k k`` or ``m``."""
    if layer.kind == "conv":
        return shape[2] * layer.kernel**2
    return int(np.prod(shape))


def init_weights(tokens, seed=0, dtype=np.float32):
    """One weight matrix ``(m_out, fan_in + 1)`` per conv or dense layer.

    He initialisation where a relu follows, ``random_matrix`` otherwise;
    zero biases, as ``batch.init_weights``.
    """
    layers, shapes = parse_layers(tokens)
    rng, W_list = make_rng(seed), []
    for i, layer in enumerate(layers):
        if not layer.has_weights:
            continue
        after = layers[i + 1] if i + 1 < len(layers) else None
        relu_next = after is not None and after.name == "relu"
        draw = he_matrix if relu_next else random_matrix
        m_in = fan_in(layer, shapes[i])
        W = draw(layer.size, m_in, rng)
        W_list.append(np.hstack([W, np.zeros((layer.size, 1))]).astype(dtype))
    return W_list


def weight_shapes(tokens):
    """The shape ``(m_out, fan_in + 1)`` of each weight matrix."""
    layers, shapes = parse_layers(tokens)
    return [
        (layer.size, fan_in(layer, shape) + 1)
        for layer, shape in zip(layers, shapes, strict=False)
        if layer.has_weights
    ]


def count_parameters(tokens):
    """Number of weights and biases of the network ``tokens``."""
    return sum(m_out * m_in for m_out, m_in in weight_shapes(tokens))


def values_per_image(tokens):
    """Floats a training step keeps per image: each layer's output and its
    gradient, and each convolution's window matrix and its gradient."""
    layers, shapes = parse_layers(tokens)
    total = 0
    for layer, shape, out in zip(layers, shapes, shapes[1:], strict=False):
        total += 2 * int(np.prod(out))
        if layer.kind == "conv":
            total += 2 * out[0] * out[1] * fan_in(layer, shape)
    return total


def flops_per_image(tokens):
    """Multiply-adds times 2 of one image's forward pass (conv and dense)."""
    layers, shapes = parse_layers(tokens)
    total = 0
    for layer, shape_in, shape_out in zip(
        layers, shapes, shapes[1:], strict=False
    ):
        if layer.has_weights:
            total += 2 * fan_in(layer, shape_in) * int(np.prod(shape_out))
    return total


# --- convolution by im2col ---------------------------------------------------


def pad_images(X, padding):
    """Zero-pad ``(B, H, W, C)`` to ``(B, H + 2p, W + 2p, C)``."""
    if not padding:
        return X
    p = padding
    return np.pad(X, ((0, 0), (p, p), (p, p), (0, 0)))


def im2col(X, kernel, stride=1):
    """The window matrix of padded images ``(B, H, W, C)``.

    Returns ``(cols, (B, H_out, W_out))``; ``cols`` is
    ``(B H_out W_out, k k C)``: row ``(b, i, j)`` holds the window whose
    top-left corner is pixel ``(stride i, stride j)`` of image ``b``, in
    the order (kernel row, kernel column, channel).
    """
    windows = sliding_window_view(X, (kernel, kernel), axis=(1, 2))
    windows = windows[:, ::stride, ::stride]  # (B, H_out, W_out, C, k, k)
    B, H_out, W_out = windows.shape[:3]
    windows = windows.transpose(0, 1, 2, 4, 5, 3)  # channels innermost
    return windows.reshape(B * H_out * W_out, -1), (B, H_out, W_out)


def conv_forward(X, W, layer):
    """Convolution of ``X`` ``(B, H, W, C)`` by ``W`` ``(C', k k C + 1)``.

    Returns ``(Y (B, H', W', C'), cols)``; ``cols`` is the window matrix
    that the backward pass needs.
    """
    cols, (B, H_out, W_out) = im2col(
        pad_images(X, layer.padding), layer.kernel, layer.stride
    )
    Y = cols @ W[:, :-1].T
    Y += W[:, -1]
    return Y.reshape(B, H_out, W_out, -1), cols


def conv_backward(G, cols, W, input_shape, layer, need_input=True):
    """Gradients of a convolution from ``G`` ``(B, H', W', C')``.

    Returns ``(G_in, dW)``: ``G_in`` ``input_shape`` (None unless
    ``need_input``) scatters each window's gradient back onto the pixels
    it came from (col2im); ``dW = G.T [cols, 1]``, shaped like ``W``.
    """
    G_rows = G.reshape(-1, G.shape[-1])
    dW = np.empty_like(W)
    dW[:, :-1] = G_rows.T @ cols
    dW[:, -1] = G_rows.sum(axis=0)
    if not need_input:
        return None, dW
    B, H, W_in, C = input_shape
    k, s, p = layer.kernel, layer.stride, layer.padding
    H_out, W_out = G.shape[1:3]
    d_cols = (G_rows @ W[:, :-1]).reshape(B, H_out, W_out, k, k, C)
    G_pad = np.zeros((B, H + 2 * p, W_in + 2 * p, C), dtype=G.dtype)
    for u in range(k):
        for v in range(k):
            G_pad[:, u : u + s * H_out : s, v : v + s * W_out : s] += d_cols[
                :, :, :, u, v
            ]
    return G_pad[:, p : p + H, p : p + W_in], dW


# --- max pooling -----------------------------------------------------------


def pool_forward(X, size):
    """Max pooling ``(B, H, W, C) -> (B, H/size, W/size, C)``.

    Returns the output and ``(windows, output)`` for the backward pass;
    ``windows`` is ``X`` viewed as ``(B, H', size, W', size, C)``.
    """
    B, H, W, C = X.shape
    windows = X.reshape(B, H // size, size, W // size, size, C)
    Y = windows.max(axis=(2, 4))
    return Y, (windows, Y)


def pool_backward(G, saved):
    """Route ``G`` ``(B, H', W', C)`` to each window's first maximum (in
    reading order): ``(B, H' size, W' size, C)``, zero elsewhere, a
    subgradient where a window's maximum is tied."""
    windows, Y = saved
    G_in = np.zeros(windows.shape, dtype=G.dtype)
    taken = np.zeros(Y.shape, dtype=bool)
    for u in range(windows.shape[2]):
        for v in range(windows.shape[4]):
            first = (windows[:, :, u, :, v] == Y) & ~taken
            G_in[:, :, u, :, v] = G * first
            taken |= first
    B, H_out, size, W_out = windows.shape[:4]
    return G_in.reshape(B, H_out * size, W_out * size, -1)


# --- the network -----------------------------------------------------------


def dense_forward(X, W):
    """Affine layer on flattened rows: ``(B, ...) -> (B, m_out)``."""
    rows = X.reshape(len(X), -1)
    return rows @ W[:, :-1].T + W[:, -1], rows


def dense_backward(G, rows, W, input_shape, need_input=True):
    """``(G_in, dW)`` of :func:`dense_forward` from ``G`` ``(B, m_out)``."""
    dW = np.empty_like(W)
    dW[:, :-1] = G.T @ rows
    dW[:, -1] = G.sum(axis=0)
    G_in = (G @ W[:, :-1]).reshape(input_shape) if need_input else None
    return G_in, dW


def flip_forward(X, rng):
    """Mirror a random half of the images ``(B, H, W, C)`` left-right."""
    flips = rng.random(len(X)) < 0.5
    X = X.copy()
    X[flips] = X[flips, :, ::-1]
    return X


def forward(X, W_list, tokens, rng=None):
    """Forward pass of rows ``X`` ``(B, 784)``: ``(output, cache)``.

    With a Generator ``rng`` the network trains (dropout and flips act);
    without, it predicts.  ``cache`` holds what :func:`backward` needs.
    """
    layers, _ = parse_layers(tokens)
    X = X.reshape((len(X),) + IMAGE_SHAPE)
    cache, weights = [], iter(W_list)
    for layer in layers:
        X_in, saved = X, None
        if layer.kind == "conv":
            X, saved = conv_forward(X, next(weights), layer)
        elif layer.kind == "dense":
            X, saved = dense_forward(X, next(weights))
        elif layer.kind == "pool":
            X, saved = pool_forward(X, layer.size)
        elif layer.kind == "activation":
            X, saved = ACTIVATIONS[layer.name][0](X), X
        elif layer.kind == "dropout" and rng is not None and layer.rate:
            saved = (rng.random(X.shape) >= layer.rate).astype(X.dtype)
            saved /= X.dtype.type(1 - layer.rate)
            X = X * saved
        elif layer.kind == "flip" and rng is not None:
            X = flip_forward(X, rng)
        cache.append((X_in.shape, saved))
    return X, cache


def backward(G, cache, W_list, tokens):
    """Gradients for every ``W`` of ``W_list`` from ``G`` ``(B, m_L)``, the
    gradient of the loss with respect to the output; a list shaped like
    ``W_list``.  The first weighted layer's input gradient is not needed
    and not computed."""
    layers, _ = parse_layers(tokens)
    first = next(i for i, layer in enumerate(layers) if layer.has_weights)
    dW_list, w = [], len(W_list)
    for i in reversed(range(first, len(layers))):
        layer, (shape, saved) = layers[i], cache[i]
        if layer.kind == "conv":
            w -= 1
            G, dW = conv_backward(G, saved, W_list[w], shape, layer, i > first)
            dW_list.append(dW)
        elif layer.kind == "dense":
            w -= 1
            G, dW = dense_backward(G, saved, W_list[w], shape, i > first)
            dW_list.append(dW)
        elif layer.kind == "pool":
            G = pool_backward(G, saved)
        elif layer.kind == "activation":
            G = ACTIVATIONS[layer.name][1](G, saved)
        elif layer.kind == "dropout" and saved is not None:
            G = G * saved
    return dW_list[::-1]


#: Rows per chunk of :func:`predict_scores` (window matrices are large).
PREDICT_ROWS = 200


def predict_scores(X, W_list, tokens, batch_size=PREDICT_ROWS):
    """Network outputs ``(N, m_L)`` for rows ``X`` ``(N, 784)``, in chunks."""
    return np.concatenate(
        [
            forward(X[i : i + batch_size], W_list, tokens)[0]
            for i in range(0, len(X), batch_size)
        ]
    )
