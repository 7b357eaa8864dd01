"""The notebooks branch behind the Colab and Binder buttons (README, "Launch").

Colab opens only ``.ipynb`` files and the chapters are MyST ``.md`` notebooks,
so the deploy workflow publishes a ``notebooks`` branch: the repository's files
plus, next to each chapter's ``book/CHAPTER.md``, a ``book/CHAPTER.ipynb``
without outputs whose first cell sets up what the chapter needs.  This module
is both the generator and the Sphinx extension that points the buttons at it.

Command line (run by .github/workflows/deploy.yml and tests/test_launch.py)::

    python tools/notebooks_branch.py --out DIR   # write the branch's files
    python tools/notebooks_branch.py --branch-name  # print the branch's name

Sphinx extension (``local_extensions`` in _config.yml): on every page whose
source is a chapter notebook, the theme's Binder and Colab links are rewritten
to open ``CHAPTER.ipynb`` on that branch; on other pages they are removed, and
with ``launch_notebooks_branch: ""`` they are not shown at all.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from book_files import is_notebook_source, toc_docnames  # noqa: E402

#: Sphinx configuration value naming the branch ("" hides the buttons).
BRANCH_OPTION = "launch_notebooks_branch"
#: Tag of the generated first cell.
SETUP_TAG = "launch-setup"
#: Code that reads the Fashion-MNIST cache (the set-up cell then fetches it).
USES_DATA = re.compile(r"\bload\(|\bprepare_\w+\(")

SETUP_INSTALL = """\
# Set-up for Colab and Binder (added to the notebooks branch; README,
# "Launch"): where fashionlib is missing (Colab), clone the book's
# repository and install it with the chapters' other requirement.
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

REPOSITORY = "{repository}"
BRANCH = "{branch}"
REQUIREMENT = "{myst_nb}"

if importlib.util.find_spec("fashionlib") is None:
    source = Path("{folder}")
    if not source.is_dir():
        subprocess.run(
            ["git", "clone", "--depth", "1", "--branch", BRANCH,
             REPOSITORY, str(source)],
            check=True,
        )
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet",
         "-e", str(source), REQUIREMENT],
        check=True,
    )
    # this kernel sees an editable install only after a restart
    sys.path.insert(0, str(source.resolve()))
    importlib.invalidate_caches()
import fashionlib  # noqa: E402,F401
"""

SETUP_DATA = """
# Fashion-MNIST (about 30 MB) is fetched, checked and cached once.
from fashionlib import data  # noqa: E402

if not all(data.npz_path(split).is_file() for split in data.SPLITS):
    data.prepare()
"""


def read_config(root=ROOT):
    """The book's _config.yml as a dict."""
    return yaml.safe_load((root / "_config.yml").read_text())


def branch_name(config):
    """The notebooks branch in ``config`` ("" when the buttons are off)."""
    return config["sphinx"]["config"].get(BRANCH_OPTION, "")


def notebook_docnames(root=ROOT):
    """Docnames (``book/data``) of the notebook chapters in _toc.yml."""
    return [
        d for d in toc_docnames(root) if is_notebook_source(root / f"{d}.md")
    ]


def book_requirement(name, root=ROOT):
    """The pinned requirement of ``name`` in the book extra of pyproject."""
    text = (root / "pyproject.toml").read_text()
    found = re.search(rf'"({re.escape(name)}[=<>~!][^"]*)"', text)
    if found is None:
        raise ValueError(f"pyproject.toml: no pinned {name} in the extras")
    return found.group(1)


def setup_source(repository, branch, uses_data, root=ROOT):
    """The first cell of a chapter notebook (Python source)."""
    source = SETUP_INSTALL.format(
        folder=repository.rstrip("/").rsplit("/", 1)[-1],
        branch=branch,
        repository=repository,
        myst_nb=book_requirement("myst-nb", root),
    )
    return source + SETUP_DATA if uses_data else source


def chapter_notebook(md_path, repository, branch, root=ROOT):
    """Chapter ``md_path`` as a notebook, no outputs, set-up cell first."""
    notebook = jupytext.read(md_path)
    notebook.metadata.pop("jupytext", None)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    cell = nbformat.v4.new_code_cell(
        setup_source(repository, branch, bool(USES_DATA.search(code)), root),
        metadata={"tags": [SETUP_TAG]},
    )
    notebook.cells.insert(0, cell)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return notebook


