"""Figures for the book, drawn with matplotlib.

Every function returns the ``matplotlib.figure.Figure`` it drew, already
closed, so that a notebook shows it exactly once (as the cell's value) and a
script can still ``savefig`` it.  Right and wrong predictions are
marked by colour and also by a symbol and line style, so that they read
without colour too.
"""

import itertools
from pathlib import Path

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager

from fashionlib.data import LABEL_NAMES
from fashionlib.jacobians import d_affine_d_W
from fashionlib.loss import d_l2_d_x, l2

#: Style of a right prediction (green, solid frame and a check mark).
RIGHT_STYLE = {"edgecolor": "#1a9850", "linestyle": "-", "symbol": "\u2713"}
#: Style of a wrong prediction (red, dashed frame and a cross).
WRONG_STYLE = {"edgecolor": "#d73027", "linestyle": "--", "symbol": "\u2717"}


def use_bundled_fonts():
    """Make sure matplotlib knows the fonts it ships with.

    Mathematics in a figure falls back to the bundled STIX fonts for symbols
    DejaVu Sans lacks.  A font list cached by another installation (in
    ``~/.cache/matplotlib``) can lack them, and every such figure then
    prints "findfont: Font family ['STIXGeneral'] not found" below it.
    Called once, when this module is imported.
    """
    known = {font.name for font in font_manager.fontManager.ttflist}
    if "STIXGeneral" in known:
        return
    bundled = Path(matplotlib.get_data_path(), "fonts", "ttf")
    for path in sorted(bundled.glob("*.ttf")):
        font_manager.fontManager.addfont(path)


use_bundled_fonts()


def finish(fig):
    """Tighten the layout of ``fig``, close it (no second display by the inline
    backend) and return it.
    """
    fig.tight_layout()
    plt.close(fig)
    return fig


def label_axes(ax, xlabel, ylabel):
    """Axis labels, a light grid and a small legend.

    The finish shared by the book's line plots.
    """
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)


def image_grid(num_images, per_row=10, cell=1.15):
    """A figure with ``num_images`` image axes in rows of ``per_row``.

    ``(figure, axes list)``.
    """
    rows = max(1, int(np.ceil(num_images / per_row)))
    columns = min(per_row, max(num_images, 1))
    fig, axes = plt.subplots(
        rows,
        columns,
        figsize=(cell * columns, (cell + 0.35) * rows),
        squeeze=False,
    )
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_frame_on(False)
    return fig, list(axes.ravel()[:num_images])


def frame(ax, correct):
    """Draw a frame around the image in ``ax``.

    Green and solid if ``correct``, red and dashed if not.
    """
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
    for i, (ax, image) in enumerate(zip(axes, images, strict=True)):
        ax.imshow(
            np.reshape(image, (28, 28)), cmap="Greys", interpolation="none"
        )
        if labels is None:
            continue
        text = f"{LABEL_NAMES[int(labels[i])]} ({int(labels[i])})"
        if gt_labels is not None:
            correct = int(labels[i]) == int(gt_labels[i])
            frame(ax, correct)
            text = (
                f"{(RIGHT_STYLE if correct else WRONG_STYLE)['symbol']} {text}"
            )
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


# === Figures of the network chapters: activations, neuron, layers,
# initialisation ===

# Curves differ by colour, line style and marker, so that they read without
# colour too.
#: Colour, line style and marker of each curve in the activation figures.
CURVE_STYLES = [
    {"color": "#1b9e77", "linestyle": "-", "marker": "o"},
    {"color": "#d95f02", "linestyle": "--", "marker": "s"},
    {"color": "#7570b3", "linestyle": ":", "marker": "^"},
    {"color": "#e7298a", "linestyle": "-.", "marker": "D"},
]


def plot_curves(ax, x, curves, markevery=40):
    """Draw each ``name -> y`` of ``curves`` against ``x`` (all ``(n,)``) in
    its own style, with a legend.
    """
    for style, (name, y) in zip(CURVE_STYLES, curves.items(), strict=False):
        ax.plot(
            x,
            y,
            label=name,
            linewidth=2,
            markersize=5,
            markevery=markevery,
            **style,
        )
    ax.legend()
    ax.grid(alpha=0.3)


def activation_curves(x):
    """The three activations at ``x`` ``(n,)``: a dict ``name -> (n,)``."""
    from fashionlib.activations import identity, relu, sigmoid

    return {"identity": identity(x), "relu": relu(x), "sigmoid": sigmoid(x)}


def plot_activations(x_range=(-5, 5), y_range=(-1, 1)):
    """identity, relu and sigmoid on ``x_range``, the y axis limited to
    ``y_range``.
    """
    x = np.linspace(*x_range, 401)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    plot_curves(ax, x, activation_curves(x))
    ax.set_ylim(*y_range)
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel("activation $h(z)$")
    return finish(fig)


def plot_activation_derivatives(x_range=(-5, 5)):
    """The derivatives ``h'(z)`` of identity, relu and sigmoid.

    The diagonals of their Jacobians.
    """
    from fashionlib.jacobians import d_identity_d_x, d_relu_d_x, d_sigmoid_d_x

    x = np.linspace(*x_range, 401)
    fig, ax = plt.subplots(figsize=(5.5, 3.6))
    plot_curves(
        ax,
        x,
        {
            "identity": np.diag(d_identity_d_x(x)),
            "relu": np.diag(d_relu_d_x(x)),
            "sigmoid": np.diag(d_sigmoid_d_x(x)),
        },
    )
    ax.set_ylim(-0.1, 1.2)
    ax.set_xlabel("pre-activation $z$")
    ax.set_ylabel("derivative $h'(z)$")
    return finish(fig)


