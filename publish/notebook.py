"""``chapter_notebook``: the one transform of a chapter into a notebook.

The notebooks branch (Binder, Colab), the JupyterLite site and the student
edition all start from it, then add their own first cells.
"""

from pathlib import Path

import jupytext
import nbformat

from publish.sources import is_claim
from publish.student import student_cells

#: What each edition makes of the chapter's cells.
EDITIONS = ("book", "student")


def read_chapter(path):
    """The chapter at ``path`` as a notebook (jupytext reads the MyST)."""
    return jupytext.read(Path(path))


def chapter_notebook(path, edition="book", claims=True):
    """The chapter at ``path`` as a notebook (nbformat v4.5, no outputs,
    the chapter's kernelspec as its only metadata).

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
    for cell in cells:
        cell.metadata.pop("lines_to_next_cell", None)
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    notebook = nbformat.v4.new_notebook(
        cells=cells,
        metadata={"kernelspec": dict(chapter.metadata["kernelspec"])},
    )
    nbformat.validate(notebook)
    return notebook
