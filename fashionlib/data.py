"""Fashion-MNIST: find the four IDX files, verify, split and cache them.

Defined for the chapter "The data" (book/data.md).

Search order for each file ``<name>.gz``: the data folder, then
``/usr/share/datasets/fashion-mnist`` (Debian package
``dataset-fashion-mnist``), then the official mirror where a network
exists; a download is verified before it is kept.  Each file is checked
against the SHA-256 of its decompressed bytes before it is used.  The cache
holds ``mnist_fashion_{train,validation,test}.npz`` with ``images`` uint8
``(N, 28, 28)`` and ``labels`` uint8 ``(N,)``: train is the first 50,000
official training images, validation the last 10,000, test the official 10,000.
"""

import gzip
import hashlib
import http.client
import math
import os
import urllib.request
import zipfile
import zlib
from pathlib import Path

import numpy as np

from fashionlib import _validate
from fashionlib._files import (
    atomic_file,
    atomic_files,
    check_writable,
    sweep,
)
from fashionlib._npz import read_npz

#: Names of the ten classes, indexed by label 0 to 9.
LABEL_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
#: Number of classes (10).
NUM_CLASSES = len(LABEL_NAMES)

#: SHA-256 of each decompressed official IDX file.
SHA256 = {
    "train-images-idx3-ubyte": (
        "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"
    ),
    "train-labels-idx1-ubyte": (
        "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"
    ),
    "t10k-images-idx3-ubyte": (
        "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"
    ),
    "t10k-labels-idx1-ubyte": (
        "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"
    ),
}
#: Number of items in each official IDX file.
COUNTS = {
    "train-images-idx3-ubyte": 60000,
    "train-labels-idx1-ubyte": 60000,
    "t10k-images-idx3-ubyte": 10000,
    "t10k-labels-idx1-ubyte": 10000,
}
#: Magic numbers of the IDX headers, by kind of file.
IDX_MAGIC = {
    "images": 2051,
    "labels": 2049,
}  # 0x0803: 3-D uint8, 0x0801: 1-D uint8
#: Where the Debian package dataset-fashion-mnist puts the files.
SYSTEM_DIR = Path("/usr/share/datasets/fashion-mnist")
#: The official download mirror, used where a network exists.
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
#: The three splits :func:`load` knows.
SPLITS = ("train", "validation", "test")
#: Number of official training images held out for validation (the last ones).
VALIDATION_SIZE = 10000
#: Number of images of each split, checked by :func:`load`.
SPLIT_SIZES = {"train": 50000, "validation": 10000, "test": 10000}
#: Image height and width in pixels.
IMAGE_SHAPE = (28, 28)
#: SHA-256 of each split's images then labels, as :func:`prepare` writes
#: them (:func:`split_digest`); :func:`load` checks it on every read.
SPLIT_SHA256 = {
    "train": (
        "ff19ebce3d1a868cf86f4945ff2c1cb4a9d9f33825e65c2718e8d476401e5e1e"
    ),
    "validation": (
        "bf7456895d24b1fb3ee1adfe31443a540c70e8e78d1e994ae449ac6962751c66"
    ),
    "test": (
        "9f1ec356a747bfe4ebab3cfb722d3694c9ca737e2570f6f90cf31d7b6fd689d4"
    ),
}


class DataError(RuntimeError):
    """The data set is missing or damaged; the message says what to do."""


def default_data_dir():
    """The cache folder: ``$FASHIONLIB_DATA``, else ``data/`` of a source
    checkout, else ``~/.cache/fashionlib``."""
    if os.environ.get("FASHIONLIB_DATA"):
        return Path(os.environ["FASHIONLIB_DATA"])
    checkout = Path(__file__).resolve().parent.parent
    if (checkout / "pyproject.toml").is_file() and (
        checkout / "fashionlib"
    ).is_dir():
        return checkout / "data"
    return Path.home() / ".cache" / "fashionlib"


def npz_path(split, data_dir=None):
    """Path of the cached npz of ``split`` (train, validation or test)."""
    if split not in SPLITS:
        raise ValueError(
            f"unknown split {split!r}: choose one of {', '.join(SPLITS)}"
        )
    return Path(data_dir or default_data_dir()) / f"mnist_fashion_{split}.npz"


# --- reading and verifying IDX files ----------------------------------------


