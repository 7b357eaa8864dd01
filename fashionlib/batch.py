"""The mini-batch engine: the per-sample network, vectorised over a batch.

Defined for the chapter "Beyond the homework: mini-batches, cross-entropy
and 90 %" (book/beyond.md).

A batch is a matrix ``X`` of shape ``(B, m)``, one sample per row.  Weights
keep the per-sample layout ``W`` ``(m_out, m_in + 1)`` with the bias in the
last column; a batch gets a column of ones (homogeneous coordinates, as in
``layers.homogeneous``), so that
``affine_batch(homogeneous_batch(X), W)[b] == affine(X[b], W)``.
Activations and their backward functions are the ``*_array`` twins of the
per-sample ones; ``backprop_affine_x`` is shared as it is.  Gradients are
means over the batch, so a batch of one gives the per-sample gradient.

Data: :func:`fit` takes ``(X (N, m_0), y int (N,))``;
:func:`design_matrix` makes it from a dataset of ``data.load``, as
``data.prepare_regression`` and ``data.prepare_classification`` make the
per-sample form ``{"images", "labels"}`` that ``training.train`` takes.
"""

import hashlib
import io
import json
import math
import os
import resource
import time
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fashionlib import _validate, cnn
from fashionlib._files import atomic_files, sweep
from fashionlib._npz import read_npz
from fashionlib.backprop import backprop_affine_x
from fashionlib.data import NUM_CLASSES, one_hot, whiten
from fashionlib.network import he_matrix, make_rng, random_matrix

#: Activation name -> (forward, backward), element-wise on arrays of any
#: shape; the CNN's layers use the same table.
ACTIVATIONS = cnn.ACTIVATIONS


# --- data ------------------------------------------------------------------


def design_matrix(dataset, mean, std, dtype=np.float32):
    """Whitened images as rows ``X`` ``(N, 784)``, labels ``y`` ``(N,)``."""
    images = np.asarray(dataset["images"])
    X = whiten(images.reshape(len(images), -1), mean, std, dtype)
    return X, np.asarray(dataset["labels"], dtype=int)


# --- layers and network ----------------------------------------------------


def homogeneous_batch(X):
    """Append a column of ones: ``(B, m) -> (B, m + 1)``, one ``homogeneous``
    per row."""
    X_h = np.empty((len(X), X.shape[1] + 1), dtype=X.dtype)
    X_h[:, :-1] = X
    X_h[:, -1] = 1
    return X_h


def affine_batch(X_h, W):
    """Affine layer on a homogeneous batch: ``(B, m_in + 1) -> (B, m_out)``.

    ``X_h @ W.T``: row ``b`` equals ``affine(X_h[b, :-1], W)``, the ones
    column multiplies the bias.
    """
    if X_h.ndim != 2 or W.shape[1] != X_h.shape[1]:
        raise ValueError(
            f"a homogeneous batch of shape {X_h.shape} does not fit weights "
            f"of shape {W.shape}: expected (B, {W.shape[1]}), the inputs "
            "plus a column of ones"
        )
    return X_h @ W.T


def backprop_affine_W_batch(G, X_h):
    """dE/dW of ``affine_batch(X_h, W)`` summed over the batch: ``G.T @ X_h``.

    ``G`` ``(B, m_out)`` is the upstream gradient; the sum of the
    per-sample outer products ``G[b] [x_b; 1]`` is one matrix product, of
    shape ``(m_out, m_in + 1)``.
    """
    return G.T @ X_h


def init_weights(network_shape, activations, seed=0, dtype=np.float32):
    """Weights for widths ``[m_0, ..., m_L]``, zero biases.

    He initialisation for relu layers,
    :func:`~fashionlib.network.random_matrix` for the others.
    """
    rng = make_rng(seed)
    W_list = []
    for m_in, m_out, name in zip(
        network_shape[:-1], network_shape[1:], activations, strict=True
    ):
        draw = he_matrix if name == "relu" else random_matrix
        W_list.append(
            np.hstack([draw(m_out, m_in, rng), np.zeros((m_out, 1))]).astype(
                dtype
            )
        )
    return W_list


def check_architecture(network_shape, activations):
    """Raise ValueError unless each layer has one known activation."""
    if len(network_shape) < 2 or len(activations) != len(network_shape) - 1:
        raise ValueError(
            f"{len(network_shape) - 1} layers in {list(network_shape)} need "
            f"as many activations, got {list(activations)}"
        )
    unknown = [name for name in activations if name not in ACTIVATIONS]
    if unknown:
        raise ValueError(
            f"unknown activation(s) {unknown}: choose from "
            f"{', '.join(ACTIVATIONS)}"
        )


