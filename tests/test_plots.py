"""The foundation's figures.

Image grids with accessible right/wrong markers, the mean image.
"""

import matplotlib

matplotlib.use("Agg")

import numpy as np
from matplotlib.figure import Figure

from fashionlib import plots


def test_plot_items_draws_one_axis_per_image_with_label_names():
    images = np.zeros((12, 28, 28))
    fig = plots.plot_items(images, np.arange(12) % 10)
    assert isinstance(fig, Figure)
    shown = [ax for ax in fig.axes if ax.images]
    assert len(shown) == 12
    assert shown[7].get_xlabel() == "Sneaker (7)"


def test_right_and_wrong_differ_by_symbol_and_line_style_not_only_colour():
    fig = plots.plot_items(np.zeros((2, 28, 28)), [3, 8], gt_labels=[3, 7])
    right, wrong = [ax for ax in fig.axes if ax.images]
    assert right.get_xlabel().startswith(plots.RIGHT_STYLE["symbol"])
    assert wrong.get_xlabel().startswith(plots.WRONG_STYLE["symbol"])
    assert (
        right.spines["top"].get_linestyle()
        != wrong.spines["top"].get_linestyle()
    )


def test_plot_mean_image_has_a_colour_bar():
    fig = plots.plot_mean_image(np.random.default_rng(0).random((28, 28)))
    assert len(fig.axes) == 2
