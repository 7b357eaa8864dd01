"""SGD, train_and_evaluate and the evaluation helpers."""

import numpy as np
import pytest

import fashionlib as fl
from fashionlib.evaluation import predict_labels
from fashionlib.training import (
    accuracy_of_rows,
    activation_names,
    copy_architecture,
    train_and_evaluate_together,
    train_together,
)


def separable_data(rng, n_per_class=30):
    """Three well separated 2-D clusters as 1x2 'images', one-hot labels."""
    centres = np.array([[3.0, 0.0], [-3.0, 3.0], [-3.0, -3.0]])
    labels = np.repeat(np.arange(3), n_per_class)
    images = (centres[labels] + rng.normal(0, 0.4, (len(labels), 2))).reshape(
        -1, 1, 2
    )
    order = rng.permutation(len(labels))
    return {"images": images[order], "labels": np.eye(3)[labels[order]]}


def test_train_reaches_100_percent_on_a_separable_problem(rng):
    data = separable_data(rng)
    run = fl.train_and_evaluate(
        fl.architecture([2, 8, 3]),
        10,
        0.01,
        data,
        data,
        output_to_label=fl.prediction_to_label_classification,
    )
    assert run.accuracy[-1] == 100.0
    assert run.losses[-30:].mean() < run.losses[:30].mean()


def test_train_and_evaluate_leaves_the_given_weights_alone(rng):
    data = separable_data(rng)
    architecture = fl.architecture([2, 4, 3])
    before = [W.copy() for W in architecture["W_list"]]
    run = fl.train_and_evaluate(
        architecture,
        2,
        0.01,
        data,
        data,
        output_to_label=fl.prediction_to_label_classification,
    )
    assert all(
        np.array_equal(a, b)
        for a, b in zip(before, architecture["W_list"], strict=True)
    )
    assert not np.array_equal(before[0], run.architecture["W_list"][0])
    assert len(run.accuracy) == 2 and run.losses.shape == (
        2 * len(data["labels"]),
    )


def test_train_is_one_sgd_step_per_sample(rng):
    data = {
        "images": rng.standard_normal((1, 1, 3)),
        "labels": np.array([[1.0, -1.0]]),
    }
    architecture = fl.architecture([3, 2])
    W0 = architecture["W_list"][0].copy()
    gradient = fl.backprop_nn_W(
        data["images"][0].ravel(), data["labels"][0], **architecture
    )[0].reshape(W0.shape)
    losses = fl.train(data, architecture, 0.05)
    assert np.allclose(architecture["W_list"][0], W0 - 0.05 * gradient)
    assert losses.shape == (1,)


def test_shuffled_training_is_reproducible(rng):
    data = separable_data(rng)
    runs = [
        fl.train_and_evaluate(
            fl.architecture([2, 4, 3]),
            1,
            0.01,
            data,
            data,
            output_to_label=fl.prediction_to_label_classification,
            seed=7,
        )
        for _ in range(2)
    ]
    assert np.array_equal(runs[0].losses, runs[1].losses)
    ordered = fl.train_and_evaluate(
        fl.architecture([2, 4, 3]),
        1,
        0.01,
        data,
        data,
        output_to_label=fl.prediction_to_label_classification,
    )
    assert not np.array_equal(runs[0].losses, ordered.losses)


def test_divergence_names_step_and_learning_rate(rng):
    data = {
        "images": rng.standard_normal((50, 1, 4)) * 100,
        "labels": rng.standard_normal((50, 1)) * 100,
    }
    with pytest.raises(
        FloatingPointError, match=r"step \d+.*with learning rate 10: "
    ):
        with np.errstate(over="ignore", invalid="ignore"):
            fl.train(data, fl.architecture([4, 8, 1]), 10)


def test_divergence_message_says_what_to_try():
    from fashionlib.training import check_finite

    check_finite(1e300, 0, 0.5)  # finite: no error
    for loss in (np.inf, np.nan):
        with pytest.raises(FloatingPointError) as error:
            check_finite(loss, 3, 0.5)
        message = str(error.value)
        assert f"diverged at step 3 (loss {loss})" in message
        assert "learning rate 0.5" in message
        assert "10 times smaller" in message
        assert "update steps against the gradient" in message


def test_regression_labels_are_rounded_and_clipped():
    assert [
        fl.output_to_label_regression(v)
        for v in (-3, 0.49, 0.51, 4.5, 8.6, 42)
    ] == [0, 0, 1, 4, 9, 9]
    with pytest.raises(ValueError, match="got shape \\(10,\\)") as error:
        fl.output_to_label_regression(np.zeros(10))
    assert str(error.value).endswith(
        "; for a 10-way output use prediction_to_label_classification"
    )


