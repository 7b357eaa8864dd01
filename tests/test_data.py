"""The data pipeline on small IDX files written by the tests: good, truncated, damaged, mislabelled."""

import gzip
import hashlib

import numpy as np
import pytest

from fashionlib import data
from fashionlib.__main__ import main

N_TRAIN, N_TEST, N_VALIDATION = 12, 4, 3


def idx_bytes(array, magic):
    """IDX encoding of a uint8 array: big-endian magic, dims, then the bytes."""
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def write_source(folder, rng):
    """Write four small valid .gz files into ``folder``; return (checksums, counts, arrays)."""
    arrays = {
        "train-images-idx3-ubyte": rng.integers(0, 256, (N_TRAIN, 28, 28)),
        "train-labels-idx1-ubyte": rng.integers(0, 10, N_TRAIN),
        "t10k-images-idx3-ubyte": rng.integers(0, 256, (N_TEST, 28, 28)),
        "t10k-labels-idx1-ubyte": rng.integers(0, 10, N_TEST),
    }
    checksums, counts = {}, {}
    folder.mkdir(parents=True, exist_ok=True)
    for name, array in arrays.items():
        raw = idx_bytes(array, 2051 if "images" in name else 2049)
        (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
        checksums[name], counts[name] = (
            hashlib.sha256(raw).hexdigest(),
            len(array),
        )
    return checksums, counts, arrays


@pytest.fixture
def source(tmp_path, rng, monkeypatch):
    """A folder of valid small IDX files and the keyword arguments that make prepare() and load() accept them."""
    checksums, counts, arrays = write_source(tmp_path / "source", rng)
    monkeypatch.setattr(
        data,
        "SPLIT_SIZES",
        {
            "train": N_TRAIN - N_VALIDATION,
            "validation": N_VALIDATION,
            "test": N_TEST,
        },
    )
    options = {
        "search_dirs": [tmp_path / "source"],
        "download_allowed": False,
        "checksums": checksums,
        "counts": counts,
        "validation_size": N_VALIDATION,
        "log": lambda message: None,
    }
    return tmp_path / "source", options, arrays


def cache_files(folder):
    """Every file in the cache folder, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_prepare_writes_three_splits(tmp_path, source):
    folder, options, arrays = source
    paths = data.prepare(tmp_path / "cache", **options)
    assert set(paths) == {"train", "validation", "test"}
    train = data.load("train", tmp_path / "cache")
    validation = data.load("validation", tmp_path / "cache")
    test = data.load("test", tmp_path / "cache")
    assert np.array_equal(
        train["images"],
        arrays["train-images-idx3-ubyte"][: N_TRAIN - N_VALIDATION],
    )
    assert np.array_equal(
        validation["labels"],
        arrays["train-labels-idx1-ubyte"][N_TRAIN - N_VALIDATION :],
    )
    assert np.array_equal(test["images"], arrays["t10k-images-idx3-ubyte"])
    assert train["images"].dtype == np.uint8 and train["images"].shape[1:] == (
        28,
        28,
    )
    assert cache_files(tmp_path / "cache") == [
        f"mnist_fashion_{s}.npz" for s in ("test", "train", "validation")
    ]


def test_search_order_prefers_the_data_folder(tmp_path, source, rng):
    folder, options, _ = source
    local = tmp_path / "local"
    checksums, counts, arrays = write_source(local, np.random.default_rng(99))
    options = {
        **options,
        "search_dirs": [local, folder],
        "checksums": checksums,
        "counts": counts,
    }
    data.prepare(tmp_path / "cache", **options)
    assert np.array_equal(
        data.load("test", tmp_path / "cache")["labels"],
        arrays["t10k-labels-idx1-ubyte"],
    )


def test_missing_source_names_the_three_remedies(tmp_path, source):
    _, options, _ = source
    with pytest.raises(data.DataError) as error:
        data.prepare(
            tmp_path / "cache",
            **{**options, "search_dirs": [tmp_path / "empty"]},
        )
    message = str(error.value)
    assert (
        "dataset-fashion-mnist" in message
        and "copy the four" in message
        and "network" in message
    )
    assert cache_files(tmp_path / "cache") == []


def test_checksum_mismatch_names_file_expected_and_actual(tmp_path, source):
    _, options, _ = source
    checksums = {**options["checksums"], "t10k-images-idx3-ubyte": "0" * 64}
    with pytest.raises(
        data.DataError,
        match=r"t10k-images-idx3-ubyte(.|\n)*expected 0{64}(.|\n)*actual   [0-9a-f]{64}",
    ):
        data.prepare(tmp_path / "cache", **{**options, "checksums": checksums})
    assert cache_files(tmp_path / "cache") == []


def test_truncated_gzip_is_reported(tmp_path, source):
    folder, options, _ = source
    path = folder / "train-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:-12])
    with pytest.raises(data.DataError, match="truncated or not a gzip file"):
        data.prepare(tmp_path / "cache", **options)
    assert cache_files(tmp_path / "cache") == []


def test_wrong_magic_is_reported():
    raw = idx_bytes(np.zeros(3), 2051)
    with pytest.raises(
        data.DataError, match="magic number 2051, expected 2049"
    ):
        data.parse_idx(raw, "train-labels-idx1-ubyte", 3)


def test_wrong_counts_are_reported():
    raw = idx_bytes(np.zeros((2, 28, 28)), 2051)
    with pytest.raises(data.DataError, match="holds 2 items, expected 5"):
        data.parse_idx(raw, "t10k-images-idx3-ubyte", 5)
    with pytest.raises(data.DataError, match="incomplete"):
        data.parse_idx(raw[:-10], "t10k-images-idx3-ubyte", 2)


def test_images_and_labels_must_agree(tmp_path, rng):
    folder = tmp_path / "source"
    checksums, counts, _ = write_source(folder, rng)
    raw = idx_bytes(np.zeros(N_TEST + 1), 2049)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(raw))
    checksums["t10k-labels-idx1-ubyte"] = hashlib.sha256(raw).hexdigest()
    counts["t10k-labels-idx1-ubyte"] = N_TEST + 1
    with pytest.raises(data.DataError, match="4 images but 5 labels"):
        data.prepare(
            tmp_path / "cache",
            [folder],
            download_allowed=False,
            checksums=checksums,
            counts=counts,
            validation_size=N_VALIDATION,
            log=lambda m: None,
        )
    assert cache_files(tmp_path / "cache") == []


def test_failed_write_leaves_no_partial_file(tmp_path, monkeypatch):
    def broken_savez(file, **arrays):
        file.write(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", broken_savez)
    with pytest.raises(OSError, match="disk full"):
        data.save_split(
            tmp_path / "mnist_fashion_test.npz",
            np.zeros((1, 28, 28), np.uint8),
            np.zeros(1, np.uint8),
        )
    assert cache_files(tmp_path) == []


def test_unknown_split_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="train, validation, test"):
        data.load("training", tmp_path)


def test_whitening_helpers():
    images = np.array([[[0, 255]], [[255, 0]]], dtype=np.uint8)
    mean, std = data.whitening_stats(images)
    assert (mean, std) == (127.5, 127.5)
    assert np.allclose(data.whiten(images, mean, std), [[[-1, 1]], [[1, -1]]])
    prepared = data.prepare_classification(
        {"images": images, "labels": np.array([3, 9])}, mean, std, max_items=1
    )
    assert prepared["images"].shape == (1, 1, 2) and np.array_equal(
        prepared["labels"], [np.eye(10)[3]]
    )


def test_one_hot_rejects_out_of_range_labels():
    with pytest.raises(ValueError, match="0..9"):
        data.one_hot([3, 10])


def test_command_reports_and_fails_clearly(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(data, "SYSTEM_DIR", tmp_path / "nowhere")
    assert (
        main(["data", "--data-dir", str(tmp_path / "cache"), "--no-download"])
        == 1
    )
    assert "dataset-fashion-mnist" in capsys.readouterr().err
