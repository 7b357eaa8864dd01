"""The book's files: the pages ``_toc.yml`` lists, and which are notebooks.

One rule for the Sphinx extensions (``lite_button``, and
``tools/notebooks_branch.py``), the JupyterLite build (``lite/build.py``)
and the tests that check them.
"""

from pathlib import Path

import yaml


def toc_docnames(root):
    """Docnames (``book/data``) of every page in ``root/_toc.yml``, in
    reading order: the root page, then each part's chapters."""
    toc = yaml.safe_load((Path(root) / "_toc.yml").read_text())
    return [toc["root"]] + [
        chapter["file"]
        for part in toc.get("parts", [])
        for chapter in part["chapters"]
    ]


def is_notebook_source(path):
    """Whether the MyST file ``path`` is a notebook (a jupytext kernelspec
    in its front matter)."""
    text = Path(path).read_text()
    if not text.startswith("---\n"):
        return False
    header = yaml.safe_load(text.split("\n---", 1)[0][4:]) or {}
    return "kernelspec" in header
