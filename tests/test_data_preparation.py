"""The data cache as load() sees it, and the whitened training sets."""

import gzip
import hashlib
import io
from pathlib import Path

import numpy as np
import pytest

from fashionlib import data


def fake_dataset():
    """Three 28x28 images of constant values 0, 1 and 2, labels 4, 7, 9."""
    images = np.stack(
        [np.full((28, 28), v, dtype=np.uint8) for v in (0, 1, 2)]
    )
    return {"images": images, "labels": np.array([4, 7, 9], dtype=np.uint8)}


def test_load_prepares_a_missing_cache_then_reads_it(
    tmp_path, monkeypatch, fake_cache
):
    calls = []
    # never the real cache, whatever load() passes on
    monkeypatch.setenv("FASHIONLIB_DATA", str(tmp_path / "elsewhere"))

    def prepare(data_dir, log):
        calls.append(data_dir)
        assert data_dir == tmp_path
        log("the message goes nowhere")
        dataset = fake_dataset()
        split = dataset["images"], dataset["labels"]
        fake_cache(data_dir, dict.fromkeys(data.SPLITS, split))

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


def test_default_data_dir_environment_checkout_then_home(
    monkeypatch, tmp_path
):
    monkeypatch.setenv("FASHIONLIB_DATA", str(tmp_path))
    assert data.default_data_dir() == tmp_path
    checkout = Path(data.__file__).resolve().parent.parent
    monkeypatch.setenv("FASHIONLIB_DATA", "")
    assert data.default_data_dir() == checkout / "data"
    installed = tmp_path / "site-packages" / "fashionlib"
    installed.mkdir(parents=True)
    monkeypatch.setattr(data, "__file__", str(installed / "data.py"))
    monkeypatch.setattr(Path, "home", lambda: tmp_path / "home")
    home_cache = tmp_path / "home" / ".cache" / "fashionlib"
    assert data.default_data_dir() == home_cache
    (tmp_path / "site-packages" / "pyproject.toml").write_text("")
    assert data.default_data_dir() == tmp_path / "site-packages" / "data"
    installed.rmdir()
    assert data.default_data_dir() == home_cache


