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


def image_grid(num_images, per_row=10, cell=1.6):
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
        ax.set_xlabel(text, fontsize=8)
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

def moving_average(values, window):
    """Mean of each run of ``window`` consecutive entries of ``values`` ``(N,)``: shape ``(N - window + 1,)``.

    Entry ``k`` averages ``values[k : k + window]``; ``window`` is clipped to ``1..N``.
    """
    values = np.asarray(values, dtype=float)
    window = int(np.clip(window, 1, max(len(values), 1)))
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window


LINE_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]


def plot_learning_curves(runs, window=500):
    """Training loss (moving average over ``window`` samples) and held-out accuracy against samples seen.

    ``runs`` maps a legend label to a dict with ``losses`` (per-sample losses
    ``(N,)``, in training order), ``samples`` (samples seen at each evaluation,
    ``(K,)``) and ``accuracy`` (percent at those points, ``(K,)``).  Runs differ
    in line style and marker as well as colour.  The loss axis is logarithmic.
    """
    fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 3.8))
    for (label, run), (line, marker) in zip(runs.items(), LINE_STYLES * len(runs)):
        losses = np.asarray(run["losses"], dtype=float)
        losses = losses[np.isfinite(losses)]
        smooth = moving_average(losses, window)
        seen = (np.arange(len(smooth)) + min(window, len(losses))) / 1000
        ax_loss.plot(seen, smooth, linestyle=line, label=label)
        ax_accuracy.plot(np.asarray(run["samples"]) / 1000, run["accuracy"], linestyle=line, marker=marker,
                         markersize=4, label=label)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("training samples seen (thousands)")
    ax_loss.set_ylabel(f"training loss, mean of last {window}")
    ax_accuracy.set_xlabel("training samples seen (thousands)")
    ax_accuracy.set_ylabel("validation accuracy (%)")
    ax_accuracy.set_ylim(0, 100)
    for ax in (ax_loss, ax_accuracy):
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    return finish(fig)


def plot_confusion_matrix(counts, label_names=LABEL_NAMES):
    """Confusion matrix ``counts`` ``(K, K)``: row = true label, column = predicted label.

    Every cell shows its count as a number, so the figure reads without
    colour; the grey level only repeats it.
    """
    counts = np.asarray(counts)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    ax.imshow(counts, cmap="Greys", interpolation="none")
    threshold = counts.max() / 2
    for (t, p), count in np.ndenumerate(counts):
        ax.text(p, t, str(count), ha="center", va="center", fontsize=8,
                color="white" if count > threshold else "black")
    ticks = [f"{name} ({k})" for k, name in enumerate(label_names)]
    ax.set_xticks(range(len(ticks)), ticks, rotation=45, ha="right", fontsize=8)
    ax.set_yticks(range(len(ticks)), ticks, fontsize=8)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    return finish(fig)


def plot_accuracy_by_width(widths, accuracies, others=None, chosen=None):
    """Mean accuracy with error bars (one standard deviation over seeds) against hidden width, log axis.

    ``widths`` ``(W,)``; ``accuracies`` ``(W, S)``, one column per seed.
    ``others`` maps a label (e.g. a deeper network) to ``(x, accuracies (S,))``,
    drawn as separate square markers; ``chosen`` (a width) is circled.
    """
    accuracies = np.asarray(accuracies, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.errorbar(widths, accuracies.mean(axis=1), yerr=accuracies.std(axis=1), fmt="o-", capsize=4,
                label="one hidden layer (mean \u00b1 std over seeds)")
    for width, row in zip(widths, accuracies):
        ax.plot([width] * len(row), row, "x", color="grey", markersize=4)
    for label, (x, values) in (others or {}).items():
        values = np.asarray(values, dtype=float)
        ax.errorbar([x], [values.mean()], yerr=[values.std()], fmt="s", capsize=4, markersize=8,
                    markerfacecolor="white", label=label)
        ax.plot([x] * len(values), values, "x", color="grey", markersize=4)
    if chosen is not None:
        index = list(widths).index(chosen)
        ax.plot([chosen], [accuracies[index].mean()], "o", markersize=16, markerfacecolor="none",
                markeredgecolor="black", label=f"chosen width {chosen}")
    ax.set_xscale("log")
    ax.set_xticks(list(widths), [str(w) for w in widths])
    ax.minorticks_off()
    ax.set_xlabel("hidden units (log scale)")
    ax.set_ylabel("validation accuracy (%)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return finish(fig)


def plot_step_losses(runs):
    """Per-sample training loss against step number, one line per run, logarithmic loss axis.

    ``runs`` maps a legend label to the losses of the first steps ``(N,)``;
    non-finite losses are left out.  Runs differ in line style and marker.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for (label, losses), (line, marker) in zip(runs.items(), LINE_STYLES * len(runs)):
        losses = np.asarray(losses, dtype=float)
        steps = np.flatnonzero(np.isfinite(losses))
        ax.plot(steps, losses[steps], linestyle=line, marker=marker, markersize=4, label=label)
    ax.set_yscale("log")
    ax.set_xlabel("step (one training sample each)")
    ax.set_ylabel("loss of the sample before its update")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return finish(fig)
