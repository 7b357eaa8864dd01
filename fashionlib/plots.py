"""Figures for the book, drawn with matplotlib.

Every function returns the ``matplotlib.figure.Figure`` it drew, already
closed, so that a notebook shows it exactly once (as the cell's value) and a
script can still ``savefig`` it.  Right and wrong predictions are
marked by colour and also by a symbol and line style, so that they read
without colour too.
"""

import matplotlib.pyplot as plt
import numpy as np

from fashionlib.data import LABEL_NAMES

RIGHT_STYLE = {"edgecolor": "#1a9850", "linestyle": "-", "symbol": "\u2713"}   # green, solid, check mark
WRONG_STYLE = {"edgecolor": "#d73027", "linestyle": "--", "symbol": "\u2717"}  # red, dashed, cross


def finish(fig):
    """Tighten the layout of ``fig``, close it (no second display by the inline backend) and return it."""
    fig.tight_layout()
    plt.close(fig)
    return fig


def image_grid(num_images, per_row=10, cell=1.15):
    """A figure with ``num_images`` image axes in rows of ``per_row``: ``(figure, axes list)``."""
    rows = max(1, int(np.ceil(num_images / per_row)))
    columns = min(per_row, max(num_images, 1))
    fig, axes = plt.subplots(rows, columns, figsize=(cell * columns, (cell + 0.35) * rows), squeeze=False)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    return fig, list(axes.ravel()[:num_images])


def frame(ax, correct):
    """Draw a frame around the image in ``ax``: green and solid if ``correct``, red and dashed if not."""
    style = RIGHT_STYLE if correct else WRONG_STYLE
    for spine in ax.spines.values():
        spine.set_visible(True)
        spine.set_edgecolor(style["edgecolor"])
        spine.set_linestyle(style["linestyle"])
        spine.set_linewidth(3)
    ax.set_frame_on(True)


def plot_items(images, labels=None, gt_labels=None, per_row=10):
    """Grid of images ``(N, 28, 28)`` with their label names.

    ``labels`` are the shown (e.g. predicted) labels; with ``gt_labels`` each
    image gets a frame and a symbol: a solid green frame and a check mark if
    the label is right, a dashed red frame and a cross if it is wrong.
    """
    fig, axes = image_grid(len(images), per_row)
    for i, (ax, image) in enumerate(zip(axes, images)):
        ax.imshow(np.reshape(image, (28, 28)), cmap="Greys", interpolation="none")
        if labels is None:
            continue
        text = f"{LABEL_NAMES[int(labels[i])]} ({int(labels[i])})"
        if gt_labels is not None:
            correct = int(labels[i]) == int(gt_labels[i])
            frame(ax, correct)
            text = f"{(RIGHT_STYLE if correct else WRONG_STYLE)['symbol']} {text}"
        ax.set_xlabel(text, fontsize=7.5)
    return finish(fig)


def plot_mean_image(image, title="mean of all training images"):
    """One float image ``(28, 28)`` with a colour bar of its pixel values."""
    fig, ax = plt.subplots(figsize=(3.2, 2.8))
    shown = ax.imshow(image, cmap="Greys", interpolation="none")
    fig.colorbar(shown, ax=ax, label="pixel value")
    ax.set_title(title, fontsize=9)
    ax.set_xticks([])
    ax.set_yticks([])
    return finish(fig)


# === Figures of the network chapters: activations, neuron, layers, initialisation ===


# === Figures of the gradient chapters: Jacobians, objective, backpropagation ===


# === Figures of the training chapters: SGD, regression, classification ===
