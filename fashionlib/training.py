"""Stochastic gradient descent, one training example at a time.

Defined for the chapter "Stochastic gradient descent" (book/sgd.md).

Notation of the book: example n is (x^(n), y^(n)); the network has layers
k = 1..L with weights W_k; the learning rate eta is ``learning_rate``.
"""

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from fashionlib import _validate, activations, backprop
from fashionlib.backprop import backprop_nn_W
from fashionlib.batch import ACTIVATIONS, forward_batch
from fashionlib.evaluation import (
    accuracy,
    output_to_label_regression,
    true_labels,
)
from fashionlib.loss import l2
from fashionlib.network import make_rng, nn


def sample_order(num_samples, seed):
    """Indices ``(num_samples,)`` of one epoch.

    ``0..N-1`` in order when ``seed`` is None, else a permutation drawn
    with ``seed`` (an int or a Generator).
    """
    if seed is None:
        return np.arange(num_samples)
    return make_rng(seed).permutation(num_samples)


def check_finite(loss, step, learning_rate):
    """Raise FloatingPointError, saying what to try, if the scalar ``loss``
    of step ``step`` is not finite (training diverged)."""
    if not np.isfinite(loss):
        raise FloatingPointError(
            f"training diverged at step {step} (loss {loss}) with learning "
            f"rate {learning_rate}: try a learning rate 10 times smaller; if "
            "that diverges too, check that the update steps against the "
            "gradient (W -= ...)"
        )


def train(data_train, architecture, learning_rate, seed=None, progress=False):
    """One epoch of per-example SGD; updates ``W_list`` in place.

    data_train: ``{'images': (N, 28, 28), 'labels': (N,) or (N, 10)}``,
    the examples (x^(n), y^(n)).  Each step takes one example,
    backpropagates, and moves every W_k against its gradient:
    W_k <- W_k - eta dE/dW_k, with eta = ``learning_rate``.  ``seed``
    None keeps the stored order, an int or Generator shuffles it.
    Returns the loss E of each example before its update, shape ``(N,)``.
    Raises ValueError for a learning rate that is not a finite positive
    number, FloatingPointError if the loss or, after the last update, a
    weight stops being finite.
    """
    if not (np.isfinite(learning_rate) and learning_rate > 0):
        raise ValueError(
            f"learning rate {learning_rate}: give a finite number > 0, "
            "e.g. 0.001"
        )
    images, labels = _validate.dataset(data_train)
    order = sample_order(len(labels), seed)
    losses = np.empty(len(order))
    bar = tqdm(order, "training", unit="sample", disable=not progress)
    for step, i in enumerate(bar):
        x = images[i].ravel()  # x_0 of example n = i; labels[i] is y^(n)
        losses[step] = l2(
            nn(x, architecture["W_list"], architecture["h_list"]), labels[i]
        )
        check_finite(losses[step], step, learning_rate)
        # W is W_k and JW_E the row dE/dW_k (flattened), for k = 1..L
        gradients = backprop_nn_W(x, labels[i], **architecture)
        for W, JW_E in zip(architecture["W_list"], gradients, strict=True):
            JW_E *= learning_rate
            W -= JW_E.reshape(W.shape)
    check_weights_finite(architecture["W_list"], len(order), learning_rate)
    return losses


def check_weights_finite(W_list, steps, learning_rate):
    """Raise FloatingPointError, naming the layer, if a weight is not
    finite after the ``steps`` updates of an epoch (the last update
    diverged: its loss was computed before it)."""
    for k, W in enumerate(W_list, start=1):
        if not np.all(np.isfinite(W)):
            raise FloatingPointError(
                f"training diverged in step {steps}: W_{k} holds nan or inf "
                f"after its update with learning rate {learning_rate}: try "
                "a learning rate 10 times smaller"
            )


def network_function(architecture):
    """The function x_0 ``(m_0,)`` -> x_L ``(m_L,)`` of ``architecture``."""
    W_list, h_list = architecture["W_list"], architecture["h_list"]
    return lambda x: nn(x, W_list, h_list)


