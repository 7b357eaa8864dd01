"""The book as a test: build it with every chapter executed; any failing cell or warning fails."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.book
def test_book_builds_without_errors_or_warnings(tmp_path):
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    assert jupyter_book.exists(), "install the book extras: pip install -e '.[book,test]'"
    result = subprocess.run(
        [str(jupyter_book), "build", str(ROOT), "--path-output", str(tmp_path), "-W", "-n", "--keep-going"],
        capture_output=True, text=True,
    )
    log = result.stdout + result.stderr
    assert result.returncode == 0, "book build failed:\n" + log[-8000:]
    index = tmp_path / "_build" / "html" / "index.html"
    assert index.is_file()
    data_page = (tmp_path / "_build" / "html" / "book" / "data.html").read_text()
    assert "fashion_mean" in data_page and "mathjax/tex-mml-chtml.js" in data_page
    assert (tmp_path / "_build" / "html" / "_static" / "mathjax" / "tex-mml-chtml.js").is_file()
