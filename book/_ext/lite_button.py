"""The "Run this chapter in your browser" button at the top of each chapter.

It opens the chapter as a notebook in the JupyterLite site that
:mod:`publish.lite` (``make lite``) writes into the ``_lite`` folder of the
built HTML.  Chapters are not edited: the button is added here, to every
page whose source is a notebook, except those listed in the configuration
value ``lite_exclude`` (docnames such as ``book/instructors``).
"""

from pathlib import Path

from docutils import nodes

from publish.sources import is_notebook

#: The folder of the built HTML that holds the JupyterLite site.
LITE_FOLDER = "_lite"
LABEL = "Run this chapter in your browser"


def runs_in_browser(source, docname, excluded):
    """True if the page ``docname`` (MyST file ``source``) gets the button."""
    if docname in excluded or not Path(source).is_file():
        return False
    return is_notebook(source)


def button_html(page_uri, notebook):
    """The button's HTML for the page at ``page_uri`` opening ``notebook``."""
    depth = page_uri.count("/")
    target = f"{'../' * depth}{LITE_FOLDER}/notebooks/index.html"
    return (
        '<p class="lite-launch">'
        f'<a class="btn btn-sm btn-outline-primary" '
        f'href="{target}?path={notebook}" target="_blank" rel="noopener">'
        f'<i class="fas fa-play" aria-hidden="true"></i> {LABEL}</a>'
        ' <span class="lite-launch-note">(JupyterLite: Python in this'
        " browser, nothing to install)</span></p>"
    )


def add_button(app, doctree, docname):
    """Insert the button under the title of a notebook chapter (HTML only)."""
    if app.builder.format != "html":
        return
    source = app.env.doc2path(docname)
    if not runs_in_browser(source, docname, app.config.lite_exclude):
        return
    section = doctree.next_node(nodes.section)
    if section is None:
        return
    notebook = Path(docname).name + ".ipynb"
    html = button_html(app.builder.get_target_uri(docname), notebook)
    section.insert(1, nodes.raw("", html, format="html"))


def setup(app):
    """Register ``lite_exclude`` and the button."""
    app.add_config_value("lite_exclude", [], "html")
    app.connect("doctree-resolved", add_button)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