def test_classification_label_is_argmax():
    assert fl.prediction_to_label_classification([0.1, 0.7, 0.2]) == 1
    assert isinstance(
        fl.prediction_to_label_classification(np.eye(10)[4]), int
    )


def test_accuracy_and_confusion_matrix_agree(rng):
    data = separable_data(rng, 10)

    def network(x):  # right for class 0, half of the rest wrong
        return np.array([x[0], -x[0], 0.0])

    predicted = predict_labels(
        network, data["images"], fl.prediction_to_label_classification
    )
    true = np.argmax(data["labels"], axis=1)
    counts = fl.confusion_matrix(true, predicted, num_classes=3)
    assert counts.sum() == 30 and np.array_equal(
        counts.sum(axis=1), [10, 10, 10]
    )
    expected = 100 * np.trace(counts) / counts.sum()
    assert fl.accuracy(
        network, data, fl.prediction_to_label_classification
    ) == pytest.approx(expected)


def test_confusion_matrix_rejects_length_mismatch():
    with pytest.raises(ValueError, match="true 3, predicted 2"):
        fl.confusion_matrix([0, 1, 2], [0, 1])


def test_confusion_matrix_counts_pairs_as_integers():
    counts = fl.confusion_matrix([0.0, 1.0, 1.0, 2.0], [1.0, 1.0, 1.0, 0.0], 3)
    np.testing.assert_array_equal(counts, [[0, 1, 0], [0, 2, 0], [1, 0, 0]])
    assert counts.dtype.kind == "i"
    assert fl.confusion_matrix([9], [9]).shape == (10, 10)


def test_progress_bars_only_on_request(capsys, rng):
    data = separable_data(rng, 2)
    architecture = fl.architecture([2, 3])
    fl.train(data, architecture, 0.01)
    label = {"output_to_label": fl.prediction_to_label_classification}
    fl.train_and_evaluate(architecture, 1, 0.01, data, data, **label)
    assert capsys.readouterr().err == ""
    fl.train(data, architecture, 0.01, progress=True)
    assert "training: 100%" in capsys.readouterr().err
    fl.train_and_evaluate(
        architecture, 1, 0.01, data, data, progress=True, **label
    )
    err = capsys.readouterr().err
    assert "training: 100%" in err and "sample/s" in err


def test_without_a_seed_every_run_keeps_the_stored_order(rng):
    data = separable_data(rng, 5)
    runs = [
        fl.train_and_evaluate(
            fl.architecture([2, 3]),
            2,
            0.01,
            data,
            data,
            output_to_label=fl.prediction_to_label_classification,
        )
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0].losses, runs[1].losses)
    first = fl.train(data, fl.architecture([2, 3]), 0.01)
    np.testing.assert_array_equal(runs[0].losses[:15], first)


def test_zero_epochs_train_nothing(rng):
    data = separable_data(rng, 2)
    run = fl.train_and_evaluate(fl.architecture([2, 3]), 0, 0.01, data, data)
    assert run.accuracy == [] and run.losses.shape == (0,)


# --- evaluation ---


def test_labels_of_no_images_are_an_empty_int_array():
    predicted = predict_labels(
        lambda x: x, np.zeros((0, 28, 28)), fl.output_to_label_regression
    )
    assert predicted.shape == (0,) and predicted.dtype == int
    true = fl.evaluation.true_labels([], fl.output_to_label_regression)
    assert true.shape == (0,) and true.dtype == int


def test_labels_are_ints_whatever_output_to_label_returns():
    def as_float(x):
        return float(np.argmax(x))

    images = np.eye(3).reshape(3, 1, 3)
    predicted = predict_labels(lambda x: x, images, as_float)
    assert predicted.dtype == int
    np.testing.assert_array_equal(predicted, [0, 1, 2])
    true = fl.evaluation.true_labels(np.eye(3)[[2, 1]], as_float)
    assert true.dtype == int
    np.testing.assert_array_equal(true, [2, 1])


def test_confusion_matrix_checks_labels_against_num_classes():
    for true, predicted in (([0, 3], [0, 1]), ([0, 1], [3, 0])):
        with pytest.raises(
            ValueError, match=r"0\.\.2, got values from 0 to 3"
        ):
            fl.confusion_matrix(true, predicted, num_classes=3)


def test_regression_label_of_any_real_scalar():
    from fractions import Fraction

    assert fl.output_to_label_regression(Fraction(7, 2)) == 4
    assert fl.output_to_label_regression(10**30) == 9
    assert fl.output_to_label_regression([-(10**30)]) == 0


