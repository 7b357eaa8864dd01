"""Shared fixtures: the book's folder, a seeded Generator, the built book.

Every test draws off-screen: matplotlib's Agg backend, chosen here once.
"""

import functools
import os
import subprocess
import sys
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace

import matplotlib
import numpy as np
import pytest
from hypothesis import settings
from tqdm import tqdm

from publish import book

# Deterministic examples and no per-example deadline: CI machines are shared
# and noisy.
settings.register_profile(
    "fashionlib", derandomize=True, deadline=None, max_examples=60
)
settings.load_profile("fashionlib")
matplotlib.use("Agg")

# Tests in forked processes (mutmut forks one per mutant) must not share a
# lock: no tqdm monitor thread, and a per-process lock in place of tqdm's
# multiprocessing one, which a child killed while it held it (a mutant that
# timed out) left taken for every later child.
tqdm.monitor_interval = 0
tqdm.set_lock(threading.RLock())


@pytest.fixture(scope="session")
def notebook_client():
    """``make(notebook, folder)``: the NotebookClient every executing test
    uses, a python3 kernel working in ``folder``, 300 s per cell."""

    from nbclient import NotebookClient  # slow to import: only when used

    def make(notebook, folder):
        return NotebookClient(
            notebook,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(folder)}},
        )

    return make


#: The book's folder: the checkout holding _toc.yml, book/ and fashionlib/.
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def root():
    """The book's folder (the checkout's root)."""
    return ROOT


@pytest.fixture
def rng():
    """A fresh seeded Generator per test."""
    return np.random.default_rng(42)


# --- the built site, shared by every test marked "book" ----------------------


@pytest.fixture(scope="session")
def built_book(tmp_path_factory):
    """The whole book, built once per test session at most.

    ``make test`` builds it (``make book``) before the tests and names its
    ``_build`` folder in ``FASHIONLIB_BUILT_BOOK``: the tests read that
    build.  Without it the book is built here, into a temporary folder, by
    ``make book``'s command (publish/book.py: every chapter executed afresh,
    ``-W -n``: any warning fails), and its JupyterLite site added.

    Returns the build: folders ``html`` and ``build``, the ``config`` it
    was built with, its exit status and log.
    """
    given = os.environ.get("FASHIONLIB_BUILT_BOOK")
    if given:
        build = Path(given).resolve()
        return SimpleNamespace(
            html=build / "html",
            build=build,
            config=build / book.CONFIG,
            returncode=0,
            log=f"built by make book into {build}",
        )
    out = tmp_path_factory.mktemp("book")
    log = ""
    for command in (
        ["publish.book", "--out", str(out)],
        ["publish.lite", str(out / "_build" / "html" / "_lite")]
        + ["--build", str(out / "_build")],
    ):
        result = subprocess.run(
            [sys.executable, "-m", *command],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        log += result.stdout + result.stderr
        if result.returncode != 0:
            break
    return SimpleNamespace(
        html=out / "_build" / "html",
        build=out / "_build",
        config=out / "_build" / book.CONFIG,
        returncode=result.returncode,
        log=log,
    )


@pytest.fixture(scope="session")
def book_record(built_book):
    """The built book's record for its notebooks (:mod:`publish.render`):
    a test that uses it renders real chapters, so it is marked book."""
    from publish.render import load_reader

    assert built_book.returncode == 0, (
        "book build failed:\n" + built_book.log[-8000:]
    )
    return load_reader(ROOT, built_book.build)


def pytest_collection_modifyitems(items):
    """Tests of notebooks rendered from the built book are book tests."""
    for item in items:
        if "book_record" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.book)
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def site(built_book):
    """The built HTML folder served over http on 127.0.0.1 (a free port).

    Yields its base URL.
    """
    assert built_book.returncode == 0, (
        "book build failed:\n" + built_book.log[-8000:]
    )
    handler = functools.partial(QuietHandler, directory=str(built_book.html))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(
        html=built_book.html,
        build=built_book.build,
        config=built_book.config,
        url=f"http://127.0.0.1:{server.server_address[1]}/",
    )
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve files without logging every request to stderr."""

    def log_message(self, format, *args):
        pass


@pytest.fixture
def fake_cache(monkeypatch):
    """``write(folder, splits)``: a data cache in ``folder`` holding the
    synthetic ``splits`` ({split: (images uint8 (N, 28, 28), labels uint8
    (N,))}) that ``data.load`` accepts: their sizes and SHA-256 digests are
    patched in for the test.  Returns the digests by split."""
    from fashionlib import data

    def write(folder, splits):
        digests = {
            split: data.split_digest({"images": images, "labels": labels})
            for split, (images, labels) in splits.items()
        }
        sizes = {split: len(labels) for split, (_, labels) in splits.items()}
        monkeypatch.setattr(data, "SPLIT_SIZES", {**data.SPLIT_SIZES, **sizes})
        monkeypatch.setattr(
            data, "SPLIT_SHA256", {**data.SPLIT_SHA256, **digests}
        )
        data.save_splits(
            {split: data.npz_path(split, folder) for split in splits}, splits
        )
        return digests

    return write


@pytest.fixture
def tiny_data(tmp_path, fake_cache):
    """A data folder holding 300/100/100 synthetic images whose class shows
    as a bright row."""
    rng = np.random.default_rng(0)
    splits = {}
    for split, count in (("train", 300), ("validation", 100), ("test", 100)):
        labels = rng.integers(0, 10, count).astype(np.uint8)
        images = rng.integers(0, 60, (count, 28, 28)).astype(np.uint8)
        images[np.arange(count), 2 * labels + 4, :] = 255
        splits[split] = images, labels
    fake_cache(tmp_path, splits)
    return tmp_path
