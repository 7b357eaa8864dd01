"""The book's claims are executed: change a backed fact, and the build fails.

A hidden cell tagged ``claim`` follows every sentence that states a quantity
or a comparison and asserts it.  This test breaks one fact on purpose: it
executes the regression chapter (not the whole book) with a first cell that
swaps the ReLU of ``fashionlib`` for the identity, so the "ReLU" network
becomes the linear one, and asserts that execution stops in the claim cell
that backs "the ReLU network beats the linear one".  The unpatched chapter
passing is what the book build (tests/test_book.py) shows.
"""

import jupytext
import nbformat
import pytest
from conftest import ROOT
from nbclient.exceptions import CellExecutionError

pytestmark = pytest.mark.slow  # executes a chapter

BOOK = ROOT / "book"

#: Makes fashionlib's relu (and its backward function) the identity.
RELU_IS_IDENTITY = """\
import fashionlib.activations
import fashionlib.backprop

fashionlib.activations.relu = fashionlib.activations.identity
fashionlib.backprop.backprop_relu_x = fashionlib.backprop.backprop_identity_x
"""


def first_failing_cell(client_for, chapter, first_cell_source):
    """Execute ``chapter`` after ``first_cell_source``, cell by cell.

    Returns ``(cell, error)`` of the first cell that raised, or
    ``(None, None)`` when every cell ran.
    """
    notebook = jupytext.read(BOOK / chapter)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(first_cell_source))
    client = client_for(notebook, BOOK)
    with client.setup_kernel():
        for index, cell in enumerate(notebook.cells):
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                return cell, error
    return None, None


def test_regression_chapter_fails_in_a_claim_when_relu_stops_helping(
    notebook_client,
):
    cell, error = first_failing_cell(
        notebook_client, "regression.md", RELU_IS_IDENTITY
    )
    assert cell is not None, "the broken chapter executed without an error"
    assert "claim" in cell.metadata.get("tags", []), (
        f"failed outside a claim cell:\n{cell.source}\n{error}"
    )
    assert "beats the linear one" in str(error), str(error)[-2000:]