def forward_batch(X, W_list, activations, dropout=0.0, rng=None):
    """Forward pass of a batch ``(B, m_0) -> (B, m_L)``, with a cache.

    Returns ``(output, cache)``; ``cache[i]`` is the homogeneous input, the
    pre-activation and the dropout mask of layer ``i + 1``.  With
    ``dropout`` > 0 and a Generator ``rng``, each hidden output is zeroed
    with probability ``dropout`` and the rest scaled by
    ``1 / (1 - dropout)`` (inverted dropout: nothing changes at prediction
    time); the mask is None otherwise.
    """
    cache = []
    for i, (W, name) in enumerate(zip(W_list, activations, strict=True)):
        X_h = homogeneous_batch(X)
        Z = affine_batch(X_h, W)
        A, mask = ACTIVATIONS[name][0](Z), None
        if dropout > 0 and rng is not None and i < len(W_list) - 1:
            mask = (rng.random(A.shape, dtype=np.float32) >= dropout).astype(
                A.dtype
            ) / A.dtype.type(1 - dropout)
            A *= mask
        cache.append((X_h, Z, mask))
        X = A
    return X, cache


def backprop_batch_W(G, cache, W_list, activations):
    """Gradients of the batch loss for every ``W`` from ``G`` ``(B, m_L)``.

    ``G`` is the gradient with respect to the output.  Walks the layers
    backwards like :func:`fashionlib.backprop.backprop_nn_W`, with no
    Jacobian built: returns the list ``dW_list`` of matrices shaped like
    ``W_list``.  ``G`` holds the rows g_k, ``D`` the error rows delta_k.
    """
    dW_list = []
    for i in reversed(range(len(W_list))):
        X_h, Z, mask = cache[i]
        if mask is not None:
            G = G * mask
        D = ACTIVATIONS[activations[i]][1](G, Z)
        dW_list.append(backprop_affine_W_batch(D, X_h))
        if i > 0:
            G = backprop_affine_x(D, W_list[i])
    return dW_list[::-1]


# --- losses: mean over the batch of the per-sample loss --------------------


def targets(
    labels, num_classes=NUM_CLASSES, label_smoothing=0.0, dtype=np.float32
):
    """Target rows ``(B, K)``: one-hot, mixed with the uniform ``1/K``.

    ``label_smoothing`` is the weight of the uniform part.
    """
    T = one_hot(labels, num_classes).astype(dtype)
    return (
        T * dtype(1 - label_smoothing) + dtype(label_smoothing / num_classes)
        if label_smoothing
        else T
    )


def log_sum_exp(Z):
    """``log sum_k exp(Z[b, k])`` per row, ``(B, K) -> (B, 1)``.

    Shifted by the row maximum, so that no ``exp`` overflows.
    """
    Z_max = Z.max(axis=1, keepdims=True)
    return Z_max + np.log(np.exp(Z - Z_max).sum(axis=1, keepdims=True))


def softmax(Z):
    """Row-wise softmax ``(B, K) -> (B, K)``: positive rows summing to 1."""
    return np.exp(Z - log_sum_exp(Z))


def cross_entropy(Z, T):
    """Mean over rows of ``-sum_k T[b, k] log softmax(Z)[b, k]``: a float.

    Scores ``Z`` and targets ``T`` are ``(B, K)``.  Each target row sums
    to 1, so the row's loss is ``log_sum_exp(Z) - T . Z``.
    """
    return float(np.mean(log_sum_exp(Z)[:, 0] - np.sum(T * Z, axis=1)))


def d_cross_entropy_d_Z(Z, T):
    """Gradient of :func:`cross_entropy`: ``(softmax(Z) - T) / B``."""
    return (softmax(Z) - T) / Z.dtype.type(len(Z))


def l2_batch(Y, T):
    """Mean over rows of the per-sample l2 loss ``sum_k (Y - T)**2``."""
    return float(np.mean(np.sum((Y - T) ** 2, axis=1)))


def d_l2_batch_d_Y(Y, T):
    """Gradient of :func:`l2_batch`: ``2 (Y - T) / B``, shape ``(B, K)``.

    For ``B = 1`` it is the per-sample ``d_l2_d_x``.
    """
    return 2 * (Y - T) / Y.dtype.type(len(Y))


#: Loss name -> (loss of a batch, its gradient with respect to the output).
LOSSES = {
    "cross_entropy": (cross_entropy, d_cross_entropy_d_Z),
    "l2": (l2_batch, d_l2_batch_d_Y),
}


# --- optimisers ------------------------------------------------------------


