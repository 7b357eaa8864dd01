"""The foundation's figures.

Image grids with accessible right/wrong markers, the mean image.
"""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import font_manager
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


def test_a_font_list_without_the_bundled_fonts_is_completed(
    monkeypatch, caplog
):
    """A stale matplotlib font cache (system DejaVu only) loses the STIX
    fonts mathtext falls back to; the module adds them back, and a figure
    with mathematics draws without a findfont warning."""
    manager = font_manager.fontManager
    system_only = [f for f in manager.ttflist if "STIX" not in f.name]
    monkeypatch.setattr(manager, "ttflist", system_only)
    manager._findfont_cached.cache_clear()
    plots.use_bundled_fonts()
    assert "STIXGeneral" in {f.name for f in manager.ttflist}
    fig, ax = plt.subplots()
    ax.set_title(r"$\mathbb{R}^{m} \to \mathcal{W}$")
    with caplog.at_level("WARNING", logger="matplotlib.font_manager"):
        fig.canvas.draw()
    plt.close(fig)
    assert "findfont" not in caplog.text
