"""Stochastic gradient descent, one training sample at a time."""

from dataclasses import dataclass, field

import numpy as np
from tqdm.auto import tqdm

from fashionlib.backprop import backprop_nn_W
from fashionlib.evaluation import accuracy, output_to_label_regression
from fashionlib.loss import l2
from fashionlib.network import make_rng, nn


def sample_order(num_samples, seed):
    """Indices ``(num_samples,)``: ``0..N-1`` in order when ``seed`` is None, else a seeded permutation."""
    if seed is None:
        return np.arange(num_samples)
    return make_rng(seed).permutation(num_samples)


def train(data_train, architecture, learning_rate, seed=None, progress=False):
    """One epoch of per-sample SGD; updates ``architecture['W_list']`` in place.

    data_train: ``{'images': (N, 28, 28), 'labels': (N,) or (N, 10)}``.
    Each step takes one sample, backpropagates, and moves every ``W``
    against its gradient: ``W -= learning_rate * dE/dW``.  ``seed`` None
    keeps the stored order, an int or Generator shuffles it.
    Returns the loss of each sample before its update, shape ``(N,)``.
    Raises FloatingPointError if the loss stops being finite.
    """
    images, labels = data_train["images"], data_train["labels"]
    order = sample_order(len(labels), seed)
    losses = np.empty(len(order))
    bar = tqdm(order, "training", unit="sample", disable=not progress)
    for step, i in enumerate(bar):
        x = images[i].ravel()
        losses[step] = l2(
            nn(x, architecture["W_list"], architecture["h_list"]), labels[i]
        )
        if not np.isfinite(losses[step]):
            raise FloatingPointError(
                f"training diverged at step {step} (loss {losses[step]}) with learning rate "
                f"{learning_rate}: try a learning rate 10 times smaller; if that diverges too, "
                "check that the update steps against the gradient (W -= ...)"
            )
        for W, JW_E in zip(
            architecture["W_list"], backprop_nn_W(x, labels[i], **architecture)
        ):
            # scale in place: a second large temporary per step made glibc hand memory
            # back to the OS and fault it in again, five times slower at 784-200-10
            JW_E *= learning_rate
            W -= JW_E.reshape(W.shape)
    return losses


def copy_architecture(architecture):
    """A copy of an architecture dict whose weight matrices are new arrays."""
    return {
        **architecture,
        "W_list": [W.copy() for W in architecture["W_list"]],
    }


@dataclass
class TrainingRun:
    """What :func:`train_and_evaluate` returns: test accuracy per epoch, trained architecture, per-sample losses."""

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
    """Train a copy of ``architecture`` for ``num_epochs`` epochs, scoring ``data_test`` after each.

    The given weights are left untouched.  ``seed`` (None: stored order)
    shuffles every epoch differently.  Returns a :class:`TrainingRun`
    whose ``accuracy`` lists one percentage per epoch.
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
        network = lambda x: nn(x, trained["W_list"], trained["h_list"])
        accuracies.append(accuracy(network, data_test, output_to_label))
    return TrainingRun(
        accuracies, trained, np.concatenate(losses) if losses else np.empty(0)
    )