def test_download_writes_the_file_or_says_why_not(monkeypatch, tmp_path):
    requests, messages = [], []
    payload = gzip.compress(b"content")
    checksum = hashlib.sha256(b"content").hexdigest()

    def urlopen(url, timeout):
        requests.append((url, timeout))
        return io.BytesIO(payload)

    monkeypatch.setattr(data.urllib.request, "urlopen", urlopen)
    target = data.download("x-idx", checksum, tmp_path, messages.append, 10**6)
    assert target == tmp_path / "x-idx.gz"
    assert target.read_bytes() == payload
    assert requests == [(data.MIRROR + "x-idx.gz", 30)]
    assert messages == [f"  downloaded {data.MIRROR}x-idx.gz"]

    def offline(url, timeout):
        raise OSError("no route")

    monkeypatch.setattr(data.urllib.request, "urlopen", offline)
    assert (
        data.download("y-idx", checksum, tmp_path, messages.append, 10**6)
        is None
    )
    assert (
        messages[-1] == f"  could not download {data.MIRROR}y-idx.gz: no route"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x-idx.gz"]


def test_find_source_searches_in_order_then_downloads(monkeypatch, tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    for folder in (first, second):
        folder.mkdir()
    (second / "name.gz").write_bytes(b"")
    found = data.find_source(
        "name", "sum", [first, second], tmp_path, False, print, 100
    )
    assert found == second / "name.gz"
    (first / "name.gz").write_bytes(b"")
    found = data.find_source(
        "name", "sum", [str(first), second], tmp_path, False, print, 100
    )
    assert found == first / "name.gz"

    fetched = tmp_path / "fetched.gz"
    calls = []

    def download(name, checksum, data_dir, log, limit):
        calls.append((name, checksum, data_dir, log))
        return fetched

    monkeypatch.setattr(data, "download", download)
    found = data.find_source(
        "other", "sum", [first], tmp_path, True, print, 100
    )
    assert found == fetched and calls == [("other", "sum", tmp_path, print)]


def test_find_source_says_where_it_looked_and_why_it_failed(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(data, "download", lambda *arguments: None)
    for allowed, reason in ((True, "failed"), (False, "disabled")):
        with pytest.raises(data.DataError) as error:
            data.find_source(
                "x", "sum", [tmp_path / "a", "b"], tmp_path, allowed, print, 9
            )
        message = str(error.value)
        assert message.startswith(
            f"x.gz was not found (looked in: {tmp_path / 'a'}, b; download "
            f"{reason}). Any one of these fixes it:\n"
        )
        assert (
            f"  2. copy the four Fashion-MNIST .gz files into {tmp_path}/\n"
            in message
        )
        assert message.endswith("run `python -m fashionlib data` again")


def test_training_sets_default_to_the_first_10000_items():
    dataset = {
        "images": np.zeros((10001, 28, 28), dtype=np.uint8),
        "labels": np.zeros(10001, dtype=np.uint8),
    }
    assert len(data.prepare_regression(dataset, 0.0, 1.0)["labels"]) == 10000
    classification = data.prepare_classification(dataset, 0.0, 1.0)
    assert classification["labels"].shape == (10000, 10)


def test_a_header_alone_is_an_empty_idx_file():
    header = np.array([2049, 0], dtype=">u4").tobytes()
    labels = data.parse_idx(header, "x-labels-idx1-ubyte", 0)
    assert labels.shape == (0,) and labels.dtype == np.uint8
    with pytest.raises(data.DataError) as error:
        data.parse_idx(header[:5], "x-labels-idx1-ubyte", 0)
    assert "too short for an IDX header (5 bytes)" in str(error.value)
    images_magic = np.array([2051, 0], dtype=">u4").tobytes()
    with pytest.raises(data.DataError) as error:
        data.parse_idx(images_magic, "x-labels-idx1-ubyte", 0)
    assert str(error.value).endswith(
        "expected 2049 for labels: this is not a Fashion-MNIST file of that "
        "kind"
    )


def test_damaged_files_are_explained_in_full(tmp_path):
    broken = tmp_path / "broken.gz"
    broken.write_bytes(b"not gzip")
    with pytest.raises(data.DataError) as error:
        data.read_gz(broken, 10**6)
    assert str(error.value).startswith(f"{broken} is truncated or not a gzip")
    assert str(error.value).endswith(
        "; delete it and run `python -m fashionlib data` again to take a "
        "fresh copy"
    )
    with pytest.raises(data.DataError) as error:
        data.check_sha256(b"", "name", "0" * 64, "somewhere")
    assert str(error.value).startswith(
        "checksum mismatch for name (from somewhere):\n  expected 000"
    )
    assert str(error.value).endswith(
        "\nthe file is damaged or not Fashion-MNIST; delete it and run "
        "`python -m fashionlib data` again"
    )


def test_a_wrong_download_is_logged_with_its_name_and_source(
    monkeypatch, tmp_path
):
    monkeypatch.setattr(
        data.urllib.request,
        "urlopen",
        lambda url, timeout: io.BytesIO(gzip.compress(b"other")),
    )
    messages = []
    assert (
        data.download("x-idx", "0" * 64, tmp_path, messages.append, 10**6)
        is None
    )
    url = data.MIRROR + "x-idx.gz"
    assert messages == [
        f"  could not download {url}: checksum mismatch for x-idx "
        f"(from {url}):\n  expected {'0' * 64}\n"
        f"  actual   {hashlib.sha256(b'other').hexdigest()}\n"
        "the file is damaged or not Fashion-MNIST; delete it and run "
        "`python -m fashionlib data` again"
    ]
    assert list(tmp_path.iterdir()) == []
