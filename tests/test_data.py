"""The data pipeline on small IDX files written by the tests: good,
truncated, damaged, mislabelled; the cache and downloads checked."""

import errno
import gzip
import hashlib

import numpy as np
import pytest

from fashionlib import data
from fashionlib.__main__ import main

N_TRAIN, N_TEST, N_VALIDATION = 12, 4, 3


def idx_bytes(array, magic):
    """IDX encoding of a uint8 array: big-endian magic, dims, the bytes."""
    header = np.array([magic, *array.shape], dtype=">u4").tobytes()
    return header + array.astype(np.uint8).tobytes()


def write_source(folder, rng):
    """Write four small valid .gz files into ``folder``; return
    ``(checksums, counts, arrays)``."""
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
    """A folder of valid small IDX files and the keyword arguments that
    make prepare() and load() accept them."""
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
    accept_digests(monkeypatch, arrays)
    options = {
        "search_dirs": [tmp_path / "source"],
        "download_allowed": False,
        "checksums": checksums,
        "counts": counts,
        "validation_size": N_VALIDATION,
        "log": lambda message: None,
    }
    return tmp_path / "source", options, arrays


def accept_digests(monkeypatch, arrays):
    """Make load() accept the splits prepare() makes of the IDX ``arrays``
    (their SHA-256 digests patched in)."""
    uint8 = {name: array.astype(np.uint8) for name, array in arrays.items()}
    splits = data.split_arrays(uint8, N_VALIDATION)
    monkeypatch.setattr(
        data,
        "SPLIT_SHA256",
        {
            split: data.split_digest({"images": images, "labels": labels})
            for split, (images, labels) in splits.items()
        },
    )


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