def idx_size(name, count):
    """Bytes of the decompressed IDX file ``name`` holding ``count`` items:
    a header of 4 bytes per dimension plus one byte per pixel or label."""
    if "images" in name:
        return 16 + count * IMAGE_SHAPE[0] * IMAGE_SHAPE[1]
    return 8 + count


def gz_limit(limit):
    """Most bytes a gzip file of ``limit`` bytes of data can hold: stored
    blocks add 5 bytes per 16 KiB, the header and trailer some more."""
    return limit + limit // 1000 + 1024


def read_gz(path, limit):
    """Decompressed bytes of the gzip file ``path``, at most ``limit``.

    DataError if it is truncated, not gzip, larger than
    :func:`gz_limit` or decompresses to more than ``limit`` bytes: sizes
    are checked before and while reading, so a small file of zeros cannot
    fill the memory.
    """
    fresh = (
        " delete it and run `python -m fashionlib data` again to take a "
        "fresh copy"
    )
    size = os.stat(path).st_size
    if size > gz_limit(limit):
        raise DataError(
            f"{path} holds {size} bytes, more than a gzip file of "
            f"{limit} bytes can;{fresh}"
        )
    try:
        with gzip.open(path, "rb") as f:
            raw = f.read(limit + 1)
    except (EOFError, gzip.BadGzipFile, zlib.error) as error:
        raise DataError(
            f"{path} is truncated or not a gzip file ({error});{fresh}"
        ) from error
    if len(raw) > limit:
        raise DataError(
            f"{path} decompresses to more than the {limit} bytes of its "
            f"Fashion-MNIST file;{fresh}"
        )
    return raw


def check_sha256(raw, name, expected, origin):
    """Raise DataError unless the SHA-256 of ``raw`` (decompressed
    ``name``) equals ``expected``."""
    actual = hashlib.sha256(raw).hexdigest()
    if actual != expected:
        raise DataError(
            f"checksum mismatch for {name} (from {origin}):\n"
            f"  expected {expected}\n  actual   {actual}\n"
            "the file is damaged or not Fashion-MNIST; delete it and run "
            "`python -m fashionlib data` again"
        )


def parse_idx(raw, name, expected_count):
    """Array stored in the IDX bytes ``raw``: uint8 ``(N, 28, 28)`` for
    images, ``(N,)`` for labels.

    Checks the magic number, that the payload length matches the header,
    that ``N`` equals ``expected_count`` and that images are 28x28.
    """
    kind = "images" if "images" in name else "labels"
    ndim = 3 if kind == "images" else 1
    header_size = 4 * (1 + ndim)
    if len(raw) < header_size:
        raise DataError(
            f"{name} is too short for an IDX header ({len(raw)} bytes)"
        )
    magic, *dims = np.frombuffer(raw[:header_size], dtype=">u4").tolist()
    if magic != IDX_MAGIC[kind]:
        raise DataError(
            f"{name} has IDX magic number {magic}, expected "
            f"{IDX_MAGIC[kind]} for {kind}: this is not a Fashion-MNIST "
            "file of that kind"
        )
    payload = raw[header_size:]
    if len(payload) != int(np.prod(dims)):
        raise DataError(
            f"{name} declares {dims} entries but holds {len(payload)} "
            "bytes of data: the file is incomplete"
        )
    if dims[0] != expected_count:
        raise DataError(
            f"{name} holds {dims[0]} items, expected {expected_count}"
        )
    if kind == "images" and tuple(dims[1:]) != IMAGE_SHAPE:
        raise DataError(
            f"{name} holds images of {dims[1]}x{dims[2]} pixels, expected "
            "28x28: this is not Fashion-MNIST; delete it and run "
            "`python -m fashionlib data` again"
        )
    return np.frombuffer(payload, dtype=np.uint8).reshape(dims)


# --- finding the files ------------------------------------------------------


def download(name, checksum, data_dir, log, limit):
    """Fetch ``name.gz`` into ``data_dir``; None if unreachable or damaged.

    The file is kept only if it is at most ``limit`` bytes, decompresses
    completely (to at most ``limit`` bytes) and its content has the
    SHA-256 ``checksum``; only then is it moved into place.
    """
    url = MIRROR + name + ".gz"
    target = data_dir / (name + ".gz")
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            with atomic_file(target) as f:
                f.write(response.read(gz_limit(limit) + 1))
                f.flush()
                check_sha256(read_gz(f.name, limit), name, checksum, url)
    except (OSError, http.client.HTTPException, DataError) as error:
        log(f"  could not download {url}: {error}")
        return None
    log(f"  downloaded {url}")
    return target