# --- several runs side by side ---------------------------------------------


@pytest.mark.parametrize(
    "shape, hidden, output",
    [([2, 8, 3], "relu", "identity"), ([2, 5, 4, 3], "sigmoid", "sigmoid")],
)
def test_runs_side_by_side_equal_one_run_per_seed(rng, shape, hidden, output):
    data = separable_data(rng)
    seeds = [0, 7, 3]
    starts = [fl.architecture(shape, hidden, output, seed=s) for s in seeds]
    alone = [
        fl.train_and_evaluate(
            start,
            3,
            0.01,
            data,
            data,
            output_to_label=fl.prediction_to_label_classification,
            seed=seed,
        )
        for start, seed in zip(starts, seeds, strict=True)
    ]
    together = train_and_evaluate_together(
        starts,
        3,
        0.01,
        data,
        data,
        output_to_label=fl.prediction_to_label_classification,
        seeds=seeds,
    )
    for one, other in zip(alone, together, strict=True):
        assert one.accuracy == other.accuracy
        for W, W_other in zip(
            one.architecture["W_list"],
            other.architecture["W_list"],
            strict=True,
        ):
            np.testing.assert_array_equal(W, W_other)
        np.testing.assert_allclose(one.losses, other.losses, rtol=1e-12)
    assert not np.array_equal(
        together[0].architecture["W_list"][0],
        together[1].architecture["W_list"][0],
    )
    assert np.array_equal(  # the given weights are left alone
        starts[0]["W_list"][0],
        fl.architecture(shape, hidden, output)["W_list"][0],
    )


def test_runs_side_by_side_of_a_scalar_output_in_the_stored_order(rng):
    data = {
        "images": rng.standard_normal((40, 1, 3)),
        "labels": rng.integers(0, 10, 40).astype(float),
    }
    start = fl.architecture([3, 4, 1])
    alone = fl.train_and_evaluate(start, 2, 0.001, data, data)
    (together,) = train_and_evaluate_together([start], 2, 0.001, data, data)
    assert alone.accuracy == together.accuracy
    np.testing.assert_array_equal(
        alone.architecture["W_list"][1], together.architecture["W_list"][1]
    )


def test_a_readers_own_activation_trains_one_run_after_the_other(rng):
    data = separable_data(rng)
    start = fl.architecture([2, 4, 3])
    own = {**start, "h_list": [lambda x: np.maximum(x, 0), fl.identity]}
    to_label = fl.prediction_to_label_classification
    (run,) = train_and_evaluate_together(
        [own], 1, 0.01, data, data, output_to_label=to_label
    )
    expected = fl.train_and_evaluate(
        own, 1, 0.01, data, data, output_to_label=to_label
    )
    np.testing.assert_array_equal(
        run.architecture["W_list"][0], expected.architecture["W_list"][0]
    )
    with pytest.raises(ValueError, match="train a network of other"):
        train_together(data, [copy_architecture(own)], 0.01, [None])


def test_runs_side_by_side_stop_when_one_diverges(rng):
    data = separable_data(rng)
    with pytest.raises(ValueError, match="one seed"):
        train_and_evaluate_together(
            [fl.architecture([2, 4, 3])], 1, 0.1, data, data, seeds=[0, 1]
        )
    with pytest.raises(FloatingPointError, match="learning rate 1e\\+30"):
        train_and_evaluate_together(
            [fl.architecture([2, 4, 3])] * 2, 1, 1e30, data, data, seeds=[0, 1]
        )


@pytest.mark.parametrize(
    "hidden, output_to_label",
    [
        ("relu", fl.prediction_to_label_classification),
        ("sigmoid", fl.output_to_label_regression),
    ],
)
def test_scoring_all_images_at_once_gives_the_per_image_accuracy(
    rng, hidden, output_to_label
):
    classes = output_to_label is fl.prediction_to_label_classification
    network = fl.architecture([12, 7, 10 if classes else 1], hidden, seed=3)
    for W in network["W_list"]:
        W[:, -1] = rng.normal(0, 2, len(W))  # biases that spread the labels
    data = {
        "images": rng.standard_normal((300, 3, 4)),
        "labels": np.eye(10)[rng.integers(0, 10, 300)],
    }
    if not classes:
        data["labels"] = data["labels"].argmax(axis=1)
    names = activation_names(network)
    assert names == [hidden, "identity"]
    expected = fl.accuracy(
        fl.training.network_function(network), data, output_to_label
    )
    assert 0 < expected < 100
    assert (
        accuracy_of_rows(network["W_list"], names, data, output_to_label)
        == expected
    )
