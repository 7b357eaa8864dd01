"""The homework API rejects wrong input with a ValueError that says what
was wrong and how to fix it."""

import numpy as np
import pytest

import fashionlib as fl
from fashionlib import data


def test_d_affine_d_W_rejects_an_x_that_does_not_fit_W():
    with pytest.raises(
        ValueError, match=r"shape \(2, 5\) do not fit an input of length 3"
    ):
        fl.d_affine_d_W(np.zeros(3), np.zeros((2, 5)))
    assert fl.d_affine_d_W(np.zeros(4), np.zeros((2, 5))).shape == (2, 10)


@pytest.mark.parametrize("target_shape", [(10, 1), (1, 10), (5,), (10, 10)])
def test_l2_rejects_targets_of_another_shape(target_shape):
    with pytest.raises(ValueError, match=r"prediction of shape \(10,\)"):
        fl.l2(np.zeros(10), np.zeros(target_shape))
    with pytest.raises(ValueError, match="one-hot target of length 10"):
        fl.d_l2_d_x(np.zeros(10), np.zeros(target_shape))


def test_l2_keeps_accepting_a_scalar_target_for_one_output():
    assert fl.l2(np.array([3.0]), 1) == 4.0


def test_backprop_nn_W_rejects_lists_of_different_lengths():
    architecture = fl.architecture([4, 3, 2])
    architecture["back_h_list"] = architecture["back_h_list"][:1]
    with pytest.raises(ValueError, match="W_list 2, h_list 2, back_h_list 1"):
        fl.backprop_nn_W(np.zeros(4), np.zeros(2), **architecture)


def uneven_data():
    """Three images but two labels."""
    return {"images": np.zeros((3, 28, 28)), "labels": np.array([1, 2])}


def test_accuracy_rejects_different_numbers_of_images_and_labels():
    with pytest.raises(ValueError, match="images 3, labels 2"):
        fl.accuracy(
            lambda x: np.zeros(1), uneven_data(), fl.output_to_label_regression
        )


def test_train_rejects_different_numbers_of_images_and_labels():
    architecture = fl.architecture([784, 2, 1])
    before = [W.copy() for W in architecture["W_list"]]
    with pytest.raises(ValueError, match="images 3, labels 2"):
        fl.train(uneven_data(), architecture, 0.01)
    assert all(
        np.array_equal(a, b)
        for a, b in zip(before, architecture["W_list"], strict=True)
    )


@pytest.mark.parametrize(
    "true, predicted, message",
    [
        ([-1, 2], [0, 2], "integers in 0..9, got values from -1 to 2"),
        ([1, 2], [0, 10], "integers in 0..9, got values from 0 to 10"),
        ([1.5], [1], "integers in 0..9"),
        ([1, 2, 3], [1, 2], "true 3, predicted 2"),
    ],
)
def test_confusion_matrix_rejects_labels_out_of_range(
    true, predicted, message
):
    with pytest.raises(ValueError, match=message):
        fl.confusion_matrix(true, predicted)


def test_confusion_matrix_counts_valid_labels():
    counts = fl.confusion_matrix([0, 9, 9], [0, 9, 1])
    assert counts[9, 9] == 1 and counts[9, 1] == 1 and counts.sum() == 3


@pytest.mark.parametrize(
    "prepare", [fl.prepare_classification, fl.prepare_regression]
)
def test_prepare_rejects_one_hot_labels(prepare):
    dataset = {
        "images": np.zeros((2, 28, 28), np.uint8),
        "labels": np.eye(10)[[3, 4]],
    }
    with pytest.raises(ValueError, match=r"shape \(2, 10\); one-hot rows"):
        prepare(dataset, 0.0, 1.0)


def test_prepare_rejects_different_numbers_of_images_and_labels():
    with pytest.raises(ValueError, match="images 3, labels 2"):
        fl.prepare_classification(uneven_data(), 0.0, 1.0)


def test_one_hot_names_the_range():
    with pytest.raises(ValueError, match="0..9, got values from 3 to 10"):
        data.one_hot([3, 10])