def draw_node(ax, xy, text, radius=0.3, facecolor="white", fontsize=12):
    """A circle of ``radius`` at ``xy`` with ``text`` in its centre.

    Returns the circle.
    """
    circle = plt.Circle(
        xy,
        radius,
        facecolor=facecolor,
        edgecolor="black",
        linewidth=1.5,
        zorder=3,
    )
    ax.add_patch(circle)
    ax.text(*xy, text, ha="center", va="center", fontsize=fontsize, zorder=4)
    return circle


def draw_arrow(ax, start, end, text=None, text_at=0.35):
    """An arrow from ``start`` to ``end``, optionally labelled at fraction
    ``text_at`` of its length.
    """
    ax.annotate(
        "",
        xy=end,
        xytext=start,
        arrowprops={
            "arrowstyle": "-|>",
            "color": "0.3",
            "linewidth": 1.2,
            "shrinkA": 0,
            "shrinkB": 0,
        },
    )
    if text is not None:
        x, y = (1 - text_at) * np.asarray(start) + text_at * np.asarray(end)
        ax.text(
            x,
            y + 0.12,
            text,
            ha="center",
            va="bottom",
            fontsize=11,
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5},
        )


def plot_neuron():
    """One neuron.

    Inputs ``x_1 .. x_m`` and the constant 1, weighted edges ``w_j``, the sum,
    ``h``, the output.
    """
    fig, ax = plt.subplots(figsize=(7.5, 4))
    inputs = [
        ("$x_1$", "$w_1$"),
        ("$x_2$", "$w_2$"),
        ("$\\vdots$", None),
        ("$x_m$", "$w_m$"),
        ("$1$", "$w_{m+1}$"),
    ]
    sum_xy, h_xy, out_xy = (3.2, 2.0), (5.0, 2.0), (6.8, 2.0)
    for k, (name, weight) in enumerate(inputs):
        xy = (0.5, 4.0 - k)
        if weight is None:
            ax.text(*xy, name, ha="center", va="center", fontsize=14)
            continue
        draw_node(ax, xy, name, facecolor="0.9" if name == "$1$" else "white")
        end = np.asarray(sum_xy) - 0.42 * (np.asarray(sum_xy) - xy) / np.hypot(
            *(np.asarray(sum_xy) - xy)
        )
        draw_arrow(ax, (xy[0] + 0.3, xy[1]), end, weight, text_at=0.45)
    draw_node(ax, sum_xy, "$\\Sigma$", radius=0.42, fontsize=16)
    ax.add_patch(
        plt.Rectangle(
            (h_xy[0] - 0.4, h_xy[1] - 0.4),
            0.8,
            0.8,
            facecolor="white",
            edgecolor="black",
            linewidth=1.5,
            zorder=3,
        )
    )
    ax.text(*h_xy, "$h$", ha="center", va="center", fontsize=16, zorder=4)
    draw_arrow(
        ax, (sum_xy[0] + 0.42, 2.0), (h_xy[0] - 0.4, 2.0), "$i$", text_at=0.5
    )
    draw_arrow(ax, (h_xy[0] + 0.4, 2.0), (out_xy[0] - 0.2, 2.0))
    ax.text(out_xy[0], 2.0, "$h(i)$", ha="left", va="center", fontsize=13)
    ax.text(
        sum_xy[0],
        0.9,
        "$i = \\mathbf{w}^\\top \\tilde{\\mathbf{x}}$",
        ha="center",
        va="top",
        fontsize=12,
    )
    ax.set_xlim(0, 8.2)
    ax.set_ylim(-0.5, 4.6)
    ax.set_aspect("equal")
    ax.axis("off")
    return finish(fig)


def layer_names(network_shape):
    """Names of the layers of ``[m_0, ..., m_n]``: input, hidden 1 ..

    N-1, output.
    """
    n = len(network_shape) - 1
    return ["input"] + [f"hidden {i}" for i in range(1, n)] + ["output"]


def plot_network(network_shape):
    """A fully connected network ``[m_0, ..., m_n]``.

    One circle per neuron, an edge per weight (biases not drawn).
    """
    fig, ax = plt.subplots(
        figsize=(1.9 * len(network_shape) + 1, 0.8 * max(network_shape) + 1.2)
    )
    positions = [
        [(2.0 * i, (m - 1) / 2 - j) for j in range(m)]
        for i, m in enumerate(network_shape)
    ]
    for left, right in zip(positions[:-1], positions[1:], strict=True):
        for a in left:
            for b in right:
                ax.plot(
                    [a[0], b[0]],
                    [a[1], b[1]],
                    color="0.6",
                    linewidth=0.8,
                    zorder=1,
                )
    for i, (layer, name) in enumerate(
        zip(positions, layer_names(network_shape), strict=True)
    ):
        for j, xy in enumerate(layer):
            draw_node(
                ax,
                xy,
                f"$x_{{{i},{j + 1}}}$",  # entry j + 1 of x_i
                radius=0.34,
                facecolor="0.9" if i in (0, len(positions) - 1) else "white",
                fontsize=10,
            )
        ax.text(
            2.0 * i,
            -max(network_shape) / 2 - 0.2,
            f"{name}\n$m_{i} = {len(layer)}$",
            ha="center",
            va="top",
            fontsize=10,
        )
    ax.set_aspect("equal")
    ax.set_xlim(-0.6, 2.0 * (len(network_shape) - 1) + 0.6)
    ax.set_ylim(-max(network_shape) / 2 - 1.2, max(network_shape) / 2 + 0.1)
    ax.axis("off")
    return finish(fig)


