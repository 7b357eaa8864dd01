"""The squared l2 objective and its gradient.

Defined for the chapter "The objective" (book/objective.md).

In the book's notation ``x`` is the prediction x_L and ``y`` the target;
``d_l2_d_x`` returns the row g_L = dE/dx_L where backpropagation starts.
"""

import numpy as np

from fashionlib.activations import as_vector


def residual(x, y):
    """Prediction minus target, ``x - y`` of shape ``(m,)``.

    A scalar target counts as shape ``(1,)``.
    """
    x = as_vector(x)
    y = np.atleast_1d(np.asarray(y, dtype=float))
    if y.shape != x.shape:
        raise ValueError(
            f"prediction of shape {x.shape} and target of shape {y.shape} "
            "differ: a network with 10 outputs needs a one-hot target of "
            "length 10"
        )
    return x - y


def l2(x, y):
    """Squared l2 distance ``sum_j (x[j] - y[j])**2``: a float.

    ``x`` is the prediction ``(m,)``, ``y`` the target ``(m,)``.
    """
    r = residual(x, y)
    return float(r @ r)


def d_l2_d_x(x, y):
    """Gradient of :func:`l2` with respect to ``x``: the row ``2 (x - y)``.

    Shape ``(1, m)``, also for one output (then ``(1, 1)``).
    """
    return (2.0 * residual(x, y)).reshape(1, -1)
