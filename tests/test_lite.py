"""The chapters in the browser: the JupyterLite site, its Pyodide, a run.

Fast tests check the pieces (which cells the browser notebook keeps, the
runtime's checks).  The slow ones use the built site (fixture ``site``):
every notebook chapter has its button, and tests/browser/run_lite.mjs runs
the data and activations chapters in headless Chromium with the self-hosted
Pyodide (``PYODIDE_DIR``, as ``make test`` sets it; assembled here if unset),
asserting that the verify cells passed, a figure rendered and no request
left 127.0.0.1.  Without a runtime the test fails with the reason.
"""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from test_browser import CHROMIUM, require_browser_tools

from publish import lite as build
from publish import lite_runtime as runtime
from publish.sources import is_claim

BROWSER_DIR = Path(__file__).parent / "browser"
DEFAULT_RUNTIME = Path("_build") / "lite-runtime" / "pyodide"
#: Where the site loads a self-hosted Pyodide from (jupyter-lite.json).
SELF_HOSTED_URL = "./static/pyodide/pyodide.js"
#: The chapters the browser test runs.
BROWSER_CHAPTERS = ("book/data", "book/activations")


# --- fast: the pieces ---------------------------------------------------


def code_cell(source, tags=()):
    cell = nbformat.v4.new_code_cell(source)
    cell.metadata["tags"] = list(tags)
    return cell


def test_a_claim_is_a_code_cell_tagged_claim():
    assert is_claim(code_cell("glue('a', 1)", ["claim", "remove-cell"]))
    assert not is_claim(code_cell("import numpy", ["remove-cell"]))
    assert not is_claim(code_cell("assert f(1) == 2", []))
    assert not is_claim(nbformat.v4.new_markdown_cell("a claim"))


def test_browser_notebook_starts_with_the_setup_and_drops_claims(
    root, book_record
):
    notebook = build.browser_notebook(
        root, "book/data", "book", "tqdm-1-py3-none-any.whl", book_record
    )
    first_code = next(c for c in notebook.cells if c.cell_type == "code")
    assert "browser-setup" in first_code.metadata["tags"]
    assert "tqdm-1-py3-none-any.whl" in first_code.source
    assert notebook.metadata["kernelspec"]["name"] == "python"
    sources = [c.source for c in notebook.cells if c.cell_type == "code"]
    assert not any(
        "assert fashion_train" in s for s in sources
    )  # a hidden claim about the full data set
    assert any("checks." in s for s in sources)  # the verify cells stay


def test_instructors_chapter_has_no_browser_notebook(root):
    chapters = build.lite_chapters(root)
    assert "book/data" in chapters and "book/activations" in chapters
    assert "book/instructors" not in chapters


def test_runtime_closure_follows_the_lock_and_rejects_unknown_names():
    lock = {
        "a": {"depends": ["b_c"]},
        "b-c": {"depends": []},
    }
    assert runtime.closure(lock, ["a"]) == ["a", "b-c"]
    with pytest.raises(runtime.AssemblyError, match="not in the official"):
        runtime.closure(lock, ["missing"])


def test_runtime_refuses_a_file_whose_sha256_differs(tmp_path):
    damaged = tmp_path / "numpy.whl"
    damaged.write_bytes(b"not numpy")
    with pytest.raises(runtime.AssemblyError, match="sha256 mismatch"):
        runtime.check(damaged, "0" * 64, "numpy")


# --- slow: the built site in Chromium -----------------------------------


def self_hosted_runtime(root):
    """``PYODIDE_DIR``, else the default runtime assembled now; else fail."""
    if os.environ.get("PYODIDE_DIR"):
        folder = Path(os.environ["PYODIDE_DIR"])
    else:
        folder = root / DEFAULT_RUNTIME
        result = subprocess.run(
            [sys.executable, "-m", "publish.lite_runtime", str(folder)],
            capture_output=True,
            text=True,
            cwd=root,
        )
        if result.returncode != 0:
            pytest.fail(
                "the self-hosted Pyodide could not be assembled "
                f"(make lite-runtime):\n{result.stdout}{result.stderr}"
            )
    if not (folder / "pyodide-lock.json").is_file():
        pytest.fail(f"{folder} holds no Pyodide: run `make lite-runtime`")
    return folder


