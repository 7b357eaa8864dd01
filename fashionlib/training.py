"""Stochastic gradient descent, one training example at a time.

Defined for the chapter "Stochastic gradient descent" (book/sgd.md).

Notation of the book: example n is (x^(n), y^(n)); the network has layers
k = 1..L with weights W_k; the learning rate eta is ``learning_rate``.
"""

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from fashionlib import _validate
from fashionlib.backprop import backprop_nn_W
from fashionlib.evaluation import accuracy, output_to_label_regression
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
