"""The built site as a reader gets it.

Headless Chromium, downloads, API reference; the launch buttons are tested
in tests/test_launch.py.

Headless Chromium, downloads, launch buttons, API reference.

The site is the one built by the session fixture ``built_book`` (built once per
session) and served on 127.0.0.1 by ``site``.  The browser checks run in
tests/browser/check_site.mjs (playwright-core driving Debian's
/usr/bin/chromium, axe-core for accessibility); a screenshot of each
chapter's first screen lands in _build/screenshots/.
"""

import ast
import json
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import ROOT

from publish.sources import toc_docnames

BROWSER_DIR = ROOT / "tests" / "browser"
SCREENSHOTS = ROOT / "_build" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")

REDIRECT = re.compile(
    r'<meta http-equiv="Refresh" content="0; url=([^"]+)"', re.IGNORECASE
)

pytestmark = [pytest.mark.book, pytest.mark.slow]


def site_pages(html):
    """Every HTML page of the site (relative paths), leaving out redirect
    stubs.
    """
    pages = sorted(
        p.relative_to(html).as_posix()
        for p in html.rglob("*.html")
        if not p.relative_to(html).parts[0].startswith("_")
    )
    return [p for p in pages if not REDIRECT.search((html / p).read_text())]


def require_browser_tools():
    """Fail with the remedy if Chromium, node or the npm packages are gone."""
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"{CHROMIUM} not found: install Debian's browser with `apt-get "
            "install chromium` "
            "(or set CHROMIUM to another Chromium binary)"
        )
    if shutil.which("node") is None:
        pytest.fail(
            "node not found: install it with `apt-get install nodejs npm`"
        )
    if not (BROWSER_DIR / "node_modules" / "playwright-core").is_dir():
        pytest.fail(
            "the browser test's npm packages are missing: run `make "
            "browser-deps` "
            "(npm ci in tests/browser, without a browser download)"
        )


@pytest.fixture(scope="module")
def browser_report(site, tmp_path_factory):
    """Run check_site.mjs over every page once.

    Return (exit code, printed lines, JSON report).
    """
    require_browser_tools()
    work = tmp_path_factory.mktemp("browser")
    pages = work / "pages.txt"
    pages.write_text("\n".join(site_pages(site.html)) + "\n")
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    result = subprocess.run(
        [
            "node",
            "check_site.mjs",
            "--base",
            site.url,
            "--pages",
            str(pages),
            "--screenshots",
            str(SCREENSHOTS),
            "--report",
            str(work / "report.json"),
            "--chromium",
            CHROMIUM,
        ],
        cwd=BROWSER_DIR,
        capture_output=True,
        text=True,
        timeout=900,
    )
    report = (
        json.loads((work / "report.json").read_text())
        if (work / "report.json").exists()
        else None
    )
    return result.returncode, result.stdout + result.stderr, report


def test_every_page_renders_cleanly_in_chromium(browser_report, site):
    returncode, output, report = browser_report
    assert returncode == 0 and report is not None, (
        "browser check failed:\n" + output[-10000:]
    )
    checked = {page["path"] for page in report["pages"]}
    assert checked == set(site_pages(site.html))
    assert not report["brokenLinks"]
    chapters = [p for p in report["pages"] if p["path"].startswith("book/")]
    # the checks ran on real content: typeset formulas, loaded figures,
    # solutions clicked open
    assert sum(p["math"]["typeset"] for p in chapters) > 500
    assert sum(p["images"] for p in chapters) > 20
    assert sum(p["dropdowns"] for p in chapters) > 20
    # every page was measured at a desktop and a phone width, and fits both
    for page in report["pages"]:
        for width in ("1280", "390"):
            measured = page["widths"][width]
            assert measured["viewport"] <= int(width), (page["path"], width)
            assert measured["page"] <= measured["viewport"], page["path"]
            assert not measured["overflowing"], (page["path"], width)


def test_one_screenshot_per_chapter(browser_report):
    for docname in toc_docnames(ROOT):
        shot = SCREENSHOTS / (Path(docname).name + ".png")
        assert shot.is_file() and shot.stat().st_size > 10_000, (
            f"no screenshot of {docname}"
        )


def test_index_redirects_to_the_first_chapter(site):
    target = REDIRECT.search((site.html / "index.html").read_text()).group(1)
    assert (site.html / target).is_file()


def chapter_links(site, docname, selector_class):
    """The hrefs in a chapter page's download or launch dropdown."""
    page = (site.html / f"{docname}.html").read_text()
    block = page.split(f"dropdown-{selector_class}-buttons", 1)[1].split(
        "</ul>", 1
    )[0]
    return re.findall(r'href="([^"]+)"', block)


def notebook_chapters():
    """Chapters that are notebooks (have a jupytext header), as docnames."""
    return [
        d
        for d in toc_docnames(ROOT)
        if (ROOT / f"{d}.md").read_text().startswith("---\njupytext:")
    ]


