"""The book as a test: built with every chapter executed.

Any failing cell or warning fails.

The build is the session fixture ``built_book`` (tests/conftest.py): the one
``make test`` ran just before the tests (``make book``), shared with the
browser tests (tests/test_browser.py), so ``make test`` builds the book once.
"""

import json

import pytest
from conftest import ROOT

from publish import book
from publish.sources import notebook_docnames


@pytest.mark.book
@pytest.mark.slow
def test_book_builds_without_errors_or_warnings(built_book):
    assert built_book.returncode == 0, (
        "book build failed:\n" + built_book.log[-8000:]
    )
    html = built_book.html
    assert (html / "index.html").is_file()
    data_page = (html / "book" / "data.html").read_text()
    assert (
        "fashion_mean" in data_page and "mathjax/tex-mml-chtml.js" in data_page
    )
    assert (html / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()


@pytest.mark.book
@pytest.mark.slow
def test_the_build_executed_every_chapter_in_its_pool(built_book):
    """Every notebook chapter has its seconds from this build, and Sphinx
    executed none itself (each found its notebook in the build's cache)."""
    from jupyter_cache import get_cache

    seconds = json.loads((built_book.build / book.SECONDS).read_text())
    assert set(seconds) == set(notebook_docnames(ROOT))
    cache = get_cache(str(built_book.build / book.CACHE))
    assert len(cache.list_cache_records()) == len(seconds)
    assert not cache.list_project_records()