def test_search_order_prefers_the_data_folder(
    tmp_path, source, rng, monkeypatch
):
    folder, options, _ = source
    local = tmp_path / "local"
    checksums, counts, arrays = write_source(local, np.random.default_rng(99))
    accept_digests(monkeypatch, arrays)
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
        match=r"t10k-images-idx3-ubyte(.|\n)*expected 0{64}(.|\n)*"
        r"actual   [0-9a-f]{64}",
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
    split = np.zeros((1, 28, 28), np.uint8), np.zeros(1, np.uint8)
    with pytest.raises(OSError, match="disk full"):
        data.save_splits(
            {s: data.npz_path(s, tmp_path) for s in data.SPLITS},
            dict.fromkeys(data.SPLITS, split),
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


# --- the cache validates itself, downloads are verified -------------------


def write_npz(path, **arrays):
    """An npz file at ``path`` holding ``arrays`` (no checks)."""
    with open(path, "wb") as f:
        np.savez(f, **arrays)


GOOD_TEST_SPLIT = {
    "images": np.zeros((N_TEST, 28, 28), np.uint8),
    "labels": np.arange(N_TEST, dtype=np.uint8),
}


@pytest.mark.parametrize(
    "arrays, problem",
    [
        (
            {**GOOD_TEST_SPLIT, "images": np.zeros((5, 10, 10), np.uint8)},
            r"images.npy declares uint8 \(5, 10, 10\), expected uint8 "
            r"\(4, 28, 28\)",
        ),
        (
            {**GOOD_TEST_SPLIT, "images": np.zeros((N_TEST, 28, 28))},
            r"images.npy declares float64 .*expected uint8",
        ),
        (
            {**GOOD_TEST_SPLIT, "labels": np.arange(N_TEST) * 16_666},
            r"labels.npy declares int64 \(4,\), expected uint8",
        ),
        (
            {**GOOD_TEST_SPLIT, "labels": np.array([0, 1, 2, 49], np.uint8)},
            r"its SHA-256 is [0-9a-f]{64}, not the [0-9a-f]{64} of the test",
        ),
        (
            {**GOOD_TEST_SPLIT, "labels": np.zeros(N_TEST + 1, np.uint8)},
            r"labels.npy declares uint8 \(5,\), expected uint8 \(4,\)",
        ),
        ({"images": GOOD_TEST_SPLIT["images"]}, r"cannot be read.*labels"),
    ],
)
def test_load_rejects_wrong_content(tmp_path, source, arrays, problem):
    path = data.npz_path("test", tmp_path)
    write_npz(path, **arrays)
    with pytest.raises(data.DataError, match=problem) as error:
        data.load("test", tmp_path)
    message = str(error.value)
    assert str(path) in message
    assert f"python -m fashionlib data --data-dir {tmp_path}" in message


@pytest.mark.parametrize(
    "damage",
    [
        lambda raw: raw[: len(raw) // 2],  # truncated
        lambda raw: raw[:100] + bytes(len(raw) - 100),  # zeroed body
        lambda raw: b"not an npz file",
    ],
)
def test_load_reports_an_unreadable_file_and_the_fix(tmp_path, source, damage):
    path = data.npz_path("test", tmp_path)
    write_npz(path, **GOOD_TEST_SPLIT)
    path.write_bytes(damage(path.read_bytes()))
    with pytest.raises(data.DataError, match="cannot be read") as error:
        data.load("test", tmp_path)
    assert str(path) in str(error.value)
    assert "python -m fashionlib data" in str(error.value)


def test_load_accepts_the_expected_content(tmp_path, source, monkeypatch):
    digest = data.split_digest(GOOD_TEST_SPLIT)
    monkeypatch.setitem(data.SPLIT_SHA256, "test", digest)
    write_npz(data.npz_path("test", tmp_path), **GOOD_TEST_SPLIT)
    loaded = data.load("test", tmp_path)
    assert np.array_equal(loaded["labels"], GOOD_TEST_SPLIT["labels"])


def test_images_other_than_28x28_are_rejected():
    raw = idx_bytes(np.zeros((2, 10, 10)), 2051)
    with pytest.raises(data.DataError, match="10x10 pixels, expected 28x28"):
        data.parse_idx(raw, "t10k-images-idx3-ubyte", 2)


class FakeResponse:
    """What urlopen returns, serving ``body`` (a context manager)."""

    def __init__(self, body):
        self.body = body

    def __enter__(self):
        import io

        return io.BytesIO(self.body)

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize(
    "damage, reason",
    [
        (lambda gz: gz[: len(gz) // 2], "truncated or not a gzip file"),
        (lambda gz: gzip.compress(b"other"), "checksum mismatch"),
    ],
)
def test_a_bad_download_is_never_kept(
    tmp_path, source, monkeypatch, damage, reason
):
    folder, options, _ = source
    bodies = {
        f"{data.MIRROR}{p.name}": p.read_bytes() for p in folder.glob("*.gz")
    }
    bad = "t10k-labels-idx1-ubyte"
    bodies[f"{data.MIRROR}{bad}.gz"] = damage(bodies[f"{data.MIRROR}{bad}.gz"])
    monkeypatch.setattr(
        data.urllib.request,
        "urlopen",
        lambda url, timeout: FakeResponse(bodies[url]),
    )
    messages = []
    options = {
        **options,
        "search_dirs": [tmp_path / "cache"],
        "download_allowed": True,
        "log": messages.append,
    }
    with pytest.raises(data.DataError, match=f"{bad}.gz was not found"):
        data.prepare(tmp_path / "cache", **options)
    assert any(reason in m and bad in m for m in messages)
    assert cache_files(tmp_path / "cache") == sorted(
        f"{name}.gz" for name in options["checksums"] if name != bad
    )
    bodies[f"{data.MIRROR}{bad}.gz"] = (folder / f"{bad}.gz").read_bytes()
    data.prepare(tmp_path / "cache", **options)
    assert data.load("test", tmp_path / "cache")["labels"].shape == (N_TEST,)


def test_prepare_sweeps_what_a_killed_run_left(tmp_path, source):
    _, options, _ = source
    cache = tmp_path / "cache"
    cache.mkdir()
    leftovers = [
        cache / ".mnist_fashion_train.npz.x1y2.part",
        cache / ".t10k-images-idx3-ubyte.gz.a1b2.part",
    ]
    for path in leftovers:
        path.write_bytes(b"half a file")
    (cache / "notes.part").write_text("not ours")
    data.prepare(cache, **options)
    assert cache_files(cache) == [
        f"mnist_fashion_{s}.npz" for s in ("test", "train", "validation")
    ] + ["notes.part"]


def test_prepare_fails_before_reading_when_it_cannot_write(
    tmp_path, source, monkeypatch, capsys
):
    (tmp_path / "a-file").write_text("")
    assert main(["data", "--data-dir", str(tmp_path / "a-file")]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: cannot use ") and "Traceback" not in err
    assert f"{tmp_path / 'a-file'}: is a file, not a folder" in err

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, "Read-only file system", str(tmp_path))

    monkeypatch.setattr(
        "fashionlib._files.tempfile.NamedTemporaryFile", read_only
    )
    assert main(["data", "--data-dir", str(tmp_path / "ro")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot use {tmp_path / 'ro'}")
    assert "Read-only file system" in err and "choose another path" in err
    assert err.count("\n") == 1


def test_command_reports_a_damaged_cache_in_one_line(tmp_path, source, capsys):
    write_npz(data.npz_path("train", tmp_path), images=np.zeros(3))
    assert main(["train", "--data-dir", str(tmp_path), "--no-progress"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert "is damaged" in err and "python -m fashionlib data" in err


# --- every message, log line and default, in full ------------------------

REMEDY = (
    "the file is damaged or not Fashion-MNIST; delete it and run "
    "`python -m fashionlib data` again"
)


def test_prepare_logs_each_file_then_each_split(tmp_path, source):
    folder, options, _ = source
    messages, cache = [], tmp_path / "cache"
    data.prepare(cache, **{**options, "log": messages.append})
    sizes = {
        "train": N_TRAIN - N_VALIDATION,
        "validation": N_VALIDATION,
        "test": N_TEST,
    }
    assert messages == [
        f"  {name}: {count} items from {folder / f'{name}.gz'}, sha256 ok"
        for name, count in options["counts"].items()
    ] + [
        f"  wrote {cache / f'mnist_fashion_{split}.npz'}: {n} images"
        for split, n in sizes.items()
    ]


def test_prepare_logs_what_it_swept(tmp_path, source):
    _, options, _ = source
    cache = tmp_path / "cache"
    cache.mkdir()
    leftover = cache / ".mnist_fashion_test.npz.x1y2.part"
    leftover.write_bytes(b"half a file")
    messages = []
    data.prepare(cache, **{**options, "log": messages.append})
    assert messages[0] == f"  removed {leftover}, left by an interrupted run"
    assert len(messages) == 1 + 4 + 3


def test_prepare_downloads_by_default(tmp_path, source, monkeypatch):
    folder, options, _ = source
    monkeypatch.setattr(
        data.urllib.request,
        "urlopen",
        lambda url, timeout: FakeResponse(
            (folder / url.removeprefix(data.MIRROR)).read_bytes()
        ),
    )
    del options["download_allowed"]
    cache = tmp_path / "cache"
    data.prepare(cache, **{**options, "search_dirs": [cache]})
    assert cache_files(cache) == sorted(
        [f"{name}.gz" for name in options["checksums"]]
        + [f"mnist_fashion_{s}.npz" for s in data.SPLITS]
    )


def test_load_prepares_a_missing_cache_without_a_word(
    tmp_path, source, monkeypatch, capsys
):
    _, options, arrays = source
    prepare = data.prepare

    def prepare_from_source(data_dir, log):
        return prepare(data_dir, **{**options, "log": log})

    monkeypatch.setattr(data, "prepare", prepare_from_source)
    loaded = data.load("test", tmp_path / "cache")
    assert np.array_equal(loaded["labels"], arrays["t10k-labels-idx1-ubyte"])
    assert capsys.readouterr() == ("", "")


def test_parse_idx_messages_in_full():
    name = "t10k-images-idx3-ubyte"
    raw = idx_bytes(np.zeros((2, 28, 28)), 2051)
    cases = [
        (
            raw,
            "train-labels-idx1-ubyte",
            2,
            "train-labels-idx1-ubyte has IDX magic number 2051, expected "
            "2049 for labels: this is not a Fashion-MNIST file of that kind",
        ),
        (
            raw[:-10],
            name,
            2,
            f"{name} declares [2, 28, 28] entries but holds {2 * 784 - 10} "
            "bytes of data: the file is incomplete",
        ),
        (raw, name, 5, f"{name} holds 2 items, expected 5"),
        (
            idx_bytes(np.zeros((2, 10, 12)), 2051),
            name,
            2,
            f"{name} holds images of 10x12 pixels, expected 28x28: this is "
            "not Fashion-MNIST; delete it and run `python -m fashionlib "
            "data` again",
        ),
    ]
    for raw_bytes, file_name, count, message in cases:
        with pytest.raises(data.DataError) as error:
            data.parse_idx(raw_bytes, file_name, count)
        assert message in str(error.value)


def test_parse_idx_reads_images_and_labels():
    images = np.arange(2 * 28 * 28).reshape(2, 28, 28) % 256
    parsed = data.parse_idx(idx_bytes(images, 2051), "x-images-idx3-ubyte", 2)
    assert parsed.dtype == np.uint8 and np.array_equal(parsed, images)
    labels = data.parse_idx(
        idx_bytes(np.array([9, 0, 3]), 2049), "x-labels-idx1-ubyte", 3
    )
    assert labels.dtype == np.uint8 and np.array_equal(labels, [9, 0, 3])


@pytest.mark.parametrize("prefix, n_images", [("train", 5), ("t10k", 2)])
def test_split_arrays_says_which_files_disagree(prefix, n_images):
    arrays = {
        "train-images-idx3-ubyte": np.zeros((5, 28, 28), np.uint8),
        "train-labels-idx1-ubyte": np.zeros(5, np.uint8),
        "t10k-images-idx3-ubyte": np.zeros((2, 28, 28), np.uint8),
        "t10k-labels-idx1-ubyte": np.zeros(2, np.uint8),
    }
    arrays[f"{prefix}-labels-idx1-ubyte"] = np.zeros(n_images + 1, np.uint8)
    with pytest.raises(data.DataError) as error:
        data.split_arrays(arrays, 1)
    assert f"{n_images} images but {n_images + 1} labels" in str(
        error.value
    )


def test_find_source_message_lists_where_it_looked_and_the_fixes(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(data, "download", lambda *arguments: None)
    with pytest.raises(data.DataError) as error:
        data.find_source(
            "x", "sum", [tmp_path / "a"], tmp_path, True, print, 100
        )
    message = str(error.value)
    assert f"x.gz was not found (looked in: {tmp_path / 'a'}" in message
    for fix in (
        "apt-get install dataset-fashion-mnist",
        f"copy the four Fashion-MNIST .gz files into {tmp_path}/",
        "run `python -m fashionlib data` again",
    ):
        assert fix in message


def test_a_label_equal_to_the_number_of_classes_is_refused(
    tmp_path, source, monkeypatch
):
    labels = np.array([0, 1, 2, data.NUM_CLASSES], np.uint8)
    write_npz(
        data.npz_path("test", tmp_path),
        **{**GOOD_TEST_SPLIT, "labels": labels},
    )
    with pytest.raises(data.DataError) as error:
        data.load("test", tmp_path)
    message = str(error.value)
    assert f"{data.npz_path('test', tmp_path)} is damaged" in message
    assert "SHA-256" in message
    assert f"fashionlib data --data-dir {tmp_path}`" in message
    monkeypatch.setenv("FASHIONLIB_DATA", str(tmp_path))
    with pytest.raises(data.DataError) as error:
        data.load("test")  # the default folder: no --data-dir needed
    assert str(error.value).endswith(
        "; rebuild the cache with `python -m fashionlib data`"
    )


def test_an_empty_split_has_the_digest_of_nothing():
    arrays = {
        "images": np.zeros((0, 28, 28), np.uint8),
        "labels": np.zeros(0, np.uint8),
    }
    assert data.split_digest(arrays) == hashlib.sha256().hexdigest()


def test_statistics_of_float32_images_are_float64():
    # 1e8 + 1 - 1e8 is 0 in float32 but 1 in float64
    images = np.array([[[1e8]], [[1.0]], [[-1e8]]], dtype=np.float32)
    mean = data.mean_image(images)
    assert mean.dtype == np.float64 and mean[0, 0] == pytest.approx(1 / 3)
    assert data.whitening_stats(images)[0] == pytest.approx(1 / 3)


def test_whiten_returns_the_dtype_asked_for_any_input():
    images = np.array([[[0, 255]]], dtype=np.int64)
    whitened = data.whiten(images, 127.5, 127.5, dtype=np.float32)
    assert whitened.dtype == np.float32
    np.testing.assert_array_equal(whitened, [[[-1, 1]]])
    assert data.whiten(images.astype(np.uint8), 127.5, 127.5).dtype == float


def test_one_hot_checks_labels_against_num_classes():
    np.testing.assert_array_equal(data.one_hot([2, 0], 3), np.eye(3)[[2, 0]])
    with pytest.raises(ValueError, match=r"0\.\.2, got values from 0 to 5"):
        data.one_hot([0, 5], num_classes=3)


def test_prepare_names_the_file_and_its_folder_on_a_checksum_mismatch(
    tmp_path, source
):
    folder, options, _ = source
    name = "t10k-images-idx3-ubyte"
    actual = options["checksums"][name]
    checksums = {**options["checksums"], name: "0" * 64}
    with pytest.raises(data.DataError) as error:
        data.prepare(tmp_path / "cache", **{**options, "checksums": checksums})
    message = str(error.value)
    assert f"checksum mismatch for {name} (from {folder / f'{name}.gz'})" in (
        message
    )
    assert "0" * 64 in message and actual in message
    assert message.endswith(REMEDY)
