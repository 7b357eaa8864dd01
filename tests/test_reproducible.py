"""Same numbers every build: two chapters executed twice glue equal values.

Every value a chapter glues (``myst_nb.glue``) must come from seeded code,
so two executions give byte-identical outputs.  Two cheap chapters are
executed twice each and every glued output is compared.
"""

import jupytext
import pytest
from conftest import ROOT

BOOK = ROOT / "book"
CHAPTERS = ["activations.md", "neuron.md"]


def glued_values(client_for, chapter):
    """``{name: mime bundle}`` of every value glued by an execution of
    ``chapter`` (a MyST markdown file of the book)."""
    notebook = jupytext.read(BOOK / chapter)
    client_for(notebook, BOOK).execute()
    return {
        output["metadata"]["scrapbook"]["name"]: output["data"]
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if "scrapbook" in output.get("metadata", {})
    }


@pytest.mark.slow
@pytest.mark.parametrize("chapter", CHAPTERS)
def test_two_executions_glue_the_same_values(chapter, notebook_client):
    first = glued_values(notebook_client, chapter)
    second = glued_values(notebook_client, chapter)
    assert first, f"{chapter} glues nothing: choose a chapter that does"
    assert first.keys() == second.keys()
    differing = [name for name in first if first[name] != second[name]]
    assert not differing, f"{chapter}: these glued values changed: {differing}"
