"""The book as a test: build it with every chapter executed.

Any failing cell or warning fails.

The build itself is the session fixture ``built_book`` (tests/conftest.py),
shared with the browser tests (tests/test_browser.py), so ``make test`` builds
the book once.
"""

import pytest


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
