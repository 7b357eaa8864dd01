"""The Binder and Colab buttons lead to notebooks that exist and start.

The services cannot be reached from here, so the notebooks branch is built
locally with the deploy workflow's command (publish/branch.py), every
launch URL of the built site is mapped to a file of that branch, and the first
cell of the notebooks runs offline in a fresh virtual environment that clones
the branch from a local git repository.
"""

import importlib.util
import os
import re
import subprocess
import sys
import sysconfig
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
import yaml
from conftest import ROOT

from publish.sources import toc_docnames


def load_extension(name):
    """The Sphinx extension book/_ext/NAME.py (a folder Sphinx, not Python,
    puts on the path)."""
    path = ROOT / "book" / "_ext" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


notebooks_branch = load_extension("notebooks_branch")

CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text())
BRANCH = CONFIG["sphinx"]["config"]["launch_notebooks_branch"]
REPOSITORY = CONFIG["repository"]["url"].removeprefix("https://github.com/")
LAUNCH_BLOCK = re.compile(
    r"dropdown-launch-buttons(.*?)</ul>", re.DOTALL | re.IGNORECASE
)


def write_branch(out, *options):
    """Run the deploy workflow's command; the notebooks it reports writing."""
    run = subprocess.run(
        [sys.executable, "-m", "publish.branch", "--out", str(out)]
        + list(options),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return [
        Path(line.removeprefix("wrote ")).relative_to(out).as_posix()
        for line in run.stdout.splitlines()
    ]


@pytest.fixture(scope="module")
def branch(tmp_path_factory, book_record):
    """The notebooks branch's files, as the workflow publishes them."""
    out = tmp_path_factory.mktemp("launch") / "notebooks"
    return out, write_branch(out, "--build", str(book_record.build))


@pytest.mark.slow  # writes the whole notebooks branch
def test_each_chapter_notebook_is_there_without_outputs(branch):
    out, written = branch
    chapters = [
        d
        for d in toc_docnames(ROOT)
        if "\nkernelspec:" in (ROOT / f"{d}.md").read_text().split("\n---")[0]
    ]
    assert len(chapters) >= 10
    assert written == [f"{d}.ipynb" for d in chapters]
    for docname in chapters:
        notebook = nbformat.read(out / f"{docname}.ipynb", as_version=4)
        assert (out / f"{docname}.md").is_file()
        first = notebook.cells[0]
        assert first.cell_type == "code"
        assert "launch-setup" in first.metadata["tags"]
        assert (
            f'REPOSITORY = "https://github.com/{REPOSITORY}"' in first.source
        )
        assert f'BRANCH = "{BRANCH}"' in first.source
        code = "".join(
            c.source for c in notebook.cells[1:] if c.cell_type == "code"
        )
        uses_data = "load(" in code or "prepare_" in code
        assert ("data.prepare()" in first.source) == uses_data, docname
        for cell in notebook.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None
    # Binder builds the branch with the repository's environment
    assert (out / "binder" / "requirements.txt").read_text() == (
        ROOT / "binder" / "requirements.txt"
    ).read_text()
    assert "-e .[book]" in (out / "binder" / "requirements.txt").read_text()
    assert not (out / ".github").exists()


def launch_target(url):
    """``(service, branch, path)`` that a Binder or Colab URL opens."""
    parts = urlsplit(url)
    if parts.netloc == "mybinder.org":
        found = re.fullmatch(rf"/v2/gh/{REPOSITORY}/([^/]+)", parts.path)
        (urlpath,) = parse_qs(parts.query)["urlpath"]
        assert found and urlpath.startswith("tree/"), url
        return "Binder", found.group(1), urlpath.removeprefix("tree/")
    if parts.netloc == "colab.research.google.com":
        found = re.fullmatch(
            rf"/github/{REPOSITORY}/blob/([^/]+)/(.+)", parts.path
        )
        assert found, url
        return "Colab", found.group(1), found.group(2)
    raise AssertionError(f"unexpected launch URL {url}")


@pytest.mark.book
def test_every_launch_url_opens_a_notebook_of_the_branch(site, branch):
    out, written = branch
    opened = {}
    for page in sorted(site.html.rglob("*.html")):
        block = LAUNCH_BLOCK.search(page.read_text())
        if block is None:
            continue
        for url in re.findall(r'href="([^"]+)"', block.group(1)):
            service, branch_name, path = launch_target(url)
            assert branch_name == BRANCH, url
            assert (out / path).is_file(), f"{url}: {path} not in the branch"
            assert path.endswith(".ipynb"), url
            opened.setdefault(path, set()).add(service)
    # every notebook has both buttons, and no other page has any
    assert opened == {path: {"Binder", "Colab"} for path in written}


@pytest.mark.slow
def test_first_cells_run_offline_in_a_fresh_environment(
    tmp_path, book_record
):
    """Colab's path (clone, install, fetch the data), then Binder's."""
    origin = tmp_path / "origin"
    written = write_branch(
        origin,
        "--repository",
        f"file://{origin}",
        "--branch",
        BRANCH,
        "--build",
        str(book_record.build),
    )
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.org"]
    subprocess.run(
        ["git", "init", "-q", "-b", BRANCH, str(origin)], check=True
    )
    subprocess.run(git + ["-C", str(origin), "add", "-A"], check=True)
    subprocess.run(
        git + ["-C", str(origin), "commit", "-q", "-m", "notebooks"],
        check=True,
    )
    firsts = {
        nbformat.read(origin / path, as_version=4).cells[0].source
        for path in written
    }
    # the cell that also fetches the data first: it takes Colab's path
    firsts = sorted(firsts, key=lambda source: "prepare" not in source)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = venv / "bin" / "python"
    site_packages = subprocess.run(
        [
            python,
            "-c",
            "import sysconfig; print(sysconfig.get_path('purelib'))",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    # numpy, matplotlib, myst-nb ... from this environment; not fashionlib,
    # which is an editable install here (its .pth is not read through a link)
    Path(site_packages, "borrowed.pth").write_text(
        sysconfig.get_path("purelib") + "\n"
    )
    work = tmp_path / "work"
    work.mkdir()
    # as on Colab: no FASHIONLIB_DATA, so the data lands in the clone
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in ("FASHIONLIB_DATA", "VIRTUAL_ENV", "PYTHONPATH")
    }
    probe = [python, "-c", "import fashionlib; print(fashionlib.__file__)"]
    before = subprocess.run(probe, cwd=work, capture_output=True, text=True)
    assert before.returncode != 0, "fashionlib is importable before the cell"
    for source in firsts:
        run = subprocess.run(
            [python, "-c", source],
            cwd=work,
            env=environment,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
    clone = work / origin.name  # the cell names it after the repository
    assert (clone / "book" / "data.ipynb").is_file()
    for split in ("train", "validation", "test"):
        assert (clone / "data" / f"mnist_fashion_{split}.npz").is_file()
    after = subprocess.run(
        probe, cwd=tmp_path, env=environment, capture_output=True, text=True
    )
    assert Path(after.stdout.strip()).parent == clone / "fashionlib"


def theme_context():
    """A page context with the theme's launch group (Binder, Colab, other)."""
    buttons = [
        {"type": "link", "text": name, "url": f"https://{name}.invalid/x.md"}
        for name in ("Binder", "Colab", "JupyterLite")
    ]
    group = {"type": "group", "label": "launch-buttons", "buttons": buttons}
    return {"header_buttons": [group]}


def fake_app(branch):
    """Just what the extension reads of Sphinx's application."""
    config = SimpleNamespace(
        launch_notebooks_branch=branch,
        html_theme_options={
            "repository_url": f"https://github.com/{REPOSITORY}",
            "launch_buttons": CONFIG["launch_buttons"],
        },
    )
    env = SimpleNamespace(doc2path=lambda docname: ROOT / f"{docname}.md")
    return SimpleNamespace(config=config, env=env)


def launch_links(context):
    """``{text: url}`` of the page's launch buttons."""
    return {
        b["text"]: b["url"]
        for group in context["header_buttons"]
        for b in group["buttons"]
    }


def test_buttons_are_rewritten_on_notebooks_and_hidden_elsewhere():
    context = theme_context()
    notebooks_branch.point_launch_buttons(
        fake_app(BRANCH), "book/sgd", "page.html", context, None
    )
    links = launch_links(context)
    assert launch_target(links["Binder"]) == (
        "Binder",
        BRANCH,
        "book/sgd.ipynb",
    )
    assert launch_target(links["Colab"]) == ("Colab", BRANCH, "book/sgd.ipynb")
    assert links["JupyterLite"] == "https://JupyterLite.invalid/x.md"
    for app, page in (
        (fake_app(""), "book/sgd"),
        (fake_app(BRANCH), "book/api"),
    ):
        context = theme_context()
        notebooks_branch.point_launch_buttons(app, page, "p", context, None)
        assert set(launch_links(context)) == {"JupyterLite"}
