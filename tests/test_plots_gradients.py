"""The figure functions of the gradient chapters return closed figures that
draw what they claim.
"""

import matplotlib.pyplot as plt
import numpy as np

import fashionlib as fl
from fashionlib import plots


def cell_texts(ax):
    return [t.get_text() for t in ax.texts]


def hatched_cells(ax):
    return [p for p in ax.patches if p.get_hatch() == "///"]


def test_draw_jacobian_marks_zeros_and_values():
    fig, ax = plt.subplots()
    plots.draw_jacobian(ax, np.array([[0.0, 2.0, 0.0], [-1.0, 0.0, 0.5]]))
    assert len(hatched_cells(ax)) == 3  # exactly the zero entries are hatched
    assert cell_texts(ax) == ["0", "2", "0", "-1", "0", "0.5"]
    plt.close(fig)


def cell_colours(ax):
    """Face colours of the drawn cells (not hatched zeros, not outlines)."""
    return [
        tuple(p.get_facecolor())
        for p in ax.patches
        if p.get_hatch() is None and p.get_facecolor()[3] > 0
    ]


def test_jacobian_colour_shows_sign_and_size_on_one_scale():
    fig, ax = plt.subplots()
    plots.draw_jacobian(ax, np.array([[1.0, -1.0, 0.25]]), scale=4.0)
    positive, negative, small = cell_colours(ax)
    assert positive[0] > positive[2] and negative[2] > negative[0]  # red, blue
    assert small != positive  # 0.25 is paler than 1 on the same scale
    plt.close(fig)


def test_elementwise_panels_share_one_scale_and_one_colour_bar():
    x = np.array([0.0, 2.0])
    fig = plots.plot_elementwise_jacobians(
        x, {"relu": fl.d_relu_d_x, "sigmoid": fl.d_sigmoid_d_x}
    )
    relu_ax, sigmoid_ax, colour_bar = fig.axes
    relu_one = cell_colours(relu_ax)[0]  # relu'(2) = 1
    sigmoid_quarter = cell_colours(sigmoid_ax)[0]  # sigmoid'(0) = 0.25
    assert relu_one != sigmoid_quarter
    assert colour_bar.get_ylim() == (-1.0, 1.0)


def test_large_jacobian_has_no_numbers():
    fig, ax = plt.subplots()
    plots.draw_jacobian(ax, np.eye(20))
    assert cell_texts(ax) == []
    plt.close(fig)


def test_elementwise_jacobians_one_panel_each():
    x = np.array([-1.0, 0.0, 2.0])
    fig = plots.plot_elementwise_jacobians(
        x, {"relu": fl.d_relu_d_x, "identity": fl.d_identity_d_x}
    )
    relu_ax, identity_ax, _colour_bar = fig.axes
    assert relu_ax.get_title() == "relu"
    assert (
        len(hatched_cells(relu_ax)) == 8
        and len(hatched_cells(identity_ax)) == 6
    )
    assert [t.get_text() for t in relu_ax.get_xticklabels()] == [
        "0\n-1",
        "1\n0",
        "2\n2",
    ]


def test_affine_x_jacobian_drops_the_bias_column():
    W = np.array([[1, -2, -3, -4], [-5, -6, 7, 8]], dtype=float)
    ax = plots.plot_affine_x_jacobian(W).axes[0]
    texts = cell_texts(ax)
    assert texts[:6] == ["1", "-2", "-3", "-5", "-6", "7"]
    assert texts[6:] == ["(-4)", "(8)"]  # the bias values, shown as dropped
    assert ax.get_xticklabels()[-1].get_text() == "bias\n(dropped)"


def test_affine_W_jacobian_blocks_and_labels():
    x, W = np.array([-1.0, 0.5, 2.0]), np.ones((3, 4))
    ax = plots.plot_affine_W_jacobian(x, W).axes[0]
    labels = [t for t in cell_texts(ax) if t.startswith("row")]
    assert labels == ["row 0 of $W$", "row 1 of $W$", "row 2 of $W$"]
    assert "-0" not in cell_texts(ax)
    assert len(hatched_cells(ax)) == 3 * 12 - 3 * 4
    assert ax.get_xticklabels()[5].get_text() == "5\n$W_{1,1}$"


def test_l2_curve_has_its_minimum_at_the_label():
    ax = plots.plot_l2_of_one_prediction(label=8).axes[0]
    p, loss = ax.lines[0].get_data()
    assert p[np.argmin(loss)] == 8 and min(loss) == 0
    _, slope = ax.lines[1].get_data()
    assert np.allclose(slope, 2 * (p - 8))


def test_timings_one_point_per_variant_same_marker_per_variant():
    timings = {
        "a": {"naive": 2e-3, "fast": 1e-4},
        "b": {"naive": 3e-3, "fast": 2e-4},
    }
    ax = plots.plot_backprop_timings(timings).axes[0]
    points = [line for line in ax.lines if line.get_linestyle() == "None"]
    assert len(points) == 4 and not ax.patches  # points, no bars
    assert [float(p.get_xdata()[0]) for p in points] == [2.0, 0.1, 3.0, 0.2]
    markers = [p.get_marker() for p in points]
    assert markers[0] == markers[2] != markers[1] == markers[3]
    assert ax.get_xscale() == "log"
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "a: naive",
        "a: fast",
        "b: naive",
        "b: fast",
    ]