def plot_network_layers(network_shape):
    """The network ``[m_0, ..., m_n]`` as one box per layer, labelled with its
    width and ``W^(i)``'s shape.
    """
    fig, ax = plt.subplots(figsize=(1.8 * len(network_shape), 1.5))
    for i, (m, name) in enumerate(
        zip(network_shape, layer_names(network_shape), strict=True)
    ):
        x = 3.0 * i
        ax.add_patch(
            plt.Rectangle(
                (x - 1.1, -0.8),
                2.2,
                1.6,
                facecolor="0.92" if i == 0 else "white",
                edgecolor="black",
                linewidth=1.5,
            )
        )
        if i == 0:
            text = f"{name}\n$\\mathbf{{x}}_0 \\in \\mathbb{{R}}^{{{m}}}$"
        else:
            text = (
                f"{name}\n$\\mathbf{{x}}_{i} \\in \\mathbb{{R}}^{{{m}}}$\n"
                f"$\\mathbf{{W}}_{i}$: "
                f"${m} \\times {network_shape[i - 1] + 1}$"
            )
        ax.text(x, 0, text, ha="center", va="center", fontsize=9)
        if i:
            draw_arrow(ax, (x - 1.9, 0), (x - 1.1, 0))
    ax.set_xlim(-1.3, 3.0 * (len(network_shape) - 1) + 1.3)
    ax.set_ylim(-1, 1)
    ax.set_aspect("equal")
    ax.axis("off")
    return finish(fig)


def plot_layer_stds(panels, ylabel="std of $\\mathbf{i}_k$"):
    """One log-scale panel per ``title -> {name -> stds per layer}``.

    Layer ``k`` is at ``x = k`` (from 1).
    """
    fig, axes = plt.subplots(
        1,
        len(panels),
        figsize=(5.2 * len(panels), 3.8),
        sharey=True,
        squeeze=False,
    )
    for ax, (title, curves) in zip(axes[0], panels.items(), strict=True):
        layers = np.arange(1, len(next(iter(curves.values()))) + 1)
        plot_curves(ax, layers, curves, markevery=1)
        ax.set_yscale("log")
        ax.set_title(title, fontsize=11)
        ax.set_xlabel("layer $k$")
        ax.xaxis.get_major_locator().set_params(integer=True)
    axes[0, 0].set_ylabel(ylabel)
    return finish(fig)


# === Figures of the gradient chapters: Jacobians, objective, backpropagation
# ===


#: Diverging colour map of the Jacobian figures (blue negative, red positive).
JACOBIAN_COLOURS = "RdBu_r"


def jacobian_scale(*matrices):
    """The largest magnitude over ``matrices``: one colour scale for all.

    The entries of every panel drawn with it map to ``[-scale, scale]``, so
    equal values get equal colours across the panels of a figure.
    """
    return max(max(float(np.abs(M).max()) for M in matrices), 1e-12)