def copy_architecture(architecture):
    """A copy of an architecture dict whose weight matrices are new arrays."""
    return {
        **architecture,
        "W_list": [W.copy() for W in architecture["W_list"]],
    }


@dataclass
class TrainingRun:
    """What :func:`train_and_evaluate` returns.

    ``accuracy``: percentage on the scored data after each epoch,
    ``architecture``: the trained copy, ``losses``: per-example losses
    ``(num_epochs * N,)`` in training order.
    """

    accuracy: list
    architecture: dict
    losses: np.ndarray = field(repr=False)


def train_and_evaluate(
    architecture,
    num_epochs,
    learning_rate,
    data_train,
    data_test,
    output_to_label=output_to_label_regression,
    seed=None,
    progress=False,
):
    """Train a copy of ``architecture``, scoring ``data_test`` each epoch.

    Runs ``num_epochs`` epochs of :func:`train` with learning rate eta =
    ``learning_rate``; the given weights are left untouched.  ``seed``
    (None: stored order) shuffles every epoch differently.  Returns a
    :class:`TrainingRun` whose ``accuracy`` lists one percentage per epoch.
    """
    trained = copy_architecture(architecture)
    rng = None if seed is None else make_rng(seed)
    accuracies, losses = [], []
    for _ in range(num_epochs):
        losses.append(
            train(
                data_train, trained, learning_rate, seed=rng, progress=progress
            )
        )
        accuracies.append(
            accuracy(network_function(trained), data_test, output_to_label)
        )
    return TrainingRun(
        accuracies, trained, np.concatenate(losses) if losses else np.empty(0)
    )


# --- several networks side by side ------------------------------------------


def stacked_gradients(X, Y, stacked, activations):
    """Losses ``(K,)`` and gradients of K networks, one example each.

    ``X`` ``(K, m_0)`` and ``Y`` ``(K, m_L)``: example and target of each
    network; ``stacked``: ``[W_1, ..., W_L]``, ``W_k`` of shape
    ``(K, m_k, m_{k-1} + 1)``; ``activations``: ``(h_k, back_h_k)`` pairs
    on arrays.  Network j computes what ``l2`` and ``backprop_nn_W`` give
    for ``X[j]``; the gradients have the shapes of ``stacked``.
    """
    X_h_list, Z_list = [], []  # [x_{k-1}; 1] and i_k, one row per network
    for W, (h, _) in zip(stacked, activations, strict=True):
        X_h_list.append(np.concatenate([X, np.ones((len(X), 1))], axis=1))
        Z_list.append(np.matmul(W, X_h_list[-1][:, :, None])[:, :, 0])
        X = h(Z_list[-1])  # x_k = h_k(i_k)
    residual = X - Y
    G = 2.0 * residual  # the rows g_L
    layers = zip(X_h_list, Z_list, stacked, activations, strict=True)
    dW_list = []
    for X_h, Z, W, (_, back_h) in reversed(list(layers)):
        D = back_h(G, Z)  # the error rows delta_k
        dW_list.append(D[:, :, None] * X_h[:, None, :])
        G = np.matmul(D[:, None, :], W[:, :, :-1])[:, 0, :]  # the rows g_k-1
    return np.einsum("ki,ki->k", residual, residual), dW_list[::-1]


#: Each of fashionlib's activations, with its backward functions (fast and
#: naive) -> its name in :data:`fashionlib.batch.ACTIVATIONS`.
NAMES = {
    (getattr(activations, name), table[name]): name
    for name in ("relu", "identity", "sigmoid")
    for table in (backprop.FAST, backprop.NAIVE)
}


def activation_names(architecture):
    """The activation names of ``architecture``'s layers, or None if it
    uses a function that is not fashionlib's own."""
    h_list, back_h_list = architecture["h_list"], architecture["back_h_list"]
    plain = set(architecture) == {"W_list", "h_list", "back_h_list"}
    if not plain or len(h_list) != len(back_h_list):
        return None
    names = [NAMES.get(pair) for pair in zip(h_list, back_h_list, strict=True)]
    return None if None in names else names


