"""The chapters' MyST rendered for a notebook's reader (publish.render),
and every generated notebook free of MyST.

The fast tests render a small chapter against a hand-made build record;
the tests that take ``book_record`` render the real chapters of the built
book, for every launch path (notebooks branch, browser, student).
"""

import json

import nbformat
import pytest
from conftest import ROOT

from publish import branch, edition, lite
from publish.render import Reader, Renderer, leftover_myst
from publish.sources import PublishError, notebook_docnames

SITE = "https://example.org/book/"

CHAPTER = """\
(chapter-demo)=
# Demo

% a comment for authors
The loss fell to {glue:text}`final_loss:.3f` after {glue:text}`epochs` \
epochs; see {numref}`fig-demo`, {ref}`chapter-demo`,
{ref}`the other page <chapter-other>`, {prf:ref}`thm-demo`,
{cite:p}`glorot2010`, {cite:t}`glorot2010` and
{py:func}`~fashionlib.loss.l2`.

```{exercise} The loss
:label: ex-demo

Write $\\ell$.
```

````{solution} ex-demo
:class: dropdown

Square and sum.

```{literalinclude} ../lib/loss.py
:language: python
:pyobject: l2
```
````

```{prf:theorem} Demo
:label: thm-demo

It holds.
```

```{prf:proof}
Trivially.
```

:::{note}
A note.
:::
"""

LOSS = '''\
import numpy as np


def l2(x, y):
    """Squared distance."""
    return float(np.sum((x - y) ** 2))
'''


@pytest.fixture
def demo(tmp_path):
    """A chapter, the code it includes and its build's record."""
    (tmp_path / "book").mkdir()
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "loss.py").write_text(LOSS)
    glue = tmp_path / "_build" / "jupyter_execute" / "book"
    glue.mkdir(parents=True)
    (glue / "demo.glue.json").write_text(
        json.dumps(
            {
                "final_loss": {"data": {"text/plain": "0.123456"}},
                "epochs": {"data": {"text/plain": "'40'"}},
            }
        )
    )
    data = {
        "labels": {
            "chapter-demo": {
                "docname": "book/demo",
                "anchor": "chapter-demo",
                "title": "Demo",
            },
            "chapter-other": {
                "docname": "book/other",
                "anchor": "chapter-other",
                "title": "Other",
            },
            "fig-demo": {
                "docname": "book/demo",
                "anchor": "fig-demo",
                "figtype": "figure",
                "number": "2",
            },
            "ex-demo": {
                "docname": "book/demo",
                "anchor": "ex-demo",
                "figtype": "exercise",
                "number": "1",
            },
        },
        "proofs": {
            "thm-demo": {
                "docname": "book/demo",
                "realtype": "theorem",
                "ids": ["thm-demo"],
                "figtype": "proof",
                "number": "1",
            }
        },
        "citations": {
            "glorot2010": {"id": "id7", "docname": "book/references"}
        },
        "numfig_format": {
            "figure": "Fig. %s",
            "exercise": "Exercise %s",
            "proof": "Theorem %s",
        },
        "titles": {"book/demo": "Demo", "book/other": "Other"},
    }
    reader = Reader(
        SITE,
        data,
        tmp_path / "_build",
        bib={"glorot2010": ("Glorot and Bengio", "2010")},
    )
    return reader, tmp_path


def render(demo, solutions=True):
    reader, root = demo
    return Renderer(reader, root, "book/demo", solutions).markdown(CHAPTER)


def test_glued_values_appear_formatted_as_in_the_book(demo):
    text = render(demo)
    assert "fell to 0.123 after 40 epochs" in text


def test_references_become_links_to_the_book_pages(demo):
    text = render(demo)
    assert f"[Fig. 2]({SITE}book/demo.html#fig-demo)" in text
    assert f"[Demo]({SITE}book/demo.html#chapter-demo)" in text
    assert f"[the other page]({SITE}book/other.html#chapter-other)" in text
    assert f"[Theorem 1]({SITE}book/demo.html#thm-demo)" in text
    refs = f"{SITE}book/references.html#id7"
    assert f"([Glorot and Bengio, 2010]({refs}))" in text
    assert f"[Glorot and Bengio (2010)]({refs})" in text
    api = f"{SITE}book/api.html#fashionlib.loss.l2"
    assert f"[`l2()`]({api})" in text


