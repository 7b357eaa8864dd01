"""Checks of the homework API's inputs: one function per kind of input.

Each returns its input in the form the caller computes with, or raises
ValueError naming the shapes, lengths or values it got and the fix.
"""

import numpy as np


def matching_lengths(**sequences):
    """Raise ValueError unless the keyword ``sequences`` have equal lengths."""
    lengths = {name: len(value) for name, value in sequences.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{n} {length}" for n, length in lengths.items())
        raise ValueError(
            f"lengths differ ({listed}): give one entry of each per item"
        )


def dataset(data):
    """``(images, labels)`` of a dataset dict, checked to have equal length.

    ``data``: ``{'images': (N, ...), 'labels': (N,) or (N, 10)}``.
    """
    images, labels = data["images"], data["labels"]
    matching_lengths(images=images, labels=labels)
    return images, labels


def labels(values, num_classes=10):
    """Class labels as ints ``(N,)``, each in ``0..num_classes - 1``.

    Rejects one-hot rows ``(N, num_classes)``, fractions and values out of
    range.
    """
    array = np.asarray(values)
    if array.ndim != 1:
        raise ValueError(
            f"expected integer labels of shape (N,), got shape {array.shape}"
            "; one-hot rows turn back into labels with .argmax(axis=1)"
        )
    as_int = array.astype(int)
    if array.size and (
        np.any(as_int != array)
        or as_int.min() < 0
        or as_int.max() >= num_classes
    ):
        raise ValueError(
            f"labels must be integers in 0..{num_classes - 1}, got values "
            f"from {array.min()} to {array.max()}"
        )
    return as_int
