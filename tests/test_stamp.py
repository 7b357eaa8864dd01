"""What a page ran with (publish.stamp): the seeds its code sets, and the
stamp in the footer of every page of the built book."""

import html
import json

import pytest
from conftest import ROOT

from publish.sources import toc_docnames
from publish.stamp import code_seeds, commit, stamp_html, stamp_lines


def test_seeds_are_the_literals_the_code_passes():
    source = (
        "rng = np.random.default_rng(7)\n"
        "W = initialize_network([2, 3], seed=3)\n"
        "SEEDS = range(4, 6)\n"
        "train(x, seed=seed)\n"  # a variable: no literal to report
        "other(seeds=[11, 12])\n"
        "def net(width, seed=13):\n    return width\n"
        "runs = [net(2, seed) for seed in (14, 15)]\n"
    )
    assert code_seeds(source) == {3, 4, 5, 7, 11, 12, 13, 14, 15}


def test_stamp_lines_name_each_fact():
    stamp = {
        "commit": "abc123",
        "data": {"mnist_fashion_test.npz": "f00d"},
        "blas": "numpy: openblas 0.3.30, 1 thread",
        "date": "2026-12-07 00:00 UTC",
    }
    text = "\n".join(stamp_lines(stamp, [0, 3]))
    for fact in ("abc123", "mnist_fashion_test.npz f00d", "1 thread",
                 "Seeds this page sets: 0, 3", "2026-12-07 00:00 UTC"):
        assert fact in text
    assert "none" in stamp_lines(stamp, [])[3]
    assert html.escape("<b>") in stamp_html({**stamp, "commit": "<b>"}, [])


@pytest.mark.book
@pytest.mark.slow
def test_every_page_ends_with_what_it_ran_with(built_book):
    assert built_book.returncode == 0, built_book.log[-8000:]
    record = json.loads((built_book.build / "reader.json").read_text())
    stamp = record["stamp"]
    assert stamp["commit"].split()[0] == commit(ROOT).split()[0]
    for docname in toc_docnames(ROOT):
        page = (built_book.html / f"{docname}.html").read_text()
        footer = page[page.index('class="page-stamp"') :]
        assert stamp["commit"] in footer and stamp["date"] in footer
        assert all(sha in footer for sha in stamp["data"].values())
        assert html.escape(stamp["blas"]) in footer
        seeds = record["seeds"].get(docname, [])
        assert ", ".join(map(str, seeds)) in footer