def test_solutions_are_collapsed_and_hold_the_included_code(demo):
    text = render(demo)
    start = text.index("<details>")
    solution = text[start : text.index("</details>")]
    assert "<summary>Solution to Exercise 1</summary>" in solution
    assert "Square and sum." in solution
    assert "def l2(x, y):" in solution and "** 2" in solution
    assert "literalinclude" not in text


def test_boxes_become_quoted_markdown(demo):
    text = render(demo)
    assert "> **Exercise 1** (The loss)" in text
    assert "> **Theorem** (Demo)" in text
    assert "*Proof.* Trivially." in text
    assert "> **Note**" in text


def test_the_rendered_chapter_holds_no_myst(demo):
    assert leftover_myst(CHAPTER)  # the detector sees the source's MyST
    assert leftover_myst(render(demo)) == []


def test_without_solutions_no_solution_text_remains(demo):
    text = render(demo, solutions=False)
    assert "Square and sum." not in text and "<details>" not in text
    assert "> **Exercise 1**" in text


def test_a_role_without_a_rendering_stops_with_its_name(demo):
    reader, root = demo
    renderer = Renderer(reader, root, "book/demo")
    with pytest.raises(PublishError, match=r"\{eq\}.*publish/render.py"):
        renderer.markdown("See {eq}`my-equation`.")


def test_a_value_the_build_did_not_glue_says_to_build(demo):
    reader, root = demo
    renderer = Renderer(reader, root, "book/demo")
    with pytest.raises(PublishError, match="missing_value.*make book"):
        renderer.markdown("{glue:text}`missing_value`")


def test_student_lite_site_holds_only_the_student_chapters(tmp_path, root):
    for name in ("warmup", "network"):
        nbformat.write(nbformat.v4.new_notebook(), tmp_path / f"{name}.ipynb")
    chapters = lite.lite_chapters(root, "student", tmp_path)
    assert chapters == ["book/warmup", "book/network"]


def test_storage_key_follows_the_build(tmp_path):
    contents = tmp_path / "contents"
    contents.mkdir()
    (contents / "a.ipynb").write_text("first build")
    first = lite.build_key([contents])
    assert lite.build_key([contents]) == first  # same files, same key
    (contents / "a.ipynb").write_text("second build")
    second = lite.build_key([contents])
    assert second != first
    config = lite.lite_config(second)["jupyter-config-data"]
    assert second in config["contentsStorageName"]
    assert second in config["settingsStorageName"]


# --- every notebook generated from the built book ---------------------------


def generated_notebooks(reader, tmp_path):
    """(what, notebook) for every launch path and chapter."""
    found = []
    for docname in notebook_docnames(ROOT):
        path = ROOT / f"{docname}.md"
        found.append(
            (
                f"branch {docname}",
                branch.branch_notebook(path, "r", "b", ROOT, reader),
            )
        )
    for edition_name in ("book", "student"):
        for docname in lite.lite_chapters(ROOT):
            found.append(
                (
                    f"browser {edition_name} {docname}",
                    lite.browser_notebook(
                        ROOT, docname, edition_name, "tqdm.whl", reader
                    ),
                )
            )
    for name, path in edition.chapter_files(ROOT).items():
        notebook = edition.student_notebook(path, reader)
        found.append((f"student {name}", notebook))
    return found


def test_no_generated_notebook_holds_myst(book_record, tmp_path):
    left = {
        what: leftover_myst(cell.source)
        for what, notebook in generated_notebooks(book_record, tmp_path)
        for cell in notebook.cells
        if cell.cell_type == "markdown" and leftover_myst(cell.source)
    }
    assert left == {}


def test_browser_notebook_first_cell_names_its_build(book_record):
    notebook = lite.browser_notebook(
        ROOT, "book/sgd", "book", "tqdm.whl", book_record
    )
    first = notebook.cells[0].source
    stamp = book_record.data["stamp"]
    assert stamp["commit"] in first and stamp["date"] in first
    assert all(digest in first for digest in stamp["data"].values())
    assert stamp["blas"] in first
    assert "book's version back" in first