def accuracy_of_rows(W_list, names, data, output_to_label):
    """:func:`~fashionlib.evaluation.accuracy` of the network ``W_list``
    (activations ``names``), all images of ``data`` scored at once: the
    same products, added up in another order."""
    images, labels = _validate.dataset(data)
    X = np.asarray(images, dtype=float).reshape(len(images), -1)
    outputs = forward_batch(X, W_list, names)[0]  # x_L, (N, m_L)
    predicted = np.array([output_to_label(x) for x in outputs], dtype=int)
    true = true_labels(labels, output_to_label)
    return 100.0 * float(np.mean(predicted == true))


def train_together(data_train, architectures, learning_rate, rngs):
    """One epoch of :func:`train` for K networks; updates them in place.

    ``architectures``: K dicts of one shape and one choice of activations
    (relu, identity, sigmoid); network j takes the examples in the order
    drawn from ``rngs[j]`` (Generators), as ``train(data_train,
    architectures[j], learning_rate, seed=rngs[j])`` does.  Each step
    updates all K networks in one stacked computation, which adds up the
    same products in another order only.  Returns the losses ``(K, N)``.
    Raises ValueError for activations that are not fashionlib's own.
    """
    names = activation_names(architectures[0])
    if names is None:
        raise ValueError(
            "train_together runs fashionlib's relu, identity and sigmoid "
            "only: train a network of other functions with train"
        )
    images, labels = _validate.dataset(data_train)
    X = np.asarray(images, dtype=float).reshape(len(images), -1)
    Y = np.asarray(labels, dtype=float).reshape(len(labels), -1)
    orders = np.array([sample_order(len(labels), rng) for rng in rngs])
    activations = [ACTIVATIONS[name] for name in names]
    weights = [a["W_list"] for a in architectures]
    stacked = [np.stack(Ws) for Ws in zip(*weights, strict=True)]
    losses = np.empty(orders.shape)
    for step, order in enumerate(orders.T):
        losses[:, step], gradients = stacked_gradients(
            X[order], Y[order], stacked, activations
        )
        check_finite(losses[:, step].sum(), step, learning_rate)
        for W, JW_E in zip(stacked, gradients, strict=True):
            JW_E *= learning_rate
            W -= JW_E
    for j, trained in enumerate(architectures):
        for W, W_stack in zip(trained["W_list"], stacked, strict=True):
            W[...] = W_stack[j]
    return losses


def train_and_evaluate_together(
    architectures,
    num_epochs,
    learning_rate,
    data_train,
    data_test,
    output_to_label=output_to_label_regression,
    seeds=(None,),
):
    """:func:`train_and_evaluate` for each pair of ``architectures`` and
    ``seeds``, the runs trained side by side (:func:`train_together`).

    Returns one :class:`TrainingRun` per seed, those of
    ``train_and_evaluate(architectures[j], ..., seed=seeds[j])`` (the
    images scored all at once, :func:`accuracy_of_rows`), which
    trains them one after the other when they use functions other than
    fashionlib's (a reader's own relu, say).
    """
    if len(seeds) != len(architectures):
        raise ValueError(
            f"{len(architectures)} architectures but {len(seeds)} seeds: "
            "give one seed (or None, the stored order) per run"
        )
    names = activation_names(architectures[0])
    if names is None:
        return [
            train_and_evaluate(
                a,
                num_epochs,
                learning_rate,
                data_train,
                data_test,
                output_to_label,
                seed,
            )
            for a, seed in zip(architectures, seeds, strict=True)
        ]
    trained = [copy_architecture(a) for a in architectures]
    rngs = [None if seed is None else make_rng(seed) for seed in seeds]
    accuracies, losses = [[] for _ in trained], []
    for _ in range(num_epochs):
        losses.append(train_together(data_train, trained, learning_rate, rngs))
        for run, architecture in zip(accuracies, trained, strict=True):
            run.append(
                accuracy_of_rows(
                    architecture["W_list"], names, data_test, output_to_label
                )
            )
    losses = np.concatenate(losses, axis=1) if losses else np.empty((0, 0))
    return [
        TrainingRun(run, architecture, run_losses)
        for run, architecture, run_losses in zip(
            accuracies, trained, losses, strict=False
        )
    ]