def test_each_chapter_downloads_as_ipynb_and_md(site):
    for docname in notebook_chapters():
        links = chapter_links(site, docname, "download")
        page_dir = (site.html / docname).parent
        for suffix in (".ipynb", ".md"):
            href = next(
                (h for h in links if h.endswith(Path(docname).name + suffix)),
                None,
            )
            assert href, f"{docname}: no {suffix} download link in {links}"
            assert (page_dir / href).resolve().is_file(), (
                f"{docname}: {href} missing from the site"
            )


def test_a_notebook_downloaded_from_the_site_runs_top_to_bottom(
    site, tmp_path, notebook_client
):
    """The .ipynb offered on the activations page, executed afresh in an empty
    folder.
    """
    href = next(
        h
        for h in chapter_links(site, "book/activations", "download")
        if h.endswith(".ipynb")
    )
    notebook = nbformat.read(
        (site.html / "book" / href).resolve(), as_version=4
    )
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook_client(notebook, tmp_path).execute()
    errors = [
        o
        for c in notebook.cells
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert not errors
    assert any(
        c.get("outputs") for c in notebook.cells if c.cell_type == "code"
    )


def api_modules():
    """The modules documented in book/api.md (``.. automodule::`` lines)."""
    return re.findall(
        r"^\.\. automodule:: (\S+)$",
        (ROOT / "book" / "api.md").read_text(),
        re.MULTILINE,
    )


def public_names(module_file):
    """Names a module defines at top level (functions, classes, constants)
    without a leading underscore.
    """
    names = []
    for node in ast.parse(module_file.read_text()).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = (
                node.targets if isinstance(node, ast.Assign) else [node.target]
            )
            names += [t.id for t in targets if isinstance(t, ast.Name)]
    return [n for n in names if not n.startswith("_")]


def test_api_reference_documents_every_module_and_public_name(site):
    modules = api_modules()
    package = ROOT / "fashionlib"
    expected = {
        f"fashionlib.{p.stem}"
        for p in package.glob("*.py")
        if not p.stem.startswith("_")
    }
    assert set(modules) == expected, (
        "list every fashionlib module in book/api.md"
    )
    page = (site.html / "book" / "api.html").read_text()
    for module in modules:
        for name in public_names(package / (module.split(".")[1] + ".py")):
            assert f'id="{module}.{name}"' in page, (
                f"{module}.{name} is missing from the API reference"
            )


def test_chapters_link_the_functions_they_teach_to_the_api_reference(site):
    """Every function a solution shows (literalinclude :pyobject:) is linked
    from its chapter.
    """
    for docname in toc_docnames(ROOT):
        source = (ROOT / f"{docname}.md").read_text()
        taught = re.findall(
            r"\{literalinclude\} \.\./fashionlib/(\w+)\.py\n(?::\w+: "
            r".*\n)*?:pyobject: (\w+)",
            source,
        )
        page = (site.html / f"{docname}.html").read_text()
        for module, name in taught:
            assert f'href="api.html#fashionlib.{module}.{name}"' in page, (
                f"{docname} does not link {module}.{name}"
            )


def network_reaches(host, port=443, timeout=3.0):
    """True if a TCP connection to ``host`` opens.

    External links are checked only then.
    """
    try:
        socket.create_connection((host, port), timeout=timeout).close()
        return True
    except OSError:
        return False


def test_sphinx_linkcheck_finds_no_broken_link(site, capsys):
    """Sphinx's linkcheck over the build's saved doctrees (no chapter is
    executed again).

    Internal references (``#label`` and cross-page) must not be broken;
    external links are checked only where a network exists, otherwise listed as
    skipped.
    """
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    result = subprocess.run(
        [
            str(jupyter_book),
            "build",
            str(ROOT),
            "--path-output",
            str(site.build.parent),
            "--config",  # the build's: with another, Sphinx reads again
            str(site.config),
            "--builder",
            "linkcheck",
        ],
        capture_output=True,
        text=True,
    )
    assert "reading sources... [" not in result.stdout, (
        "linkcheck re-read (and re-executed) the chapters"
    )
    output = site.html / "output.json"
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    output.unlink()
    (site.html / "output.txt").unlink(missing_ok=True)
    assert rows, "linkcheck found no links at all"
    external = [r for r in rows if r["uri"].startswith(("http:", "https:"))]
    internal = [r for r in rows if r not in external]
    assert not [r for r in internal if r["status"] == "broken"]
    hosts = sorted({r["uri"].split("/")[2] for r in external})
    offline = bool(external) and not network_reaches(hosts[0])
    # linkcheck fails on an unreachable external link: only offline is that
    # not a fault of the book
    assert result.returncode == 0 or offline, (
        result.stdout[-4000:] + result.stderr[-4000:]
    )
    if offline:
        with capsys.disabled():
            print(
                f"\nno network: {len(external)} external links not checked "
                f"({', '.join(hosts)})"
            )
        return
    assert not [r for r in external if r["status"] == "broken"]
