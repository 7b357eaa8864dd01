"""Shared fixtures: the book's folder, a seeded Generator, the built book.

Every test draws off-screen: matplotlib's Agg backend, chosen here once.
"""

import functools
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
    """Build the whole book once per test session.

    Returns the completed build (folder and log).

    ``jupyter-book build --path-output`` writes to ``<tmp>/_build/html``; every
    chapter is executed (``execute_notebooks: force``) with ``-W -n``: any
    warning fails the build.
    """
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    assert jupyter_book.exists(), (
        "install the book extras: pip install -e '.[book,test]'"
    )
    out = tmp_path_factory.mktemp("book")
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--path-output",
            str(out),
            "-W",
            "-n",
            "--keep-going",
        ],
        capture_output=True,
        text=True,
    )
    returncode, log = result.returncode, result.stdout + result.stderr
    if returncode == 0:  # the JupyterLite site the chapters' buttons open
        lite = subprocess.run(
            [sys.executable, "-m", "publish.lite"]
            + [str(out / "_build" / "html" / "_lite")]
            + ["--build", str(out / "_build")],
            capture_output=True,
            text=True,
            cwd=ROOT,
        )
        returncode, log = lite.returncode, log + lite.stdout + lite.stderr
    return SimpleNamespace(
        html=out / "_build" / "html",
        build=out / "_build",
        returncode=returncode,
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
        url=f"http://127.0.0.1:{server.server_address[1]}/",
    )
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    """Serve files without logging every request to stderr."""

    def log_message(self, format, *args):
        pass
