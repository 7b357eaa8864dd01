"""``make book``'s build (publish.book) on a book of two small chapters.

The chapters execute in a pool, Sphinx reads their outputs from the cache
and executes nothing itself, the table of seconds is printed, and a failing
cell fails the build before Sphinx starts.
"""

import json
import re
import subprocess
import sys

import pytest

from publish import book

pytestmark = pytest.mark.slow  # starts kernels and Sphinx

CONFIG = """\
title: two chapters
only_build_toc_files: true
execute:
  execute_notebooks: force
  timeout: 120
  allow_errors: false
  raise_on_error: true
parse:
  myst_enable_extensions: [colon_fence]
"""
TOC = """\
format: jb-book
root: intro
parts:
  - caption: Chapters
    chapters:
      - file: first
      - file: second
"""
CHAPTER = """\
---
jupytext:
  text_representation:
    extension: .md
    format_name: myst
kernelspec:
  display_name: Python 3
  language: python
  name: python3
---
# {title}

```{{code-cell}} ipython3
:tags: [remove-cell]

import os
from myst_nb import glue

glue("{title}_threads", os.environ["OPENBLAS_NUM_THREADS"], display=False)
{extra}
```

The kernel had {{glue:text}}`{title}_threads` BLAS thread.
"""


def write_book(folder, extra=""):
    """A book of two chapters in ``folder``; ``extra`` ends the second's
    cell."""
    (folder / "_config.yml").write_text(CONFIG)
    (folder / "_toc.yml").write_text(TOC)
    (folder / "intro.md").write_text("# Two chapters\n")
    (folder / "first.md").write_text(CHAPTER.format(title="first", extra=""))
    (folder / "second.md").write_text(
        CHAPTER.format(title="second", extra=extra)
    )


def run_build(folder):
    """``python -m publish.book`` in ``folder``; the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "publish.book", "--workers", "2"],
        cwd=folder,
        capture_output=True,
        text=True,
    )


def test_chapters_execute_in_the_pool_and_sphinx_reads_them(tmp_path):
    write_book(tmp_path)
    run = run_build(tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    for name in ("first", "second"):
        page = (tmp_path / "_build" / "html" / f"{name}.html").read_text()
        assert "The kernel had 1 BLAS thread" in re.sub("<[^>]*>", "", page)
    seconds = json.loads(
        (tmp_path / "_build" / book.SECONDS).read_text()
    )
    assert set(seconds) == {"first", "second"}
    table = run.stdout[run.stdout.rindex("chapter") :].splitlines()
    assert [row.split()[0] for row in table[1:3]] == sorted(
        seconds, key=lambda name: -seconds[name]
    )
    assert "Executing notebook" not in run.stdout  # Sphinx executed none


def test_a_failing_cell_fails_the_build_before_sphinx(tmp_path):
    write_book(tmp_path, extra='assert 1 == 2, "the claim broke"')
    run = run_build(tmp_path)
    assert run.returncode == 1
    assert "second failed" in run.stderr
    assert "the claim broke" in run.stderr
    assert "FAILED: second" in run.stderr
    assert not (tmp_path / "_build" / "html").exists()
    report = tmp_path / "_build" / book.REPORTS / "second.err.log"
    assert "the claim broke" in report.read_text()


def test_chapters_without_a_time_go_first_last_first_then_the_longest():
    seconds = {"a": 1.0, "b": 30.0, "c": 5.0}
    order = book.longest_first(["new", "a", "b", "newer", "c"], seconds)
    assert order == ["newer", "new", "b", "c", "a"]
