"""The data cache as load() sees it, and the whitened training sets."""

import numpy as np
import pytest

from fashionlib import data


def fake_dataset():
    """Three 28x28 images of constant values 0, 1 and 2, labels 4, 7, 9."""
    images = np.stack(
        [np.full((28, 28), v, dtype=np.uint8) for v in (0, 1, 2)]
    )
    return {"images": images, "labels": np.array([4, 7, 9], dtype=np.uint8)}


def test_load_prepares_a_missing_cache_then_reads_it(tmp_path, monkeypatch):
    calls = []

    def prepare(data_dir, log):
        calls.append(data_dir)
        log("the message goes nowhere")
        dataset = fake_dataset()
        for split in data.SPLITS:
            data.save_split(data.npz_path(split, data_dir), **dataset)

    monkeypatch.setattr(data, "prepare", prepare)
    loaded = data.load("validation", tmp_path)
    assert calls == [tmp_path]
    np.testing.assert_array_equal(loaded["labels"], [4, 7, 9])
    assert loaded["images"].shape == (3, 28, 28)
    data.load("test", tmp_path)  # the cache exists now: no second prepare
    assert calls == [tmp_path]


def test_prepare_regression_whitens_and_keeps_integer_labels():
    prepared = data.prepare_regression(fake_dataset(), 1.0, 0.5, max_items=2)
    np.testing.assert_array_equal(prepared["images"][:, 0, 0], [-2.0, 0.0])
    assert prepared["images"].shape == (2, 28, 28)
    assert prepared["images"].dtype == np.float64
    np.testing.assert_array_equal(prepared["labels"], [4, 7])
    assert prepared["labels"].dtype == int


def test_prepare_classification_whitens_and_one_hot_encodes():
    prepared = data.prepare_classification(fake_dataset(), 1.0, 0.5)
    np.testing.assert_array_equal(
        prepared["images"][:, 5, 5], [-2.0, 0.0, 2.0]
    )
    np.testing.assert_array_equal(prepared["labels"], np.eye(10)[[4, 7, 9]])


def test_whitening_stats_of_the_fake_images():
    mean, std = data.whitening_stats(fake_dataset()["images"])
    assert mean == pytest.approx(1.0)
    assert std == pytest.approx(np.sqrt(2 / 3))
    assert isinstance(mean, float) and isinstance(std, float)
