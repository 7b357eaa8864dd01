"""Figures of the training chapters.

Learning curves, step losses, confusion matrix, width sweep.
"""

import numpy as np
import pytest

from fashionlib import plots


def test_moving_average_is_the_mean_of_each_window():
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    assert np.allclose(plots.moving_average(values, 2), [1.5, 2.5, 3.5, 4.5])
    assert np.allclose(plots.moving_average(values, 5), [3.0])
    assert np.allclose(plots.moving_average(values, 1), values)


def test_moving_average_clips_a_window_longer_than_the_data():
    assert np.allclose(plots.moving_average([2.0, 4.0], 10), [3.0])


def test_learning_curves_draw_loss_and_accuracy_per_run(rng):
    runs = {
        f"run {k}": {
            "losses": rng.random(1000),
            "samples": np.arange(100, 1001, 100),
            "accuracy": rng.random(10) * 100,
        }
        for k in range(3)
    }
    fig = plots.plot_learning_curves(runs, window=50)
    ax_loss, ax_accuracy = fig.axes
    assert len(ax_loss.lines) == 3 and len(ax_accuracy.lines) == 3
    assert len(ax_loss.lines[0].get_xdata()) == 1000 - 50 + 1
    assert ax_loss.get_yscale() == "log"
    assert len({line.get_linestyle() for line in ax_accuracy.lines}) == 3


def test_learning_curves_skip_non_finite_losses():
    runs = {
        "diverging": {
            "losses": np.array([1.0, 2.0, np.inf, np.nan]),
            "samples": [2],
            "accuracy": [10.0],
        }
    }
    fig = plots.plot_learning_curves(runs, window=1)
    assert np.all(np.isfinite(fig.axes[0].lines[0].get_ydata()))


def test_step_losses_leave_out_non_finite_steps():
    fig = plots.plot_step_losses(
        {"a": [1.0, 10.0, np.inf], "b": [1.0, 0.5, 0.25]}
    )
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == [0, 1]
    assert list(ax.lines[1].get_xdata()) == [0, 1, 2]


def test_confusion_matrix_writes_every_count_in_its_cell():
    counts = np.arange(9).reshape(3, 3)
    fig = plots.plot_confusion_matrix(counts, ["a", "b", "c"])
    ax = fig.axes[0]
    texts = {(t.get_position(), t.get_text()) for t in ax.texts}
    assert len(ax.texts) == 9
    assert ((1, 2), "7") in texts  # text at (x, y) = (predicted 1, true 2)
    assert [label.get_text() for label in ax.get_xticklabels()] == [
        "a (0)",
        "b (1)",
        "c (2)",
    ]


def test_accuracy_by_width_shows_mean_and_spread_on_a_log_axis():
    accuracies = np.array([[70.0, 72.0, 74.0], [80.0, 80.0, 80.0]])
    fig = plots.plot_accuracy_by_width(
        [25, 50],
        accuracies,
        others={"deep": (150, [81.0, 82.0, 83.0])},
        chosen=50,
    )
    ax = fig.axes[0]
    assert ax.get_xscale() == "log"
    means = ax.lines[0].get_ydata()
    assert np.allclose(means, [72.0, 80.0])
    labels = ax.get_legend_handles_labels()[1]
    assert "deep" in labels and "chosen: 50" in labels


def test_accuracy_by_width_rejects_a_chosen_width_not_in_the_sweep():
    with pytest.raises(ValueError):
        plots.plot_accuracy_by_width([25, 50], [[70.0], [80.0]], chosen=100)


def test_templates_draw_one_image_per_row_without_the_bias():
    W = np.arange(3 * 785, dtype=float).reshape(3, 785)
    fig = plots.plot_templates(W, captions=["a", "Sneaker\nr = -0.5", "c"])
    assert len(fig.axes) == 3
    assert fig.axes[0].images[0].get_array().shape == (28, 28)
    assert [ax.get_xlabel() for ax in fig.axes][1] == "Sneaker\nr = -0.5"


def test_train_validation_marks_the_chosen_epoch():
    fig = plots.plot_train_validation([50, 90, 99], [50, 70, 65], 2)
    ax = fig.axes[0]
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert "best validation: epoch 2" in ax.get_legend_handles_labels()[1]


def test_plot_epoch_history_draws_loss_and_accuracy_per_run():
    histories = {
        f"run {k}": {
            "epoch": [1, 2, 3],
            "train_loss": [1.0, 0.5, 0.4],
            "validation_accuracy": [80.0, 85.0, 86.0 + k],
        }
        for k in range(2)
    }
    ax_loss, ax_accuracy = plots.plot_epoch_history(histories).axes
    assert len(ax_loss.lines) == 2 and len(ax_accuracy.lines) == 2
    assert list(ax_accuracy.lines[1].get_ydata()) == [80.0, 85.0, 87.0]
    assert ax_loss.get_yscale() == "log"


def test_plot_mistakes_names_prediction_and_true_label():
    fig = plots.plot_mistakes(np.zeros((2, 28, 28)), [6, 0], [0, 6])
    labels = [ax.get_xlabel() for ax in fig.axes]
    assert labels == [
        "\u2717 Shirt (6)\ntrue: T-shirt/top",
        "\u2717 T-shirt/top (0)\ntrue: Shirt",
    ]


def test_histogram_hatches_the_part_below_the_edge():
    fig = plots.plot_histogram([-2.0, -1.5, 0.0, 0.5], "factor", edge=-1)
    ax = fig.axes[0]
    below = [p for p in ax.patches if p.get_hatch() == "///"]
    assert sum(p.get_height() for p in below) == 2
    assert "50.0 % below -1" in ax.get_legend_handles_labels()[1]