class SGD:
    """Gradient descent with momentum ``mu`` (``mu = 0``: plain SGD).

    ``V = mu V + dW``, then ``W -= learning_rate V``.
    """

    def __init__(self, W_list, momentum=0.0):
        self.momentum = momentum
        self.velocity = (
            [np.zeros_like(W) for W in W_list] if momentum else None
        )

    def step(self, W_list, dW_list, learning_rate):
        """Move every ``W`` in place against its gradient in ``dW_list``."""
        for i, (W, dW) in enumerate(zip(W_list, dW_list, strict=True)):
            if self.momentum:
                self.velocity[i] *= self.momentum
                self.velocity[i] += dW
                dW = self.velocity[i]
            W -= W.dtype.type(learning_rate) * dW


def adam_step(W, dW, m, v, t, learning_rate, beta1=0.9, beta2=0.999,
              eps=1e-8):
    """Step ``t`` (from 1) of Adam (Kingma and Ba, 2015) on weights ``W``
    with gradient ``dW`` and running means ``m``, ``v`` (all one shape).

    Returns the new ``(W, m, v)``."""
    m = beta1 * m + (1 - beta1) * dW
    v = beta2 * v + (1 - beta2) * dW**2
    m_hat, v_hat = m / (1 - beta1**t), v / (1 - beta2**t)
    return W - learning_rate * m_hat / (np.sqrt(v_hat) + eps), m, v


class Adam:
    """Adam (Kingma and Ba, 2015): per-entry step sizes.

    Running means of ``dW`` and ``dW**2``, bias-corrected: :func:`adam_step`
    computed in place, without temporaries per step.
    """

    def __init__(self, W_list, beta1=0.9, beta2=0.999, eps=1e-8):
        self.beta1, self.beta2, self.eps, self.t = beta1, beta2, eps, 0
        self.m = [np.zeros_like(W) for W in W_list]
        self.v = [np.zeros_like(W) for W in W_list]
        self.scratch = [
            np.empty_like(W) for W in W_list
        ]  # in-place work: no temporaries per step

    def step(self, W_list, dW_list, learning_rate):
        """``W -= learning_rate m_hat / (sqrt(v_hat) + eps)``, in place."""
        self.t += 1
        scale = (
            learning_rate
            * math.sqrt(1 - self.beta2**self.t)
            / (1 - self.beta1**self.t)
        )
        for W, dW, m, v, work in zip(
            W_list, dW_list, self.m, self.v, self.scratch, strict=True
        ):
            m *= self.beta1
            np.multiply(dW, 1 - self.beta1, out=work)
            m += work  # m = beta1 m + (1 - beta1) dW
            v *= self.beta2
            np.multiply(dW, dW, out=work)
            work *= 1 - self.beta2
            v += work  # v = beta2 v + (1 - beta2) dW**2
            np.sqrt(v, out=work)
            work += self.eps * math.sqrt(1 - self.beta2**self.t)
            np.divide(m, work, out=work)
            work *= scale
            W -= work


#: Optimiser name -> a constructor taking the list of weight matrices.
OPTIMISERS = {
    "sgd": SGD,
    "momentum": lambda W_list: SGD(W_list, momentum=0.9),
    "adam": Adam,
}


def learning_rate_at(config, step, total_steps):
    """Learning rate of ``step`` (from 0) of ``total_steps``.

    Constant, or with the cosine schedule decaying to 0.
    """
    if config.schedule == "cosine":
        return (
            config.learning_rate
            * 0.5
            * (1 + math.cos(math.pi * step / total_steps))
        )
    return config.learning_rate


# --- training --------------------------------------------------------------

#: Field of :class:`TrainingConfig` -> its valid names.
CHOICES = {
    "optimiser": tuple(OPTIMISERS),
    "schedule": ("constant", "cosine"),
    "loss": tuple(LOSSES),
    "dtype": ("float32", "float64"),
}
#: Numeric field of :class:`TrainingConfig` -> (test, valid values).
RANGES = {
    "learning_rate": (
        lambda v: math.isfinite(v) and v > 0,
        "a finite number > 0",
    ),
    "num_epochs": (lambda v: int(v) == v >= 1, "a whole number >= 1"),
    "batch_size": (lambda v: int(v) == v >= 1, "a whole number >= 1"),
    "label_smoothing": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "weight_decay": (
        lambda v: math.isfinite(v) and v >= 0,
        "a finite number >= 0",
    ),
    "dropout": (lambda v: 0 <= v < 1, "a number in [0, 1)"),
    "patience": (
        lambda v: v is None or int(v) == v >= 1,
        "None or a whole number >= 1",
    ),
    "seed": (lambda v: int(v) == v >= 0, "a whole number >= 0"),
}


