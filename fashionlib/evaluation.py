"""Turning network outputs into labels, and scoring them.

Defined for the chapters "Regression: the label as a number"
(book/regression.md) and "Classification and choosing an architecture"
(book/classification.md).
"""

import numpy as np

from fashionlib import _validate
from fashionlib.activations import as_vector
from fashionlib.data import NUM_CLASSES


def output_to_label_regression(x):
    """Class label c from a regression output x_L (scalar or ``(1,)``).

    The output is rounded to the nearest integer and clipped to 0..9;
    returns an int.
    """
    value = np.asarray(x, dtype=float).reshape(-1)
    if value.size != 1:
        raise ValueError(
            f"a regression output is one number, got shape {np.shape(x)}; "
            "for a 10-way output use prediction_to_label_classification"
        )
    return int(np.clip(np.round(value[0]), 0, NUM_CLASSES - 1))


def prediction_to_label_classification(x):
    """Class label c from a score vector x_L ``(10,)`` or a one-hot e_c.

    Returns the index of the largest entry (the first on a tie), an int.
    """
    return int(np.argmax(as_vector(x)))


def predict_labels(network, images, output_to_label):
    """Labels predicted for ``images`` ``(N, 28, 28)``: ints ``(N,)``.

    ``network`` maps an input x_0 ``(784,)`` to an output x_L;
    ``output_to_label`` turns x_L into a class label.
    """
    return np.array(
        [output_to_label(network(image.ravel())) for image in images],
        dtype=int,
    )


def true_labels(labels, output_to_label):
    """Integer labels ``(N,)`` from stored labels y^(n).

    ``labels`` are ints ``(N,)`` or one-hot rows ``(N, 10)``.
    """
    return np.array([output_to_label(label) for label in labels], dtype=int)


def accuracy(network, data, output_to_label):
    """Percentage of examples whose predicted label is the stored one.

    ``data``: ``{'images': (N, 28, 28), 'labels': (N,) or (N, 10)}``.
    Returns a float in [0, 100].
    """
    images, labels = _validate.dataset(data)
    predicted = predict_labels(network, images, output_to_label)
    return 100.0 * float(
        np.mean(predicted == true_labels(labels, output_to_label))
    )


def confusion_matrix(true, predicted, num_classes=NUM_CLASSES):
    """Counts ``C[t, p]`` of examples of true label t predicted as p.

    ``true`` and ``predicted`` are int labels ``(N,)``; returns ints
    ``(num_classes, num_classes)``, rows true, columns predicted.
    """
    true, predicted = (
        _validate.labels(true, num_classes),
        _validate.labels(predicted, num_classes),
    )
    _validate.matching_lengths(true=true, predicted=predicted)
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (true, predicted), 1)
    return counts
