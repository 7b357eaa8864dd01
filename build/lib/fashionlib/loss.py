"""The squared l2 objective and its gradient."""

import numpy as np

from fashionlib.activations import as_vector


def residual(x, y):
    """Prediction minus target, ``x - y`` of shape ``(m,)``; a scalar target counts as ``(1,)``."""
    x = as_vector(x)
    y = np.asarray(y, dtype=float).reshape(-1)
    if y.shape != x.shape:
        raise ValueError(
            f"prediction of shape {x.shape} and target of shape {y.shape} differ: "
            "a network with 10 outputs needs a one-hot target of length 10"
        )
    return x - y


def l2(x, y):
    """Squared l2 distance ``sum_j (x[j] - y[j])**2`` of prediction ``(m,)`` and target ``(m,)``: a float."""
    r = residual(x, y)
    return float(r @ r)


def d_l2_d_x(x, y):
    """Gradient of :func:`l2` with respect to ``x``: the row ``2 (x - y)`` of shape ``(1, m)``."""
    return (2.0 * residual(x, y)).reshape(1, -1)