@dataclass
class TrainingConfig:
    """Everything that defines a mini-batch training run (stored with it)."""

    network_shape: list = field(default_factory=lambda: [784, 512, 512, 10])
    activations: list = None  # default: relu hidden, identity output
    optimiser: str = "adam"  # sgd, momentum or adam
    learning_rate: float = 1e-3
    schedule: str = "constant"  # or cosine (per step, down to 0 at the end)
    num_epochs: int = 10
    batch_size: int = 128
    loss: str = "cross_entropy"  # or l2
    label_smoothing: float = 0.0
    weight_decay: float = 0.0  # l2 penalty on the weights, not the biases
    dropout: float = 0.0  # on hidden outputs during training
    patience: int = None  # early stopping: epochs without a better accuracy
    seed: int = 0  # weights, shuffling and dropout
    dtype: str = "float32"
    layers: list = None  # a CNN as layer tokens (cnn.py), or None: an MLP

    def __post_init__(self):
        if self.layers is not None:
            self.use_layers()
        elif self.activations is None:
            hidden = len(self.network_shape) - 2
            self.activations = ["relu"] * hidden + ["identity"]
        if self.layers is None:
            check_architecture(self.network_shape, self.activations)
        for name, choices in CHOICES.items():
            if getattr(self, name) not in choices:
                raise ValueError(
                    f"TrainingConfig {name}={getattr(self, name)!r}: "
                    f"choose from {', '.join(choices)}"
                )
        for name, (valid, description) in RANGES.items():
            if not valid(getattr(self, name)):
                raise ValueError(
                    f"TrainingConfig {name}={getattr(self, name)!r}: "
                    f"must be {description}"
                )


    def use_layers(self):
        """Check ``layers`` and derive the widths in and out from them; the
        MLP's ``activations`` and ``dropout`` do not apply."""
        self.layers = [str(token) for token in self.layers]
        _, shapes = cnn.parse_layers(self.layers)
        if len(shapes[-1]) != 1:
            raise ValueError(
                f"layers {self.layers} end in images {shapes[-1]}: end with "
                "a dense layer, e.g. dense10"
            )
        self.network_shape = [int(np.prod(shapes[0])), shapes[-1][0]]
        self.activations, self.dropout = [], 0.0


def network_init(config, dtype):
    """Initial weights of the network that ``config`` describes."""
    if config.layers is not None:
        return cnn.init_weights(config.layers, config.seed, dtype)
    return init_weights(
        config.network_shape, config.activations, config.seed, dtype
    )


def network_forward(X, W_list, config, rng=None):
    """``(output, cache)`` of ``config``'s network (MLP or CNN) on rows
    ``X`` ``(B, m_0)``; training mode (dropout, flips) with a Generator
    ``rng``."""
    if config.layers is not None:
        return cnn.forward(X, W_list, config.layers, rng)
    return forward_batch(X, W_list, config.activations, config.dropout, rng)


def network_backward(G, cache, W_list, config):
    """Gradients for ``W_list`` from the output gradient ``G``."""
    if config.layers is not None:
        return cnn.backward(G, cache, W_list, config.layers)
    return backprop_batch_W(G, cache, W_list, config.activations)


def network_accuracy(X, y, W_list, config):
    """Percentage of rows of ``X`` that ``config``'s network labels ``y``."""
    if config.layers is None:
        return batch_accuracy(X, y, W_list, config.activations)
    scores = cnn.predict_scores(X, W_list, config.layers)
    return 100.0 * float(np.mean(scores.argmax(axis=1) == y))


@dataclass
class FitResult:
    """What :func:`fit` returns: the chosen weights, their epoch, history."""

    W_list: list
    best_epoch: int
    history: dict
    config: TrainingConfig

    def to_json(self):
        """History and config as a JSON-ready dict."""
        return {
            "config": asdict(self.config),
            "best_epoch": self.best_epoch,
            "history": self.history,
        }


def epoch_flops(network_shape, num_samples):
    """Floating-point operations of the matrix products of one epoch.

    Per sample and layer ``m_in -> m_out``: ``2 m_in m_out`` forward, as
    many for dE/dW, and as many for dE/dx except in the first layer
    (nothing needs it there).
    """
    products = [
        m_in * m_out
        for m_in, m_out in zip(
            network_shape[:-1], network_shape[1:], strict=True
        )
    ]
    return 2 * num_samples * (3 * sum(products) - products[0])


#: Rows of ``X`` that :func:`predict_scores` pushes through at once.
PREDICT_ROWS = 2000


def predict_scores(X, W_list, activations, batch_size=PREDICT_ROWS):
    """Network outputs ``(N, m_L)`` for ``X`` ``(N, m_0)``, in chunks."""
    return np.concatenate(
        [
            forward_batch(X[i : i + batch_size], W_list, activations)[0]
            for i in range(0, len(X), batch_size)
        ]
    )