def draw_jacobian(ax, J, scale=None, annotate=None):
    """Draw the matrix ``J`` ``(m_out, m_in)`` as a grid of cells in ``ax``,
    row 0 at the top.

    A non-zero entry is coloured by its value on the diverging map
    ``JACOBIAN_COLOURS`` over ``[-scale, scale]`` (default: the largest
    magnitude in ``J``; pass ``jacobian_scale`` of all panels to share it);
    a zero entry is white and hatched, so zeros and non-zeros differ without
    colour.  With ``annotate`` (default: when ``J`` has at most 150
    entries) every cell shows its value.
    """
    J = np.atleast_2d(np.asarray(J, dtype=float))
    rows, columns = J.shape
    scale = jacobian_scale(J) if scale is None else scale
    colours = matplotlib.colormaps[JACOBIAN_COLOURS]
    annotate = J.size <= 150 if annotate is None else annotate
    for i, j in itertools.product(range(rows), range(columns)):
        value = J[i, j] + 0.0  # + 0.0 turns -0.0 into 0.0
        zero = {"facecolor": "white", "edgecolor": "#bbbbbb", "hatch": "///"}
        filled = {
            "facecolor": colours(0.5 + 0.5 * value / scale),
            "edgecolor": "#888888",
        }
        ax.add_patch(
            plt.Rectangle(
                (j - 0.5, i - 0.5),
                1,
                1,
                linewidth=0.5,
                **(zero if value == 0 else filled),
            )
        )
        if annotate:
            ax.text(
                j,
                i,
                f"{value:.3g}",
                ha="center",
                va="center",
                fontsize=7,
                color="white" if abs(value) / scale > 0.6 else "black",
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 0.5}
                if value == 0
                else None,
            )
    ax.set_xlim(-0.5, columns - 0.5)
    ax.set_ylim(rows - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.set_xticks(range(columns))
    ax.set_yticks(range(rows))
    ax.tick_params(length=0, labelsize=8)


def finish_jacobians(fig, axes, scale):
    """``finish`` with one colour bar beside the Jacobian panels ``axes``,
    all drawn with the colour ``scale``.
    """
    fig.tight_layout()
    shown = matplotlib.cm.ScalarMappable(
        matplotlib.colors.Normalize(-scale, scale), JACOBIAN_COLOURS
    )
    fig.colorbar(shown, ax=axes, label="entry value (0: hatched)", shrink=0.8)
    plt.close(fig)
    return fig


def plot_elementwise_jacobians(x, jacobians):
    """Side by side, the ``(m, m)`` Jacobians of element-wise functions at one
    input ``x`` ``(m,)``.

    ``jacobians`` maps a name (the panel's title) to a function ``x -> J``.
    Each column is labelled by ``j`` and the input value ``x_j``.
    """
    x = np.asarray(x, dtype=float)
    fig, axes = plt.subplots(
        1,
        len(jacobians),
        figsize=(2.6 * len(jacobians) + 1.4, 3.2),
        squeeze=False,
    )
    matrices = {name: d_f(x) for name, d_f in jacobians.items()}
    scale = jacobian_scale(*matrices.values())
    for ax, (name, J) in zip(axes[0], matrices.items(), strict=True):
        draw_jacobian(ax, J, scale)
        # outline the diagonal, where an element-wise Jacobian may be non-zero
        for j in range(x.size):
            ax.add_patch(
                plt.Rectangle(
                    (j - 0.5, j - 0.5),
                    1,
                    1,
                    facecolor="none",
                    edgecolor="black",
                    linewidth=1.5,
                )
            )
        ax.set_xticklabels([f"{j}\n{value:g}" for j, value in enumerate(x)])
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("input index $j$ and value $x_j$", fontsize=8)
    axes[0][0].set_ylabel("output index $i$")
    return finish_jacobians(fig, list(axes[0]), scale)


def plot_affine_x_jacobian(W):
    """The Jacobian of ``affine(x, W)`` with respect to ``x``, drawn beside the
    bias column of ``W`` ``(m_out, m_in + 1)``.

    The Jacobian is ``W[:, :-1]``; the dropped bias column is drawn to its
    right, dashed and crossed out, because it does not depend on ``x``.
    """
    W = np.asarray(W, dtype=float)
    m_out, m_in = W.shape[0], W.shape[1] - 1
    fig, ax = plt.subplots(figsize=(0.6 * (m_in + 1) + 3.4, 0.6 * m_out + 1.5))
    scale = jacobian_scale(W[:, :-1])
    draw_jacobian(ax, W[:, :-1], scale)
    for i in range(m_out):
        ax.add_patch(
            plt.Rectangle(
                (m_in - 0.5, i - 0.5),
                1,
                1,
                facecolor="white",
                edgecolor="black",
                hatch="xx",
                linestyle="--",
                linewidth=0.8,
            )
        )
        ax.text(
            m_in,
            i,
            f"({W[i, -1]:.3g})",
            ha="center",
            va="center",
            fontsize=7,
            color="#555555",
            bbox={"facecolor": "white", "edgecolor": "none", "pad": 1},
        )
    ax.add_patch(
        plt.Rectangle(
            (-0.5, -0.5),
            m_in,
            m_out,
            facecolor="none",
            edgecolor="black",
            linewidth=2,
        )
    )
    ax.set_xlim(-0.5, m_in + 0.5)
    ax.set_xticks(range(m_in + 1))
    ax.set_xticklabels([str(j) for j in range(m_in)] + ["bias\n(dropped)"])
    ax.set_title(
        "$J$ of affine w.r.t. $x$: $W$ without its bias column", fontsize=10
    )
    ax.set_ylabel("output index $i$")
    ax.set_xlabel("input index $j$")
    return finish_jacobians(fig, ax, scale)


def plot_affine_W_jacobian(x, W):
    """The ``(m_out, m_out (m_in + 1))`` Jacobian of ``affine(x, W)`` with
    respect to ``W`` flattened row by row.

    Each block of ``m_in + 1`` columns belongs to one row ``r`` of ``W``;
    blocks are outlined and labelled, columns are labelled by the flattened
    index and by ``W_{r,l}`` (``r``, not ``k``: the book's ``k`` counts
    layers).
    """
    W = np.asarray(W, dtype=float)
    m_out, width = W.shape
    J = d_affine_d_W(x, W)  # the Kronecker product I (x) [x; 1]^T
    fig, ax = plt.subplots(
        figsize=(0.55 * J.shape[1] + 2.4, 0.55 * m_out + 2.0)
    )
    scale = jacobian_scale(J)
    draw_jacobian(ax, J, scale)
    for r in range(m_out):
        ax.add_patch(
            plt.Rectangle(
                (r * width - 0.5, -0.5),
                width,
                m_out,
                facecolor="none",
                edgecolor="black",
                linewidth=1.2,
                linestyle=":",
            )
        )
        ax.add_patch(
            plt.Rectangle(
                (r * width - 0.5, r - 0.5),
                width,
                1,
                facecolor="none",
                edgecolor="black",
                linewidth=2.2,
            )
        )
        ax.text(
            r * width + (width - 1) / 2,
            -0.75,
            f"row {r} of $W$",
            ha="center",
            va="bottom",
            fontsize=8,
        )
    ax.set_ylim(m_out - 0.5, -1.3)
    ax.set_yticks(range(m_out))
    ax.set_xticklabels(
        [f"{n}\n$W_{{{n // width},{n % width}}}$" for n in range(J.shape[1])],
        fontsize=7,
    )
    ax.set_title(
        "$J$ of affine w.r.t. $W$: $[x;\\,1]^\\top$ repeated along the"
        " diagonal",
        fontsize=10,
    )
    ax.set_ylabel("output index $i$")
    ax.set_xlabel("flattened index of $W_{r,l}$, that is $r\\,(m_{in}+1) + l$")
    for side in ax.spines.values():
        side.set_visible(False)
    return finish_jacobians(fig, ax, scale)


def plot_l2_of_one_prediction(label=8, half_width=6.0):
    """The loss ``l2([x], [label])`` and its derivative over predictions ``x``
    in ``label +- half_width``.
    """
    x = np.linspace(label - half_width, label + half_width, 121)
    loss = [l2([value], [label]) for value in x]
    slope = [d_l2_d_x([value], [label])[0, 0] for value in x]
    fig, ax = plt.subplots(figsize=(5.2, 3.2))
    ax.plot(
        x, loss, color="black", linewidth=2, label=f"loss $l_2(x, {label})$"
    )
    ax.plot(
        x,
        slope,
        color="#555555",
        linestyle="--",
        label=f"derivative $2\\,(x - {label:g})$",
    )
    ax.axhline(0, color="#999999", linewidth=0.6)
    ax.plot(
        [label],
        [0],
        marker="o",
        color="black",
        linestyle="none",
        label=f"minimum at $x = {label}$",
    )
    ax.set_xlabel("prediction $x$ of the network")
    ax.set_ylabel("value")
    ax.legend(fontsize=8, frameon=False, loc="upper center")
    return finish(fig)


def plot_backprop_timings(timings):
    """Points at the median time per training sample (ms), one per variant.

    ``timings`` maps a network name to ``{variant name: seconds}``.  Each
    time is a point on a logarithmic axis (a position, not a bar, so that
    ratios read as distances), labelled with its value; variants differ by
    marker.
    """
    variant_names = list(
        dict.fromkeys(v for variants in timings.values() for v in variants)
    )
    marker = dict(zip(variant_names, "osD^v", strict=False))
    fig, ax = plt.subplots(
        figsize=(6.4, 0.45 * sum(len(v) for v in timings.values()) + 1.2)
    )
    y, ticks, names = 0, [], []
    for network, variants in timings.items():
        for variant, seconds in variants.items():
            milliseconds = 1e3 * seconds
            ax.plot(
                milliseconds,
                y,
                marker=marker[variant],
                color="black",
                linestyle="none",
            )
            ax.text(
                milliseconds * 1.25,
                y,
                f"{milliseconds:.3g} ms",
                va="center",
                fontsize=8,
            )
            ticks.append(y)
            names.append(f"{network}: {variant}")
            y += 1
        y += 0.5
    ax.set_xscale("log")
    ax.grid(axis="x", which="both", color="0.85", linewidth=0.5)
    ax.set_yticks(ticks)
    ax.set_yticklabels(names, fontsize=8)
    ax.invert_yaxis()
    left, right = ax.get_xlim()
    ax.set_xlim(left / 1.5, right * 4)
    ax.set_xlabel("median time of backprop_nn_W per sample (ms, log scale)")
    return finish(fig)


# === Figures of the training chapters: SGD, regression, classification ===


def moving_average(values, window):
    """Mean of each run of ``window`` consecutive entries of ``values``
    ``(N,)``: shape ``(N - window + 1,)``.

    Entry ``k`` averages ``values[k : k + window]``; ``window`` is clipped to
    ``1..N``.
    """
    values = np.asarray(values, dtype=float)
    window = int(np.clip(window, 1, max(len(values), 1)))
    sums = np.cumsum(np.concatenate([[0.0], values]))
    return (sums[window:] - sums[:-window]) / window


#: Line style and marker of each run in the learning-curve figures.
LINE_STYLES = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]


