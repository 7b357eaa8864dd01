"""The book's sources, read one way by every publisher.

One ``_toc.yml`` reader and one rule each for "is a notebook", "is a claim
cell" and "is a solution", used by the Sphinx extensions in ``book/_ext``,
the notebooks branch, the JupyterLite site, the student edition and the
tests.  ``root`` is always the book's folder (the one with ``_toc.yml``).
"""

import re
from pathlib import Path

import yaml

#: The opening fence of a solution directive (backticks or colons), label.
SOLUTION_OPENING = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{solution\}\s*(?P<label>\S*)"
)


class PublishError(ValueError):
    """A chapter cannot be published (message: why, and what to do)."""


def read_yaml(path):
    """The YAML file at ``path``."""
    return yaml.safe_load(Path(path).read_text())


def read_config(root):
    """The book's ``_config.yml`` as a dict."""
    return read_yaml(Path(root) / "_config.yml")


def read_toc(root):
    """The book's ``_toc.yml`` as a dict (``root``, ``parts``)."""
    return read_yaml(Path(root) / "_toc.yml")


def toc_docnames(root):
    """Docnames (``book/data``) of every page in ``root/_toc.yml``, in
    reading order: the root page, then each part's chapters."""
    toc = read_toc(root)
    return [toc["root"]] + [
        chapter["file"]
        for part in toc.get("parts", [])
        for chapter in part["chapters"]
    ]


def is_notebook(path):
    """Whether the MyST file ``path`` is a notebook (a jupytext kernelspec
    in its front matter)."""
    text = Path(path).read_text()
    if not text.startswith("---\n"):
        return False
    header = yaml.safe_load(text.split("\n---", 1)[0][4:]) or {}
    return "kernelspec" in header


def notebook_docnames(root):
    """Docnames of the pages in ``_toc.yml`` that are notebooks."""
    return [
        d for d in toc_docnames(root) if is_notebook(Path(root) / f"{d}.md")
    ]


def tags(cell):
    """The tags of a cell, as a list."""
    return list(cell.metadata.get("tags", []))


def is_claim(cell):
    """Whether ``cell`` is a claim: a hidden code cell tagged ``claim``
    that asserts what the prose above it says of the reference's results
    on the full data set."""
    return cell.cell_type == "code" and "claim" in tags(cell)


def split_solutions(text):
    """Split Markdown ``text`` into ("text", str) and ("solution", label,
    body) pieces, in order: the rule for "is a solution"."""
    pieces, lines, start = [], text.split("\n"), 0
    index = 0
    while index < len(lines):
        opening = SOLUTION_OPENING.match(lines[index])
        if not opening:
            index += 1
            continue
        fence = opening["fence"]
        end = next(
            (
                j
                for j in range(index + 1, len(lines))
                if lines[j].strip()
                and set(lines[j].strip()) == {fence[0]}
                and len(lines[j].strip()) >= len(fence)
            ),
            None,
        )
        if end is None:
            raise PublishError(
                f"the {{solution}} at line {index + 1} has no closing "
                f"{fence}: close the directive"
            )
        pieces.append(("text", "\n".join(lines[start:index])))
        pieces.append(
            ("solution", opening["label"], "\n".join(lines[index : end + 1]))
        )
        start = index = end + 1
    pieces.append(("text", "\n".join(lines[start:])))
    return [
        piece for piece in pieces if piece[0] == "solution" or piece[1].strip()
    ]


def solution_blocks(notebook):
    """Every ``{solution}`` block of a notebook's Markdown cells, as
    (label, source) pairs."""
    return [
        (piece[1], piece[2])
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for piece in split_solutions(cell.source)
        if piece[0] == "solution"
    ]


def without_solutions(text):
    """Markdown ``text`` with every ``{solution}`` block removed."""
    return "\n".join(
        piece[1] for piece in split_solutions(text) if piece[0] == "text"
    )