def checked_data(data, widths, name):
    """``(X (N, m_0), y int (N,))`` of the pair ``data``, checked first.

    ``widths`` is ``(m_0, m_L)``.  Raises ValueError, naming ``name`` (e.g.
    "training data"), unless ``X`` has ``m_0`` finite columns and ``y``
    holds one label in ``0..m_L - 1`` per row of ``X``.
    """
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(
            f"{name} must be a pair (X, y) of images (N, {widths[0]}) and "
            f"labels (N,), got {type(data).__name__}"
        )
    X = np.asarray(data[0])
    if X.ndim != 2 or X.shape[1] != widths[0]:
        raise ValueError(
            f"{name}: X has shape {X.shape}, expected (N, {widths[0]}), one "
            "image per row (design_matrix makes it)"
        )
    try:
        y = _validate.labels(data[1], widths[1])
        _validate.matching_lengths(**{"images X": X, "labels y": y})
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
    bad = X.size - np.count_nonzero(np.isfinite(X))
    if bad:
        raise ValueError(
            f"{name}: X holds {bad} nan or inf values; whiten finite images"
        )
    return X, y


def batch_accuracy(X, y, W_list, activations):
    """Percentage of rows of ``X`` ``(N, m_0)`` whose largest output is at
    the label in ``y`` ``(N,)``; ValueError for data of other shapes."""
    widths = (W_list[0].shape[1] - 1, W_list[-1].shape[0])
    X, y = checked_data((X, y), widths, "scored data")
    scores = predict_scores(X, W_list, activations)
    return 100.0 * float(np.mean(scores.argmax(axis=1) == y))


def train_step(X, T, W_list, config, optimiser, learning_rate, rng):
    """One mini-batch step: forward, loss, backward, weight decay, update.

    ``X`` ``(B, m_0)``, targets ``T`` ``(B, m_L)``; returns the batch loss.
    """
    loss, d_loss = LOSSES[config.loss]
    output, cache = network_forward(X, W_list, config, rng)
    dW_list = network_backward(d_loss(output, T), cache, W_list, config)
    if config.weight_decay:
        for W, dW in zip(W_list, dW_list, strict=True):
            dW[:, :-1] += W.dtype.type(config.weight_decay) * W[:, :-1]
    optimiser.step(W_list, dW_list, learning_rate)
    return loss(output, T)


#: A loss above this multiple of the first step's (at least 1) is divergence.
DIVERGENCE_FACTOR = 100.0


def check_finite_weights(W_list, config, where):
    """Raise FloatingPointError if a weight in ``W_list`` is nan or inf
    (the last update diverged), naming the layer and ``where``."""
    for k, W in enumerate(W_list, start=1):
        if not np.all(np.isfinite(W)):
            raise FloatingPointError(
                f"training diverged in {where}: W_{k} holds nan or inf "
                f"after the update, with learning rate "
                f"{config.learning_rate:g}: try a learning rate 10 times "
                "smaller"
            )


def check_divergence(loss, start, config, learning_rate, where):
    """Raise FloatingPointError if the batch ``loss`` (a float) is not finite
    or above :data:`DIVERGENCE_FACTOR` times ``start``, the first step's loss.
    """
    if math.isfinite(loss) and loss <= DIVERGENCE_FACTOR * max(start, 1.0):
        return
    raise FloatingPointError(
        f"training diverged in {where} (loss {loss:.3g}, first step "
        f"{start:.3g}) with learning rate {learning_rate:g} and weight decay "
        f"{config.weight_decay:g}: try a learning rate 10 times smaller, "
        "or a smaller weight decay"
    )


def run_epoch(
    X, T, W_list, config, optimiser, epoch, rngs, progress, first_loss=None
):
    """One pass over ``X`` in shuffled mini-batches (``epoch`` from 1).

    ``rngs`` is the (shuffling, dropout) pair of Generators; ``first_loss``
    is the run's first batch loss (None in epoch 1: this epoch's first).
    Returns the mean loss, the last learning rate and ``first_loss``;
    raises FloatingPointError on divergence (:func:`check_divergence`).
    """
    steps = math.ceil(len(X) / config.batch_size)
    order, losses = rngs[0].permutation(len(X)), []
    desc = f"epoch {epoch}/{config.num_epochs}"
    for step in tqdm(range(steps), desc, leave=False, disable=not progress):
        rows = order[step * config.batch_size : (step + 1) * config.batch_size]
        learning_rate = learning_rate_at(
            config, (epoch - 1) * steps + step, config.num_epochs * steps
        )
        losses.append(
            train_step(
                X[rows],
                T[rows],
                W_list,
                config,
                optimiser,
                learning_rate,
                rngs[1],
            )
        )
        first_loss = losses[0] if first_loss is None else first_loss
        check_divergence(
            losses[-1],
            first_loss,
            config,
            learning_rate,
            f"epoch {epoch}, step {step + 1}",
        )
    check_finite_weights(W_list, config, f"epoch {epoch}, step {steps}")
    return float(np.mean(losses)), learning_rate, first_loss