def styled(runs, markersize=4):
    """Yield ``(label, run, style)`` for each item of the dict ``runs``, where
    ``style`` holds the keywords of ``Axes.plot`` that give each run its own
    line style and marker (cycling through LINE_STYLES) and its label."""
    styles = itertools.cycle(LINE_STYLES)
    for label, run in runs.items():
        line, marker = next(styles)
        style = dict(linestyle=line, marker=marker, label=label)
        style["markersize"] = markersize
        yield label, run, style


def plot_learning_curves(runs, window=500):
    """Training loss (moving average over ``window`` samples) and held-out
    accuracy against samples seen.

    ``runs`` maps a legend label to a dict with ``losses`` (per-sample losses
    ``(N,)``, in training order), ``samples`` (samples seen at each evaluation,
    ``(K,)``) and ``accuracy`` (percent at those points, ``(K,)``).  Runs
    differ in line style and marker as well as colour.  The loss axis is
    logarithmic.
    """
    fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 3.8))
    for label, run, style in styled(runs):
        losses = np.asarray(run["losses"], dtype=float)
        losses = losses[np.isfinite(losses)]
        smooth = moving_average(losses, window)
        seen = (np.arange(len(smooth)) + min(window, len(losses))) / 1000
        ax_loss.plot(seen, smooth, linestyle=style["linestyle"], label=label)
        samples = np.asarray(run["samples"]) / 1000
        ax_accuracy.plot(samples, run["accuracy"], **style)
    ax_loss.set_yscale("log")
    ax_accuracy.set_ylim(0, 100)
    label_axes(
        ax_loss,
        "training samples seen (thousands)",
        f"training loss, mean of last {window}",
    )
    label_axes(
        ax_accuracy,
        "training samples seen (thousands)",
        "validation accuracy (%)",
    )
    return finish(fig)