def find_source(
    name, checksum, search_dirs, data_dir, allow_download, log, limit
):
    """Path of ``name.gz``: the first of ``search_dirs`` that has it, else a
    download of at most ``limit`` bytes checked against ``checksum``;
    DataError if none."""
    for folder in search_dirs:
        candidate = Path(folder) / (name + ".gz")
        if candidate.is_file():
            return candidate
    if allow_download:
        fetched = download(name, checksum, data_dir, log, limit)
        if fetched is not None:
            return fetched
    places = ", ".join(str(Path(folder)) for folder in search_dirs)
    raise DataError(
        f"{name}.gz was not found (looked in: {places}; download "
        f"{'failed' if allow_download else 'disabled'}). "
        "Any one of these fixes it:\n"
        "  1. install the Debian package:  "
        "sudo apt-get install dataset-fashion-mnist\n"
        f"  2. copy the four Fashion-MNIST .gz files into {data_dir}/\n"
        "  3. connect to a network and run `python -m fashionlib data` again"
    )


# --- writing the cache -------------------------------------------------------


def save_splits(paths, splits):
    """Write each split's ``(images (N, 28, 28), labels (N,))`` of
    ``splits`` to its npz in ``paths`` (dicts by split): all or none."""
    with atomic_files(*paths.values()) as files:
        for f, (images, labels) in zip(files, splits.values(), strict=True):
            np.savez(f, images=images, labels=labels)


def prepare(
    data_dir=None,
    search_dirs=None,
    download_allowed=True,
    checksums=SHA256,
    counts=COUNTS,
    validation_size=VALIDATION_SIZE,
    log=print,
):
    """Find, verify and split the four IDX files; write the three npz files.

    Returns ``{split: path}``.  Raises DataError, naming the file and the fix,
    if a file is missing, truncated, fails its checksum or has wrong counts.
    Nothing is written unless every file passed.
    """
    data_dir = Path(data_dir or default_data_dir())
    search_dirs = (
        [data_dir, SYSTEM_DIR] if search_dirs is None else list(search_dirs)
    )
    for stale in sweep(*cache_targets(data_dir, checksums)):
        log(f"  removed {stale}, left by an interrupted run")
    check_writable(*cache_targets(data_dir, ()))
    arrays = {}
    for name, expected in checksums.items():
        limit = idx_size(name, counts[name])
        source = find_source(
            name, expected, search_dirs, data_dir, download_allowed, log, limit
        )
        raw = read_gz(source, limit)
        check_sha256(raw, name, expected, source)
        arrays[name] = parse_idx(raw, name, counts[name])
        log(
            f"  {name}: {arrays[name].shape[0]} items from {source}, sha256 ok"
        )
    splits = split_arrays(arrays, validation_size)
    paths = {split: npz_path(split, data_dir) for split in splits}
    save_splits(paths, splits)
    for split, (_, labels) in splits.items():
        log(f"  wrote {paths[split]}: {len(labels)} images")
    return paths


def cache_targets(data_dir, names):
    """Every file :func:`prepare` may write: the npz cache and downloads."""
    return [npz_path(split, data_dir) for split in SPLITS] + [
        Path(data_dir) / f"{name}.gz" for name in names
    ]


def split_arrays(arrays, validation_size):
    """``{split: (images, labels)}`` from the four parsed IDX arrays;
    checks that images and labels agree in number."""
    for prefix in ("train", "t10k"):
        n_images = arrays[f"{prefix}-images-idx3-ubyte"].shape[0]
        n_labels = arrays[f"{prefix}-labels-idx1-ubyte"].shape[0]
        if n_images != n_labels:
            raise DataError(
                f"{prefix}: {n_images} images but {n_labels} labels; "
                "the files do not belong together"
            )
    train_images, train_labels = (
        arrays["train-images-idx3-ubyte"],
        arrays["train-labels-idx1-ubyte"],
    )
    cut = len(train_labels) - validation_size
    return {
        "train": (train_images[:cut], train_labels[:cut]),
        "validation": (train_images[cut:], train_labels[cut:]),
        "test": (
            arrays["t10k-images-idx3-ubyte"],
            arrays["t10k-labels-idx1-ubyte"],
        ),
    }