class EarlyStopping:
    """Keeps the weights of the best validation accuracy seen so far."""

    def __init__(self, patience=None, W_list=None):
        """Before any epoch, the best weights are copies of ``W_list``."""
        self.patience, self.accuracy, self.best_epoch = patience, -1.0, 0
        self.W_list = None if W_list is None else [W.copy() for W in W_list]

    def update(self, epoch, accuracy, W_list):
        """Record ``epoch``; True when ``patience`` epochs brought nothing.

        ``accuracy`` None (no validation): the latest weights are the best.
        """
        if accuracy is None:
            self.best_epoch, self.W_list = epoch, W_list
        elif accuracy > self.accuracy:
            self.accuracy, self.best_epoch = accuracy, epoch
            self.W_list = [W.copy() for W in W_list]
        elif self.patience is not None:
            return epoch - self.best_epoch >= self.patience
        return False


#: The lists of a run's history, one entry per epoch.
HISTORY_KEYS = (
    "epoch",
    "train_loss",
    "validation_accuracy",
    "learning_rate",
    "seconds",
)


def record(history, *values):
    """Append one epoch's values to ``history`` in the order of HISTORY_KEYS.

    A ``validation_accuracy`` of None (no validation set) is not stored.
    """
    for key, value in zip(HISTORY_KEYS, values, strict=True):
        if value is not None:
            history[key].append(value)


def epoch_summary(history):
    """One line describing the last epoch of ``history``."""
    line = (
        f"epoch {history['epoch'][-1]:3d}  "
        f"loss {history['train_loss'][-1]:.4f}"
    )
    if history["validation_accuracy"]:
        line += f"  validation {history['validation_accuracy'][-1]:.2f} %"
    return line + f"  {history['seconds'][-1]:.1f} s"


#: Copies of the weights each optimiser keeps besides them.
OPTIMISER_COPIES = {"sgd": 0, "momentum": 1, "adam": 3}


def memory_estimate(config):
    """Bytes a run of ``config`` needs besides its data: a float.

    The weights, their gradients, the best epoch's copy and the
    optimiser's state (:data:`OPTIMISER_COPIES`), plus four arrays per
    layer for a batch of ``max(batch_size, PREDICT_ROWS)`` rows (input,
    pre-activation, output, dropout mask or gradient; for a CNN,
    :func:`fashionlib.cnn.values_per_image`).
    """
    weights = sum(m_out * m_in for m_out, m_in in weight_shapes(config))
    copies = 3 + OPTIMISER_COPIES[config.optimiser]
    itemsize = np.dtype(config.dtype).itemsize
    if config.layers is not None:
        rows = max(config.batch_size, cnn.PREDICT_ROWS)
        per_row = cnn.values_per_image(config.layers)
    else:
        rows = max(config.batch_size, PREDICT_ROWS)
        per_row = 4 * sum(config.network_shape)
    return float(itemsize * (copies * weights + rows * per_row))