def plot_confusion_matrix(counts, label_names=LABEL_NAMES):
    """Confusion matrix ``counts`` ``(K, K)``.

    Row = true label, column = predicted label.

    Every cell shows its count as a number, so the figure reads without colour;
    the grey level only repeats it.
    """
    counts = np.asarray(counts)
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    ax.imshow(counts, cmap="Greys", interpolation="none")
    threshold = counts.max() / 2
    for (t, p), count in np.ndenumerate(counts):
        ax.text(
            p,
            t,
            str(count),
            ha="center",
            va="center",
            fontsize=8,
            color="white" if count > threshold else "black",
        )
    ticks = [f"{name} ({k})" for k, name in enumerate(label_names)]
    ax.set_xticks(
        range(len(ticks)), ticks, rotation=45, ha="right", fontsize=8
    )
    ax.set_yticks(range(len(ticks)), ticks, fontsize=8)
    ax.set_xlabel("predicted label")
    ax.set_ylabel("true label")
    return finish(fig)


def plot_accuracy_by_width(
    widths,
    accuracies,
    others=None,
    chosen=None,
    xlabel="hidden units (log scale)",
    tick_labels=None,
):
    """Mean accuracy with error bars (one sd over seeds) against size (log).

    ``widths`` ``(W,)``: the horizontal positions, hidden widths or (with
    ``xlabel`` saying so) numbers of weights; ``tick_labels`` names them
    (default: the numbers).  ``accuracies`` ``(W, S)``, one column per seed.
    ``others`` maps a label (e.g. a deeper network) to ``(x, accuracies
    (S,))``, drawn as separate square markers; ``chosen`` (an entry of
    ``widths``) is circled.
    """
    accuracies = np.asarray(accuracies, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.errorbar(
        widths,
        accuracies.mean(axis=1),
        yerr=accuracies.std(axis=1),
        fmt="o-",
        capsize=4,
        label="one hidden layer (mean \u00b1 std over seeds)",
    )
    for width, row in zip(widths, accuracies, strict=True):
        ax.plot([width] * len(row), row, "x", color="grey", markersize=4)
    for label, (x, values) in (others or {}).items():
        values = np.asarray(values, dtype=float)
        ax.errorbar(
            [x],
            [values.mean()],
            yerr=[values.std()],
            fmt="s",
            capsize=4,
            markersize=8,
            markerfacecolor="white",
            label=label,
        )
        ax.plot([x] * len(values), values, "x", color="grey", markersize=4)
    if chosen is not None:
        index = list(widths).index(chosen)
        ax.plot(
            [chosen],
            [accuracies[index].mean()],
            "o",
            markersize=16,
            markerfacecolor="none",
            markeredgecolor="black",
            label=f"chosen: {tick_labels[index] if tick_labels else chosen}",
        )
    ax.set_xscale("log")
    ax.set_xticks(list(widths), tick_labels or [str(w) for w in widths])
    ax.minorticks_off()
    label_axes(ax, xlabel, "validation accuracy (%)")
    return finish(fig)


def plot_step_losses(runs):
    """Per-sample training loss against step number, one line per run,
    logarithmic loss axis.

    ``runs`` maps a legend label to the losses of the first steps ``(N,)``;
    non-finite losses are left out.  Runs differ in line style and marker.
    """
    fig, ax = plt.subplots(figsize=(6.5, 3.6))
    for _, losses, style in styled(runs):
        losses = np.asarray(losses, dtype=float)
        steps = np.flatnonzero(np.isfinite(losses))
        ax.plot(steps, losses[steps], **style)
    ax.set_yscale("log")
    label_axes(
        ax,
        "step (one training sample each)",
        "loss of the sample before its update",
    )
    return finish(fig)


def plot_histogram(values, xlabel, edge, bins=60):
    """Histogram of ``values`` ``(N,)``, the part below ``edge`` hatched.

    A dashed vertical line marks ``edge``; the legend gives the share of
    the values on each side of it.
    """
    values = np.asarray(values, dtype=float)
    fig, ax = plt.subplots(figsize=(6.5, 3.2))
    bins = np.linspace(values.min(), values.max(), bins + 1)
    below = values < edge
    for part, hatch, colour, side in [
        (values[below], "///", "#d95f02", "below"),
        (values[~below], None, "#1b9e77", "at or above"),
    ]:
        ax.hist(
            part,
            bins=bins,
            color=colour,
            hatch=hatch,
            edgecolor="white" if hatch is None else "black",
            linewidth=0.3,
            label=f"{100 * len(part) / len(values):.1f} % {side} {edge:g}",
        )
    ax.axvline(edge, color="black", linestyle="--", linewidth=1)
    label_axes(ax, xlabel, "number of images")
    return finish(fig)


# === Figures of the beyond-the-homework chapter (mini-batch engine) ===


def plot_epoch_history(histories):
    """Training loss and validation accuracy per epoch of mini-batch runs, side
    by side.

    ``histories`` maps a legend label to a history dict of
    :func:`fashionlib.batch.fit` (lists ``epoch``, ``train_loss``,
    ``validation_accuracy``).  Runs differ in line style and marker as well as
    colour.
    """
    fig, (ax_loss, ax_accuracy) = plt.subplots(1, 2, figsize=(10, 3.8))
    for _, history, style in styled(histories, markersize=3):
        ax_loss.plot(history["epoch"], history["train_loss"], **style)
        accuracy = history["validation_accuracy"]
        ax_accuracy.plot(history["epoch"], accuracy, **style)
    ax_loss.set_yscale("log")
    label_axes(ax_loss, "epoch", "mean training loss of the epoch")
    label_axes(ax_accuracy, "epoch", "validation accuracy (%)")
    return finish(fig)


def plot_mistakes(images, predicted, true, per_row=10):
    """Wrongly classified images ``(N, 28, 28)``.

    :func:`plot_items` frames, plus the true label under each.
    """
    fig = plot_items(images, predicted, gt_labels=true, per_row=per_row)
    for ax, label in zip(fig.axes, true, strict=False):
        ax.set_xlabel(
            f"{ax.get_xlabel()}\ntrue: {LABEL_NAMES[int(label)]}", fontsize=7.5
        )
    return finish(fig)


def plot_templates(W, captions=None, per_row=10):
    """Rows of a first-layer weight matrix W_1 ``(m_1, 785)`` as 28x28 images.

    The bias column is dropped; each image gets its own colour scale,
    symmetric about 0 (orange = positive weight, purple = negative,
    white = 0), so a template shows which pixels raise and which lower the
    unit's input i_1.  ``captions`` (``m_1`` strings) are written under the
    images.
    """
    templates = np.asarray(W)[:, :-1]
    fig, axes = image_grid(len(templates), per_row, cell=1.25)
    for j, (ax, template) in enumerate(zip(axes, templates, strict=False)):
        limit = np.abs(template).max() or 1.0
        ax.imshow(
            template.reshape(28, 28),
            cmap="PuOr_r",
            vmin=-limit,
            vmax=limit,
            interpolation="none",
        )
        if captions is not None:
            ax.set_xlabel(captions[j], fontsize=7)
    return finish(fig)


def plot_train_validation(train_accuracy, validation_accuracy, chosen_epoch):
    """Training and validation accuracy ``(E,)`` per epoch 1..E.

    A vertical line marks ``chosen_epoch``, the epoch early stopping keeps.
    """
    epochs = np.arange(1, len(train_accuracy) + 1)
    fig, ax = plt.subplots(figsize=(6.5, 4))
    ax.plot(epochs, train_accuracy, "-o", markersize=3, label="training")
    ax.plot(
        epochs,
        validation_accuracy,
        "--s",
        markersize=3,
        label="validation",
    )
    ax.axvline(
        chosen_epoch,
        color="grey",
        linestyle=":",
        label=f"best validation: epoch {chosen_epoch}",
    )
    label_axes(ax, "epoch", "accuracy (%)")
    return finish(fig)


def plot_im2col(image, kernel=3, windows=((0, 0), (0, 1), (5, 9))):
    """An image ``(H, W)`` with a few ``kernel x kernel`` windows outlined,
    beside its window matrix (im2col, no padding) for the first rows.

    Each row of the matrix is one window's pixels in reading order; the
    outlined windows' rows are marked by arrows in the same colours, at the
    right of the matrix.  Both
    panels share one grey scale (the image's).
    """
    image = np.asarray(image, dtype=float)
    height, width = image.shape
    side = width - kernel + 1
    cols = np.lib.stride_tricks.sliding_window_view(image, (kernel, kernel))
    cols = cols.reshape(-1, kernel * kernel)
    last_row = max(i * side + j for i, j in windows) + 3
    fig, (ax_image, ax_cols) = plt.subplots(
        1, 2, figsize=(8, 4.2), gridspec_kw={"width_ratios": [1, 0.6]}
    )
    limits = {"vmin": image.min(), "vmax": image.max(), "cmap": "gray_r"}
    ax_image.imshow(image, interpolation="none", **limits)
    ax_cols.imshow(
        cols[:last_row], aspect="auto", interpolation="none", **limits
    )
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for (i, j), colour in zip(windows, colours, strict=False):
        ax_image.add_patch(
            plt.Rectangle(
                (j - 0.5, i - 0.5),
                kernel,
                kernel,
                fill=False,
                edgecolor=colour,
                linewidth=2,
            )
        )
        row = i * side + j
        ax_cols.annotate(
            f"window ({i}, {j})",
            xy=(kernel * kernel - 0.4, row),
            xytext=(kernel * kernel + 0.8, row),
            color=colour,
            fontsize=8,
            va="center",
            annotation_clip=False,
            arrowprops={"arrowstyle": "->", "color": colour},
        )
    ax_image.set_title(f"image, {height} x {width}", fontsize=9)
    ax_cols.set_title(
        f"window matrix: first {last_row} of {len(cols)} rows", fontsize=9
    )
    ax_cols.set_xlabel("pixel of the window (reading order)", fontsize=8)
    ax_cols.set_ylabel("row = window", fontsize=8)
    return finish(fig)


def plot_kernels(kernels, per_row=8):
    """Kernels ``(n, k, k)`` as small images on one shared colour scale,
    symmetric about 0 (orange = positive, purple = negative, white = 0),
    with a colour bar."""
    kernels = np.asarray(kernels, dtype=float)
    rows = -(-len(kernels) // per_row)
    fig, axes = plt.subplots(
        rows, per_row, figsize=(1.0 * per_row + 1, 1.05 * rows)
    )
    limit = float(np.abs(kernels).max()) or 1.0
    for n, ax in enumerate(np.ravel(axes)):
        ax.set_xticks([])
        ax.set_yticks([])
        if n >= len(kernels):
            ax.axis("off")
            continue
        shown = ax.imshow(
            kernels[n], cmap="PuOr_r", vmin=-limit, vmax=limit,
            interpolation="none",
        )  # fmt: skip
        ax.set_xlabel(f"{n}", fontsize=7)
    fig.colorbar(shown, ax=list(np.ravel(axes)), shrink=0.8)
    plt.close(fig)
    return fig


def plot_feature_maps(images, maps, channels):
    """Each image ``(N, H, W)`` beside its maps ``(N, H', W', C)`` for the
    listed ``channels``; every map has its own grey scale from 0 (white)
    to its largest value (black)."""
    fig, axes = plt.subplots(
        len(images),
        len(channels) + 1,
        figsize=(1.25 * (len(channels) + 1), 1.3 * len(images)),
        squeeze=False,
    )
    for n, image in enumerate(images):
        axes[n, 0].imshow(image, cmap="gray_r", interpolation="none")
        for col, channel in enumerate(channels, start=1):
            axes[n, col].imshow(
                maps[n, :, :, channel], cmap="gray_r", vmin=0,
                interpolation="none",
            )  # fmt: skip
            if n == 0:
                axes[n, col].set_title(f"channel {channel}", fontsize=7)
    axes[0, 0].set_title("image", fontsize=7)
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])


