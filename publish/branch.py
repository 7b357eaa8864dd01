"""The notebooks branch behind the Colab and Binder buttons (README, "Launch").

Colab opens only ``.ipynb`` files and the chapters are MyST ``.md`` notebooks,
so the deploy workflow publishes a ``notebooks`` branch: the repository's files
plus, next to each chapter's ``book/CHAPTER.md``, a ``book/CHAPTER.ipynb``
(:func:`publish.notebook.chapter_notebook`) whose first cell sets up what the
chapter needs.  The Sphinx extension ``book/_ext/notebooks_branch.py`` points
the buttons at it.

Command line, in the book's folder (run by .github/workflows/deploy.yml and
tests/test_launch.py)::

    python -m publish.branch --out DIR   # write the branch's files
    python -m publish.branch --out DIR --build BUILD  # another build's record
    python -m publish.branch --branch-name  # print the branch's name
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from publish.notebook import chapter_notebook
from publish.render import load_reader
from publish.sources import notebook_docnames, read_config

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
import site
import subprocess
import sys
import sysconfig
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
    # a running kernel reads the new install's .pth file only when told
    site.addsitedir(sysconfig.get_path("purelib"))
    importlib.invalidate_caches()
import fashionlib  # noqa: E402,F401
"""

SETUP_DATA = """
# Fashion-MNIST (about 30 MB) is fetched, checked and cached once.
from fashionlib import data  # noqa: E402

if not all(data.npz_path(split).is_file() for split in data.SPLITS):
    data.prepare()
"""


def branch_name(config):
    """The notebooks branch in ``config`` ("" when the buttons are off)."""
    return config["sphinx"]["config"].get(BRANCH_OPTION, "")


def book_requirement(name, root):
    """The pinned requirement of ``name`` in the book extra of pyproject."""
    text = (root / "pyproject.toml").read_text()
    found = re.search(rf'"({re.escape(name)}[=<>~!][^"]*)"', text)
    if found is None:
        raise ValueError(f"pyproject.toml: no pinned {name} in the extras")
    return found.group(1)


def setup_source(repository, branch, uses_data, root):
    """The first cell of a chapter notebook (Python source)."""
    source = SETUP_INSTALL.format(
        folder=repository.rstrip("/").rsplit("/", 1)[-1],
        branch=branch,
        repository=repository,
        myst_nb=book_requirement("myst-nb", root),
    )
    return source + SETUP_DATA if uses_data else source


def branch_notebook(md_path, repository, branch, root, reader=None):
    """Chapter ``md_path`` as a notebook, no outputs, set-up cell first."""
    notebook = chapter_notebook(md_path, reader=reader)
    code = "\n".join(c.source for c in notebook.cells if c.cell_type == "code")
    cell = nbformat.v4.new_code_cell(
        setup_source(repository, branch, bool(USES_DATA.search(code)), root),
        metadata={"tags": [SETUP_TAG]},
    )
    notebook.cells.insert(0, cell)
    return notebook


def repository_files(root):
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


def write_branch(out, root, repository=None, branch=None, build=None):
    """Write the notebooks branch's files into the new folder ``out``.

    ``repository`` and ``branch`` (default: _config.yml) are what the set-up
    cells clone; ``build`` the book's build folder (default ``_build``),
    whose record renders the notebooks.  Returns the notebooks' paths
    relative to ``out``.
    """
    out, root = Path(out), Path(root)
    if out.exists():
        raise FileExistsError(f"{out} exists: choose a new folder for --out")
    config = read_config(root)
    repository = repository or config["repository"]["url"]
    branch = branch or branch_name(config)
    if not branch:
        raise ValueError(f"_config.yml: {BRANCH_OPTION} is empty")
    reader = load_reader(root, build)
    out.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".notebooks-", dir=out.parent))
    try:
        for name in repository_files(root):
            (staging / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, staging / name)
        written = []
        for docname in notebook_docnames(root):
            notebook = branch_notebook(
                root / f"{docname}.md", repository, branch, root, reader
            )
            nbformat.write(notebook, staging / f"{docname}.ipynb")
            written.append(f"{docname}.ipynb")
    except BaseException:
        shutil.rmtree(staging)
        raise
    staging.rename(out)
    return written


def main(argv=None):
    """Command line: write the branch's files, or print its name."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", help="new folder for the branch's files")
    parser.add_argument("--repository", help="what the set-up cells clone")
    parser.add_argument("--branch", help="which branch they clone")
    parser.add_argument(
        "--branch-name", action="store_true", help="print the branch's name"
    )
    parser.add_argument(
        "--build", help="the book's build folder (default: _build)"
    )
    args = parser.parse_args(argv)
    if args.branch_name:
        print(branch_name(read_config(Path.cwd())))
        return 0
    if not args.out:
        parser.error("give --out DIR (or --branch-name)")
    for path in write_branch(
        args.out, Path.cwd(), args.repository, args.branch, args.build
    ):
        print(f"wrote {Path(args.out) / path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
