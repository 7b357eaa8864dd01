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

# Curves differ by colour, line style and marker, so that they read without colour too.
CURVE_STYLES = [
    {"color": "#1b9e77", "linestyle": "-", "marker": "o"},
    {"color": "#d95f02", "linestyle": "--", "marker": "s"},
    {"color": "#7570b3", "linestyle": ":", "marker": "^"},
    {"color": "#e7298a", "linestyle": "-.", "marker": "D"},
]


def plot_curves(ax, x, curves, markevery=40):
    """Draw each ``name -> y`` of ``curves`` against ``x`` (all ``(n,)``) in its own style, with a legend."""
    for style, (name, y) in zip(CURVE_STYLES, curves.items()):
        ax.plot(x, y, label=name, linewidth=2, markersize=5, markevery=markevery, **style)
    ax.legend()
    ax.grid(alpha=0.3)


def activation_curves(x):
    """The three activations at ``x`` ``(n,)``: a dict ``name -> (n,)``."""
    from fashionlib.activations import identity, relu, sigmoid

    return {"identity": identity(x), "relu": relu(x), "sigmoid": sigmoid(x)}


def plot_activations(x_range=(-5, 5), y_range=(-1, 1)):
    """identity, relu and sigmoid on ``x_range``, the y axis limited to ``y_range``."""
    x = np.linspace(*x_range, 401)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    plot_curves(ax, x, activation_curves(x))
    ax.set_ylim(*y_range)
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel("activation $h(z)$")
    return finish(fig)


def plot_activation_derivatives(x_range=(-5, 5)):
    """The derivatives ``h'(z)`` of identity, relu and sigmoid: the diagonals of their Jacobians."""
    from fashionlib.jacobians import d_identity_d_x, d_relu_d_x, d_sigmoid_d_x

    x = np.linspace(*x_range, 401)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    plot_curves(ax, x, {"identity": np.diag(d_identity_d_x(x)), "relu": np.diag(d_relu_d_x(x)),
                        "sigmoid": np.diag(d_sigmoid_d_x(x))})
    ax.set_ylim(-0.1, 1.2)
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel("derivative $h'(z)$")
    return finish(fig)


def draw_node(ax, xy, text, radius=0.3, facecolor="white", fontsize=12):
    """A circle of ``radius`` at ``xy`` with ``text`` in its centre; returns the circle."""
    circle = plt.Circle(xy, radius, facecolor=facecolor, edgecolor="black", linewidth=1.5, zorder=3)
    ax.add_patch(circle)
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4)
    return circle


def draw_arrow(ax, start, end, text=None, text_at=0.35):
    """An arrow from ``start`` to ``end``, optionally labelled at fraction ``text_at`` of its length."""
    ax.annotate("", xy=end, xytext=start, arrowprops={"arrowstyle": "-|>", "color": "0.3", "linewidth": 1.2,
                                                       "shrinkA": 0, "shrinkB": 0})
    if text is not None:
        x, y = (1 - text_at) * np.asarray(start) + text_at * np.asarray(end)
        ax.text(x, y + 0.12, text, ha="center", va="bottom", fontsize=11,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5})