def draw_shared_weights(ax, ids, values):
    """Draw the matrix ``ids`` (ints, 0 = zero entry) as a grid: entry
    ``n > 0`` is a cell in colour ``n`` of tab10 showing ``values[n - 1]``;
    a zero is white and hatched as in :func:`draw_jacobian`."""
    colours = plt.get_cmap("tab10").colors
    for (i, j), n in np.ndenumerate(ids):
        if n == 0:
            style = {
                "facecolor": "white",
                "edgecolor": "#bbbbbb",
                "hatch": "///",
            }
        else:
            style = {"facecolor": colours[(n - 1) % 10], "edgecolor": "white"}
        ax.add_patch(
            plt.Rectangle((j - 0.5, i - 0.5), 1, 1, linewidth=0.5, **style)
        )
        if n:
            ax.text(
                j,
                i,
                f"{values[n - 1]:g}",
                ha="center",
                va="center",
                fontsize=7,
                color="black",
            )
    ax.set_xlim(-0.5, ids.shape[1] - 0.5)
    ax.set_ylim(ids.shape[0] - 0.5, -0.5)
    ax.set_aspect("equal")
    ax.tick_params(length=0, labelsize=7)
    for side in ax.spines.values():
        side.set_visible(False)


def plot_conv_matrix(K, input_side, padding=0, stride=1):
    """A one-channel ``k x k`` kernel ``K`` ``(1, 1, k, k)`` and the weight
    matrix T of its convolution over an ``input_side`` square image.

    Each kernel entry has its own colour, in the kernel and wherever it
    sits in T; zeros of T are white and hatched.  Dotted lines cut T into
    blocks: a block of rows per output row, a block of columns per input
    row.
    """
    from fashionlib.convolution import conv_matrix, output_size

    K = np.asarray(K, dtype=float)
    k = K.shape[-1]
    ids = np.arange(1, k * k + 1).reshape(1, 1, k, k)
    T_ids = conv_matrix(ids, (1, input_side, input_side), padding, stride)
    side_out = output_size(input_side, k, padding, stride)
    fig, (ax_k, ax_t) = plt.subplots(
        1,
        2,
        figsize=(0.3 * T_ids.shape[1] + 2.2, 0.3 * T_ids.shape[0] + 1.4),
        gridspec_kw={"width_ratios": [k, T_ids.shape[1]]},
    )
    values = K.ravel()
    draw_shared_weights(ax_k, ids[0, 0], values)
    ax_k.set_xticks(range(k))
    ax_k.set_yticks(range(k))
    ax_k.set_title("kernel $K$", fontsize=9)
    draw_shared_weights(ax_t, T_ids.astype(int), values)
    for n in range(input_side, T_ids.shape[1], input_side):
        ax_t.axvline(n - 0.5, color="black", linestyle=":", linewidth=1)
    for n in range(side_out, T_ids.shape[0], side_out):
        ax_t.axhline(n - 0.5, color="black", linestyle=":", linewidth=1)
    ax_t.set_xticks(range(0, T_ids.shape[1], input_side))
    ax_t.set_yticks(range(0, T_ids.shape[0], side_out))
    ax_t.set_xlabel("input pixel (row by row)", fontsize=8)
    ax_t.set_ylabel("output pixel", fontsize=8)
    ax_t.set_title(
        f"weight matrix $T$: {input_side} x {input_side} image, "
        f"padding {padding}, stride {stride}",
        fontsize=9,
    )
    return finish(fig)


def plot_selection_matrix(U, S):
    """The Jacobian ``S`` of max pooling at the image ``U`` ``(1, n, n)``.

    Drawn as :func:`draw_jacobian` draws a Jacobian; each column is
    labelled by its index and the value of ``U`` it belongs to (row by row).
    """
    values = np.ravel(U)
    fig, ax = plt.subplots(
        figsize=(0.42 * S.shape[1] + 1.2, 0.42 * S.shape[0] + 1.6)
    )
    draw_jacobian(ax, S)
    ax.set_xticklabels(
        [f"{n}\n{v:g}" for n, v in enumerate(values)], fontsize=7
    )
    ax.set_xlabel("input pixel (row by row) and its value", fontsize=8)
    ax.set_ylabel("pooled output", fontsize=8)
    for side in ax.spines.values():
        side.set_visible(False)
    return finish(fig)