@pytest.fixture(scope="module")
def lite_site(site, root):
    """The built site, its _lite folder using the self-hosted Pyodide."""
    folder = self_hosted_runtime(root)
    config = json.loads(
        (site.html / "_lite" / "jupyter-lite.json").read_text()
    )
    settings = config["jupyter-config-data"]["litePluginSettings"]
    if settings[build.KERNEL_PLUGIN].get("pyodideUrl") != SELF_HOSTED_URL:
        result = subprocess.run(
            [sys.executable, "-m", "publish.lite", str(site.html / "_lite")]
            + ["--build", str(site.build)],
            capture_output=True,
            text=True,
            cwd=root,
            env={**os.environ, "PYODIDE_DIR": str(folder)},
        )
        assert result.returncode == 0, result.stdout + result.stderr
    return site, folder


@pytest.mark.book
def test_every_browser_chapter_has_a_button_to_its_notebook(site, root):
    for docname in build.lite_chapters(root):
        page = (site.html / f"{docname}.html").read_text()
        match = re.search(r'class="lite-launch"><a [^>]*href="([^"]+)"', page)
        assert match, f"{docname}: no 'Run this chapter in your browser'"
        target, _, query = match.group(1).partition("?path=")
        assert (site.html / "book" / target).resolve().is_file()
        assert (site.html / "_lite" / "files" / query).is_file(), query
    assert (
        "lite-launch" not in (site.html / "book/instructors.html").read_text()
    )


@pytest.mark.book
@pytest.mark.slow
def test_self_hosted_runtime_matches_the_official_lock(lite_site):
    site, folder = lite_site
    served = site.html / "_lite" / "static" / "pyodide"
    lock = json.loads((served / "pyodide-lock.json").read_text())
    by_file = {p["file_name"]: p["sha256"] for p in lock["packages"].values()}
    for path in served.iterdir():
        if path.name in runtime.CORE_FILES:
            assert path.read_bytes() == (folder / path.name).read_bytes()
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert by_file.get(path.name) == digest, path.name


@pytest.mark.book
@pytest.mark.slow
def test_chapters_run_in_jupyterlite_offline(lite_site, tmp_path):
    site, _ = lite_site
    require_browser_tools()
    report_path = tmp_path / "lite-report.json"
    result = subprocess.run(
        ["node", "run_lite.mjs", "--base", site.url]
        + ["--chapters", ",".join(BROWSER_CHAPTERS)]
        + ["--report", str(report_path), "--chromium", CHROMIUM],
        cwd=BROWSER_DIR,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert report_path.exists(), result.stdout + result.stderr
    report = json.loads(report_path.read_text())
    assert [r["chapter"] for r in report] == list(BROWSER_CHAPTERS)
    for chapter in report:
        name = chapter["chapter"]
        assert "error" not in chapter, f"{name}: {chapter['error']}"
        cells = chapter["cells"]
        errors = [
            o["error"] for c in cells for o in c["outputs"] if o["error"]
        ]
        assert not errors, f"{name}: a cell raised:\n" + "\n".join(errors)
        assert all(c["executionCount"] for c in cells), f"{name}: not all ran"
        verify = [c for c in cells if "verify" in c["tags"]]
        assert verify, f"{name}: no verify cell"
        figures = [
            o for c in cells for o in c["outputs"] if "image/png" in o["mime"]
        ]
        assert figures, f"{name}: no figure rendered"
        streams = [o["text"] or "" for c in cells for o in c["outputs"]]
        assert not any("TqdmMonitorWarning" in s for s in streams), name
        assert chapter["requests"]["local"] > 0
        assert not chapter["requests"]["nonLocal"], chapter["requests"]
    assert result.returncode == 0, result.stdout + result.stderr
