"""Figures of the network chapters, and the He initialisation helper."""

import matplotlib.patches
import numpy as np
import pytest
from matplotlib.figure import Figure

from fashionlib import plots
from fashionlib.network import he_matrix, random_matrix


def circles(fig):
    """All Circle patches of a figure's axes."""
    return [
        p
        for ax in fig.axes
        for p in ax.patches
        if isinstance(p, matplotlib.patches.Circle)
    ]


@pytest.mark.parametrize(
    "plot", [plots.plot_activations, plots.plot_activation_derivatives]
)
def test_activation_plots_draw_three_labelled_curves(plot):
    fig = plot()
    assert isinstance(fig, Figure) and len(fig.axes) == 1
    ax = fig.axes[0]
    assert [line.get_label() for line in ax.get_lines()] == [
        "identity",
        "relu",
        "sigmoid",
    ]
    assert len({line.get_linestyle() for line in ax.get_lines()}) == 3, (
        "curves must differ by line style"
    )
    assert ax.get_legend() is not None


def test_activation_plot_limits_the_y_range():
    assert plots.plot_activations().axes[0].get_ylim() == (-1, 1)


def test_derivative_plot_shows_the_jacobian_diagonals():
    identity_line, relu_line, sigmoid_line = (
        plots.plot_activation_derivatives().axes[0].get_lines()
    )
    assert np.all(identity_line.get_ydata() == 1)
    assert set(np.unique(relu_line.get_ydata())) == {0.0, 1.0}
    assert np.isclose(np.max(sigmoid_line.get_ydata()), 0.25)


def test_neuron_has_one_circle_per_drawn_input_and_the_sum():
    fig = plots.plot_neuron()
    assert isinstance(fig, Figure)
    assert (
        len(circles(fig)) == 5
    )  # x_1, x_2, x_m, the constant 1, and the sum node


@pytest.mark.parametrize("shape", [[3, 5, 4, 2], [1, 5, 1], [2, 2]])
def test_network_has_one_circle_per_neuron_and_one_edge_per_weight(shape):
    fig = plots.plot_network(shape)
    assert len(circles(fig)) == sum(shape)
    edges = sum(a * b for a, b in zip(shape[:-1], shape[1:], strict=True))
    assert len(fig.axes[0].get_lines()) == edges


def test_layer_diagram_has_one_box_per_layer_with_the_weight_shapes():
    fig = plots.plot_network_layers([3, 5, 4, 2])
    boxes = [
        p
        for p in fig.axes[0].patches
        if isinstance(p, matplotlib.patches.Rectangle)
    ]
    assert len(boxes) == 4
    text = " ".join(t.get_text() for t in fig.axes[0].texts)
    for shape in ("5 \\times 4", "4 \\times 6", "2 \\times 5"):
        assert shape in text


def test_layer_stds_draws_one_panel_per_entry_on_a_log_scale():
    fig = plots.plot_layer_stds(
        {"a": {"x": [1, 0.5, 0.25], "y": [1, 1, 1]}, "b": {"z": [2, 2, 2]}}
    )
    assert len(fig.axes) == 2
    assert [len(ax.get_lines()) for ax in fig.axes] == [2, 1]
    assert all(ax.get_yscale() == "log" for ax in fig.axes)


def test_he_matrix_is_random_matrix_scaled_by_sqrt_2():
    W = he_matrix(300, 400, seed=3)
    assert W.shape == (300, 400)
    assert np.allclose(W, np.sqrt(2) * random_matrix(300, 400, seed=3))
    a = np.sqrt(6 / 400)
    assert np.all(np.abs(W) <= a)
    assert abs(W.var() - 2 / 400) < 0.05 * 2 / 400


def test_he_matrix_keeps_the_second_moment_through_relu_layers():
    rng = np.random.default_rng(0)
    z = rng.standard_normal((200, 256)) @ he_matrix(256, 256, rng).T
    start = np.mean(z**2)
    for _ in range(10):
        z = np.maximum(z, 0) @ he_matrix(256, 256, rng).T
    assert 0.5 < np.mean(z**2) / start < 2