def plot_neuron():
    """One neuron: inputs ``x_1 .. x_m`` and the constant 1, weighted edges ``w_j``, the sum, ``h``, the output."""
    fig, ax = plt.subplots(figsize=(7.5, 4))
    inputs = [("$x_1$", "$w_1$"), ("$x_2$", "$w_2$"), ("$\\vdots$", None), ("$x_m$", "$w_m$"), ("$1$", "$w_{m+1}$")]
    sum_xy, h_xy, out_xy = (3.2, 2.0), (5.0, 2.0), (6.8, 2.0)
    for k, (name, weight) in enumerate(inputs):
        xy = (0.5, 4.0 - k)
        if weight is None:
            ax.text(*xy, name, ha="center", va="center", fontsize=14)
            continue
        draw_node(ax, xy, name, facecolor="0.9" if name == "$1$" else "white")
        end = np.asarray(sum_xy) - 0.42 * (np.asarray(sum_xy) - xy) / np.hypot(*(np.asarray(sum_xy) - xy))
        draw_arrow(ax, (xy[0] + 0.3, xy[1]), end, weight, text_at=0.45)
    draw_node(ax, sum_xy, "$\\Sigma$", radius=0.42, fontsize=16)
    ax.add_patch(plt.Rectangle((h_xy[0] - 0.4, h_xy[1] - 0.4), 0.8, 0.8, facecolor="white", edgecolor="black",
                               linewidth=1.5, zorder=3))
    ax.text(*h_xy, "$h$", ha="center", va="center", fontsize=16, zorder=4)
    draw_arrow(ax, (sum_xy[0] + 0.42, 2.0), (h_xy[0] - 0.4, 2.0), "$z$", text_at=0.5)
    draw_arrow(ax, (h_xy[0] + 0.4, 2.0), (out_xy[0] - 0.2, 2.0))
    ax.text(out_xy[0], 2.0, "$a = h(z)$", ha="left", va="center", fontsize=13)
    ax.text(sum_xy[0], 0.9, "$z = \\mathbf{w}^\\top [\\mathbf{x}; 1]$", ha="center", va="top", fontsize=12)
    ax.set_xlim(0, 8.2)
    ax.set_ylim(-0.5, 4.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return finish(fig)


def layer_names(network_shape):
    """Names of the layers of ``[m_0, ..., m_n]``: input, hidden 1 .. n-1, output."""
    n = len(network_shape) - 1
    return ["input"] + [f"hidden {i}" for i in range(1, n)] + ["output"]


def plot_network(network_shape):
    """A fully connected network ``[m_0, ..., m_n]``: one circle per neuron, an edge per weight (biases not drawn)."""
    fig, ax = plt.subplots(figsize=(1.9 * len(network_shape) + 1, 0.8 * max(network_shape) + 1.2))
    positions = [[(2.0 * i, (m - 1) / 2 - j) for j in range(m)] for i, m in enumerate(network_shape)]
    for left, right in zip(positions[:-1], positions[1:]):
        for a in left:
            for b in right:
                ax.plot([a[0], b[0]], [a[1], b[1]], color="0.6", linewidth=0.8, zorder=1)
    for i, (layer, name) in enumerate(zip(positions, layer_names(network_shape))):
        for j, xy in enumerate(layer):
            draw_node(ax, xy, f"$a^{{({i})}}_{{{j + 1}}}$" if i else f"$x_{{{j + 1}}}$", radius=0.34,
                      facecolor="0.9" if i in (0, len(positions) - 1) else "white", fontsize=10)
        ax.text(2.0 * i, -max(network_shape) / 2 - 0.2, f"{name}\n$m_{i} = {len(layer)}$", ha="center",
                va="top", fontsize=10)
    ax.set_aspect("equal")
    ax.set_xlim(-0.6, 2.0 * (len(network_shape) - 1) + 0.6)
    ax.set_ylim(-max(network_shape) / 2 - 1.2, max(network_shape) / 2 + 0.1)
    ax.axis("off")
    return finish(fig)


def plot_network_layers(network_shape):
    """The network ``[m_0, ..., m_n]`` as one box per layer, labelled with its width and ``W^(i)``'s shape."""
    fig, ax = plt.subplots(figsize=(1.8 * len(network_shape), 1.5))
    for i, (m, name) in enumerate(zip(network_shape, layer_names(network_shape))):
        x = 3.0 * i
        ax.add_patch(plt.Rectangle((x - 1.1, -0.8), 2.2, 1.6, facecolor="0.92" if i == 0 else "white",
                                   edgecolor="black", linewidth=1.5))
        if i == 0:
            text = f"{name}\n$\\mathbf{{x}} \\in \\mathbb{{R}}^{{{m}}}$"
        else:
            text = (f"{name}\n$\\mathbf{{a}}^{{({i})}} \\in \\mathbb{{R}}^{{{m}}}$\n"
                    f"$\\mathbf{{W}}^{{({i})}}$: ${m} \\times {network_shape[i - 1] + 1}$")
        ax.text(x, 0, text, ha="center", va="center", fontsize=9)
        if i:
            draw_arrow(ax, (x - 1.9, 0), (x - 1.1, 0))
    ax.set_xlim(-1.3, 3.0 * (len(network_shape) - 1) + 1.3)
    ax.set_ylim(-1, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    return finish(fig)


def plot_layer_stds(panels, ylabel="std of $z^{(i)}$"):
    """One log-scale panel per ``title -> {name -> stds per layer}``; layer ``i`` is at ``x = i`` (from 1)."""
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.8), sharey=True, squeeze=False)
    for ax, (title, curves) in zip(axes[0], panels.items()):
        layers = np.arange(1, len(next(iter(curves.values()))) + 1)
        plot_curves(ax, layers, curves, markevery=1)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("layer $i$")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0, 0].set_ylabel(ylabel)
    return finish(fig)



# === Figures of the gradient chapters: Jacobians, objective, backpropagation ===


# === Figures of the training chapters: SGD, regression, classification ===
