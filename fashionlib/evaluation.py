"""Turning network outputs into labels, and scoring them."""

import numpy as np

from fashionlib.activations import as_vector
from fashionlib.data import NUM_CLASSES


def output_to_label_regression(x):
    """Label from a regression output (a scalar or shape ``(1,)``): rounded, clipped to 0..9, an int."""
    value = np.asarray(x, dtype=float).reshape(-1)
    if value.size != 1:
        raise ValueError(
            f"a regression output is one number, got shape {np.shape(x)}; "
            "for a 10-way output use prediction_to_label_classification"
        )
    return int(np.clip(np.round(value[0]), 0, NUM_CLASSES - 1))


def prediction_to_label_classification(x):
    """Label from a class-score vector ``(10,)`` (or a one-hot label): the index of the largest entry, an int."""
    return int(np.argmax(as_vector(x)))


def predict_labels(network, images, output_to_label):
    """Labels predicted for ``images`` ``(N, 28, 28)`` by ``network`` (vector in, vector out): ints ``(N,)``."""
    return np.array(
        [output_to_label(network(image.ravel())) for image in images],
        dtype=int,
    )


def true_labels(labels, output_to_label):
    """Integer labels ``(N,)`` from stored labels (ints ``(N,)`` or one-hot ``(N, 10)``)."""
    return np.array([output_to_label(label) for label in labels], dtype=int)


def accuracy(network, data, output_to_label):
    """Percentage of ``data['images']`` whose predicted label equals the stored one: a float in [0, 100]."""
    predicted = predict_labels(network, data["images"], output_to_label)
    return 100.0 * float(
        np.mean(predicted == true_labels(data["labels"], output_to_label))
    )


def confusion_matrix(true, predicted, num_classes=NUM_CLASSES):
    """Counts ``C[t, p]`` of items with true label ``t`` predicted as ``p``: ints ``(num_classes, num_classes)``."""
    true, predicted = (
        np.asarray(true, dtype=int),
        np.asarray(predicted, dtype=int),
    )
    if true.shape != predicted.shape:
        raise ValueError(
            f"{true.size} true labels but {predicted.size} predictions"
        )
    counts = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(counts, (true, predicted), 1)
    return counts
