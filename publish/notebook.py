"""``chapter_notebook``: the one transform of a chapter into a notebook.

The notebooks branch (Binder, Colab), the JupyterLite site and the student
edition all start from it, then add their own first cells.
"""

import dataclasses
from pathlib import Path

import jupytext
import nbformat

from publish.render import Renderer, load_reader
from publish.sources import PublishError, is_claim
from publish.student import student_cells

#: What each edition makes of the chapter's cells.
EDITIONS = ("book", "student")


def read_chapter(path):
    """The chapter at ``path`` as a notebook (jupytext reads the MyST)."""
    return jupytext.read(Path(path))


def book_root(path):
    """The book's folder (the one with ``_toc.yml``) holding ``path``."""
    for folder in Path(path).resolve().parents:
        if (folder / "_toc.yml").is_file():
            return folder
    raise PublishError(f"{path} is not inside a book (no _toc.yml above it)")


def chapter_notebook(path, edition="book", claims=True, reader=None):
    """The chapter at ``path`` as a notebook (nbformat v4.5, no outputs,
    the chapter's kernelspec as its only metadata), its Markdown rendered
    for a reader (:mod:`publish.render`, from ``reader``, by default the
    record of the book's build).

    ``edition`` "book" keeps the chapter's cells; "student" makes them the
    student's (:func:`publish.student.student_cells`: stubs for the
    reference, no solutions, no claims).  ``claims=False`` leaves the claim
    cells out (they assert results on the full data set).
    """
    if edition not in EDITIONS:
        raise ValueError(f"edition {edition!r}: choose from {EDITIONS}")
    chapter = read_chapter(path)
    if edition == "student":
        cells = student_cells(chapter, Path(path).stem)
    else:
        cells = list(chapter.cells)
    if not claims:
        cells = [cell for cell in cells if not is_claim(cell)]
    root = book_root(path)
    docname = Path(path).resolve().relative_to(root).with_suffix("")
    reader = reader or load_reader(root)
    if edition == "student":  # the book's pages show the solutions
        reader = dataclasses.replace(reader, site="")
    renderer = Renderer(
        reader, root, docname.as_posix(), solutions=edition == "book"
    )
    for cell in cells:
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
        else:
            cell.source = renderer.markdown(cell.source)
    cells = [c for c in cells if c.cell_type == "code" or c.source.strip()]
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": dict(chapter.metadata["kernelspec"])},
    )
    nbformat.validate(notebook)
    return notebook