def load(split, data_dir=None):
    """``{'images': uint8 (N, 28, 28), 'labels': uint8 (N,)}`` of ``split``.

    Prepares the cache if it is missing; raises DataError, naming the file
    and the command that rebuilds it, if the file declares anything but
    the expected arrays (:data:`SPLIT_SIZES`; checked before they are
    read), cannot be read, or holds other content than the split that
    :func:`prepare` writes (:data:`SPLIT_SHA256`).
    """
    path = npz_path(split, data_dir)
    if not path.is_file():
        prepare(data_dir, log=lambda message: None)
    count = SPLIT_SIZES[split]
    expected = {
        "images": (np.uint8, (count, *IMAGE_SHAPE)),
        "labels": (np.uint8, (count,)),
    }
    try:
        arrays = read_npz(path, count * math.prod(IMAGE_SHAPE), expected)
    except (
        OSError,
        ValueError,
        EOFError,
        zipfile.BadZipFile,
        zlib.error,
    ) as error:
        raise damaged(path, data_dir, f"cannot be read ({error})") from error
    digest = split_digest(arrays)
    if digest != SPLIT_SHA256[split]:
        raise damaged(
            path,
            data_dir,
            f"its SHA-256 is {digest}, not the {SPLIT_SHA256[split]} of "
            f"the {split} split (changed images or labels)",
        )
    return arrays


def split_digest(arrays):
    """SHA-256 of a split's images then labels (their raw bytes): hex."""
    digest = hashlib.sha256(arrays["images"].tobytes())
    digest.update(arrays["labels"].tobytes())
    return digest.hexdigest()


def damaged(path, data_dir, problem):
    """The DataError for a cache file ``path``: ``problem`` and the fix."""
    option = f" --data-dir {data_dir}" if data_dir else ""
    return DataError(
        f"{path} is damaged: {problem}; rebuild the cache with "
        f"`python -m fashionlib data{option}`"
    )


# --- statistics and preparation for training --------------------------------


def mean_image(images):
    """Pixel-wise mean of ``images`` ``(N, 28, 28)``: a float ``(28, 28)``."""
    return np.mean(images, axis=0, dtype=float)


def class_mean_images(images, labels):
    """Mean image of each class: ``(10, 28, 28)``, entry ``k`` averaging
    the images labelled ``k``."""
    labels = np.asarray(labels)
    return np.stack(
        [mean_image(images[labels == k]) for k in range(NUM_CLASSES)]
    )


def whitening_stats(images):
    """Mean and standard deviation over every pixel of ``images``:
    ``(mean, std)``, two floats."""
    pixels = np.asarray(images, dtype=float)
    return float(pixels.mean()), float(pixels.std())


def whiten(images, mean, std, dtype=float):
    """``(images - mean) / std`` as floats of ``dtype`` (float64 unless
    asked), same shape as ``images``."""
    dtype = np.dtype(dtype).type
    return (np.asarray(images, dtype=dtype) - dtype(mean)) / dtype(std)


def one_hot(labels, num_classes=NUM_CLASSES):
    """One-hot rows ``(N, num_classes)`` for integer ``labels`` ``(N,)``."""
    return np.eye(num_classes)[_validate.labels(labels, num_classes)]


def prepare_regression(dataset, mean, std, max_items=10000):
    """The first ``max_items`` items, whitened:
    ``{'images': float (N, 28, 28), 'labels': int (N,)}``.

    Raises ValueError unless ``dataset`` holds as many integer labels
    0..9 as images."""
    images, labels = _validate.dataset(dataset)
    return {
        "images": whiten(images[:max_items], mean, std),
        "labels": _validate.labels(labels[:max_items]),
    }


def prepare_classification(dataset, mean, std, max_items=10000):
    """Like :func:`prepare_regression` but with one-hot labels ``(N, 10)``."""
    prepared = prepare_regression(dataset, mean, std, max_items)
    return {
        "images": prepared["images"],
        "labels": one_hot(prepared["labels"]),
    }