def available_memory(meminfo="/proc/meminfo"):
    """Bytes this process can still allocate: a float.

    The kernel's MemAvailable (else the free pages), and no more than
    what the address-space limit (``ulimit -v``) leaves.
    """
    try:
        with open(meminfo) as lines:
            found = [
                float(line.split()[1]) * 1024
                for line in lines
                if line.startswith("MemAvailable:")
            ]
    except OSError:
        found = []
    free = (
        found[0]
        if found
        else float(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
    )
    limit = address_space_limit()
    if limit is not None:
        free = min(free, float(limit - address_space()))
    return free


def address_space_limit():
    """The address-space limit (``ulimit -v``) in bytes, or None: no limit,
    or no way to read one (Pyodide's ``resource`` has no ``getrlimit``)."""
    try:
        limit = resource.getrlimit(resource.RLIMIT_AS)[0]
    except (AttributeError, OSError, ValueError):
        return None
    return None if limit == resource.RLIM_INFINITY else limit


def address_space():
    """Bytes of address space this process uses now (``/proc`` on Linux,
    0 elsewhere)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:
        return 0


def check_memory(config, available=None):
    """Raise MemoryError, with the estimate, if a run of ``config`` would
    not fit in ``available`` bytes (default: :func:`available_memory`)."""
    needed = memory_estimate(config)
    available = available_memory() if available is None else available
    if needed > available:
        raise MemoryError(
            f"training {config.network_shape} with {config.optimiser}, "
            f"batches of {config.batch_size} and {config.dtype} needs about "
            f"{needed / 10**9:.3g} GB (weights, optimiser state, one batch) "
            f"but {available / 10**9:.3g} GB are available: use narrower or "
            "fewer layers, or a smaller batch"
        )


def fit(
    train,
    config,
    validation=None,
    W_list=None,
    progress=False,
    log=None,
    stop_after=None,
    on_epoch=None,
):
    """Train with mini-batches on ``train`` = ``(X (N, m_0), y int (N,))``.

    ``validation`` (same form) is scored after every epoch; the weights
    of the best epoch are returned, and with ``config.patience`` training
    stops after that many epochs without a better accuracy.  Without
    ``W_list`` the weights come from :func:`init_weights`.  Shuffling and
    dropout draw from Generators seeded by ``config.seed``.  ``progress``
    shows a tqdm bar per epoch, ``log`` (e.g. ``print``) gets a line per
    epoch, ``stop_after`` runs only that many epochs of the schedule.
    ``on_epoch``, if given, is called at the start of each epoch with the
    :class:`FitResult` of the best weights so far (what an interrupted run
    can still save).  Raises FloatingPointError on divergence, ValueError
    for data or weights of the wrong shape, MemoryError (with the
    estimate) before any work if the run would not fit in memory.
    """
    widths = config.network_shape[0], config.network_shape[-1]
    train = checked_data(train, widths, "training data")
    if validation is not None:
        validation = checked_data(validation, widths, "validation data")
    if W_list is not None:
        check_weights(W_list, weight_shapes(config), "W_list")
    check_memory(config)
    dtype = np.dtype(config.dtype).type
    X = np.asarray(train[0], dtype=dtype)
    T = targets(
        train[1], config.network_shape[-1], config.label_smoothing, dtype
    )
    if W_list is None:
        W_list = network_init(config, dtype)
    W_list = [np.array(W, dtype=dtype) for W in W_list]
    optimiser = OPTIMISERS[config.optimiser](W_list)
    rngs = make_rng(config.seed), np.random.default_rng([config.seed, 1])
    history = {key: [] for key in HISTORY_KEYS}
    best, first_loss = EarlyStopping(config.patience, W_list), None
    last = min(config.num_epochs, stop_after or config.num_epochs)
    for epoch in range(1, last + 1):
        if on_epoch:
            on_epoch(FitResult(best.W_list, best.best_epoch, history, config))
        start = time.perf_counter()
        loss, learning_rate, first_loss = run_epoch(
            X, T, W_list, config, optimiser, epoch, rngs, progress, first_loss
        )
        seconds = time.perf_counter() - start
        accuracy = None
        if validation is not None:
            accuracy = network_accuracy(*validation, W_list, config)
        record(history, epoch, loss, accuracy, learning_rate, seconds)
        if log:
            log(epoch_summary(history))
        if best.update(epoch, accuracy, W_list):
            break
    return FitResult(best.W_list, best.best_epoch, history, config)


# --- storing a trained model -----------------------------------------------


def model_paths(path):
    """``(stem.npz, stem.json)`` for ``path`` = ``stem`` or ``stem.npz``.

    Raises ValueError for any other suffix (``model.json`` would make the
    history overwrite the weights).
    """
    path = Path(path)
    if path.is_dir():
        raise ValueError(
            f"model file {path} is a folder: give a file name, "
            f"e.g. {path / 'model'}"
        )
    if path.suffix not in ("", ".npz"):
        raise ValueError(
            f"model file {path}: give a name ending in .npz, or no suffix; "
            f"the weights go to NAME.npz and the history to NAME.json"
        )
    stem = path.with_suffix("")
    return stem.with_name(stem.name + ".npz"), stem.with_name(
        stem.name + ".json"
    )


def weight_shapes(config):
    """The shape ``(m_out, m_in + 1)`` of each weight matrix of the network
    that ``config`` describes (MLP or CNN)."""
    if config.layers is not None:
        return cnn.weight_shapes(config.layers)
    shape = config.network_shape
    return [
        (m_out, m_in + 1)
        for m_in, m_out in zip(shape[:-1], shape[1:], strict=True)
    ]


def stored_weight_shapes(config):
    """:func:`weight_shapes` of a stored config dict, before any training
    option in it is trusted."""
    if config.get("layers") is not None:
        return cnn.weight_shapes(config["layers"])
    shape = [int(m) for m in config["network_shape"]]
    pairs = zip(shape, shape[1:], strict=False)
    return [(m_out, m_in + 1) for m_in, m_out in pairs]


def check_weights(W_list, shapes, where):
    """Raise ValueError unless ``W_list`` holds one finite float matrix of
    each shape of ``shapes`` (:func:`weight_shapes`); the message names
    ``where``."""
    if len(W_list) != len(shapes):
        raise ValueError(
            f"{where}: {len(W_list)} weight matrices for a network of "
            f"{len(shapes)} weight matrices"
        )
    for k, (W, shape) in enumerate(zip(W_list, shapes, strict=True), 1):
        W = np.asarray(W)
        if W.dtype.kind != "f" or W.shape != tuple(shape):
            raise ValueError(
                f"{where}: W_{k} is {W.dtype} {W.shape}, expected floats "
                f"of shape {tuple(shape)}"
            )
        if not np.all(np.isfinite(W)):
            raise ValueError(f"{where}: W_{k} holds nan or inf values")


#: Largest model file :func:`load_model` reads (bytes of weights or JSON).
MODEL_LIMIT = 2 * 1024**3


def save_model(path, result):
    """Write ``result``'s weights to ``stem.npz`` and its config and history
    to ``stem.json`` (:func:`model_paths`), both or neither.

    Refuses weights that are not finite.  The JSON records the SHA-256 of
    the npz, and is renamed into place first: a run killed between the
    two renames leaves a pair that :func:`load_model` refuses.  First
    removes temporary files that killed runs left beside them.  Returns
    the two paths.
    """
    check_weights(
        result.W_list, weight_shapes(result.config), "the model to save"
    )
    weights_path, history_path = model_paths(path)
    weights = io.BytesIO()
    np.savez_compressed(
        weights, **{f"W{i}": W for i, W in enumerate(result.W_list)}
    )
    stored = {
        **result.to_json(),
        "weights_sha256": hashlib.sha256(weights.getvalue()).hexdigest(),
    }
    sweep(weights_path, history_path)
    with atomic_files(history_path, weights_path) as (history, npz):
        history.write(json.dumps(stored, indent=1).encode())
        npz.write(weights.getvalue())
    return weights_path, history_path


def load_model(path):
    """``(W_list, stored)`` from :func:`save_model`'s files.

    ``stored`` is the JSON dict (config, best epoch, history).  Raises
    ValueError, naming the file, if either file is too large, damaged, or
    not of one save, or if the weights do not fit the stored
    ``network_shape`` or are not finite.
    """
    weights_path, history_path = model_paths(path)
    stored = read_model_json(history_path)
    raw = read_limited(weights_path, MODEL_LIMIT)
    digest = stored.get("weights_sha256")
    if digest is not None and digest != hashlib.sha256(raw).hexdigest():
        raise ValueError(
            f"{weights_path} does not match the SHA-256 that "
            f"{history_path} records: the two are not from one save (a run "
            "stopped while saving, or a file changed since); train and save "
            "the model again"
        )
    W_list = read_weights(weights_path, raw)
    check_weights(W_list, stored_weight_shapes(stored["config"]), weights_path)
    return W_list, stored


def read_limited(path, limit):
    """The bytes of file ``path``, refused (ValueError) beyond ``limit``."""
    size = os.stat(path).st_size
    if size > limit:
        raise ValueError(
            f"{path} holds {size} bytes, more than the {limit} a model may "
            "have: it is not a model of this package"
        )
    return Path(path).read_bytes()


def read_model_json(path):
    """The JSON dict of a model, checked to hold a config with the
    ``network_shape``; ValueError naming ``path`` otherwise."""
    try:
        stored = json.loads(read_limited(path, MODEL_LIMIT))
        config = stored["config"]
        shape = [int(m) for m in config["network_shape"]]
        if len(shape) < 2 or min(shape) < 1:
            raise ValueError(f"network_shape {shape}")
    except (ValueError, KeyError, TypeError) as error:
        problem = f"no {error}" if isinstance(error, KeyError) else error
        raise ValueError(
            f"{path} is not a model description ({problem}): save the "
            "model again with save_model or `python -m fashionlib train`"
        ) from None
    return stored


def read_weights(path, raw):
    """``[W0, W1, ...]`` from the npz bytes ``raw`` of file ``path``; each
    declared shape is checked before its array is read."""
    try:
        arrays = read_npz(io.BytesIO(raw), limit=MODEL_LIMIT)
        return [arrays[f"W{i}"] for i in range(len(arrays))]
    except (
        ValueError,
        KeyError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
    ) as error:
        raise ValueError(
            f"{path} does not hold the weights W0, W1, ... of a model "
            f"({error}): save the model again"
        ) from None