def repository_files(root=ROOT):
    """Files the branch carries: tracked or not ignored, but no workflows.

    ``.github/`` stays out: the workflow's token may not push workflow files.
    """
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others"]
        + ["--exclude-standard"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split("\0")
    return sorted(
        {
            name
            for name in listed
            if name
            and (root / name).is_file()
            and not name.startswith(".github/")
        }
    )


def write_branch(out, repository=None, branch=None, root=ROOT):
    """Write the notebooks branch's files into the new folder ``out``.

    ``repository`` and ``branch`` (default: _config.yml) are what the set-up
    cells clone.  Returns the notebooks' paths relative to ``out``.
    """
    out = Path(out)
    if out.exists():
        raise FileExistsError(f"{out} exists: choose a new folder for --out")
    config = read_config(root)
    repository = repository or config["repository"]["url"]
    branch = branch or branch_name(config)
    if not branch:
        raise ValueError(f"_config.yml: {BRANCH_OPTION} is empty")
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".notebooks-", dir=out.parent))
    try:
        for name in repository_files(root):
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, staging / name)
        written = []
        for docname in notebook_docnames(root):
            notebook = chapter_notebook(
                root / f"{docname}.md", repository, branch, root
            )
            nbformat.write(notebook, staging / f"{docname}.ipynb")
            written.append(f"{docname}.ipynb")
    except BaseException:
        shutil.rmtree(staging)
        raise
    staging.rename(out)
    return written


# --- Sphinx extension: the buttons ------------------------------------------


def github_parts(url):
    """``(org, repo)`` of a GitHub repository URL."""
    found = re.fullmatch(r"https://github\.com/([^/]+)/([^/]+?)/?", url)
    if found is None:
        raise ValueError(f"repository.url {url!r} is not a GitHub repository")
    return found.groups()


def launch_urls(app, docname):
    """``{"Binder": url, "Colab": url}`` of ``docname``'s notebook."""
    options = app.config.html_theme_options
    launch = options.get("launch_buttons", {})
    org, repo = github_parts(options["repository_url"])
    branch = getattr(app.config, BRANCH_OPTION)
    path = f"{docname}.ipynb"
    ui = {"classic": "tree", "jupyterlab": "lab/tree"}[
        launch.get("notebook_interface", "classic")
    ]
    binder = launch.get("binderhub_url", "").rstrip("/")
    colab = launch.get("colab_url", "").rstrip("/")
    return {
        "Binder": f"{binder}/v2/gh/{org}/{repo}/{branch}?urlpath={ui}/{path}",
        "Colab": f"{colab}/github/{org}/{repo}/blob/{branch}/{path}",
    }


def point_launch_buttons(app, pagename, templatename, context, doctree):
    """Rewrite (or drop) the theme's Binder and Colab links of the page."""
    groups = [
        b
        for b in context.get("header_buttons", [])
        if b.get("label") == "launch-buttons"
    ]
    if not groups:
        return
    source = Path(app.env.doc2path(pagename))
    shown = (
        getattr(app.config, BRANCH_OPTION)
        and source.suffix == ".md"
        and is_notebook_source(source)
    )
    urls = launch_urls(app, pagename) if shown else {}
    for group in groups:
        kept = []
        for button in group["buttons"]:
            if button.get("text") in ("Binder", "Colab"):
                if button["text"] not in urls:
                    continue
                button["url"] = urls[button["text"]]
            kept.append(button)
        group["buttons"] = kept
        if not kept:
            context["header_buttons"].remove(group)


def setup(app):
    """Register the configuration value and the page hook."""
    app.add_config_value(BRANCH_OPTION, "notebooks", "html")
    # after sphinx-book-theme's add_launch_buttons (priority 501)
    app.connect("html-page-context", point_launch_buttons, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def main(argv=None):
    """Command line: write the branch's files, or print its name."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="new folder for the branch's files")
    parser.add_argument("--repository", help="what the set-up cells clone")
    parser.add_argument("--branch", help="which branch they clone")
    parser.add_argument(
        "--branch-name", action="store_true", help="print the branch's name"
    )
    args = parser.parse_args(argv)
    if args.branch_name:
        print(branch_name(read_config()))
        return 0
    if not args.out:
        parser.error("give --out DIR (or --branch-name)")
    for path in write_branch(args.out, args.repository, args.branch):
        print(f"wrote {Path(args.out) / path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
