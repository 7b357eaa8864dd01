"""Sphinx extension: small fixes to the HTML pages that the browser test found.

* ``sphinx-thebe`` registers its configuration script once per reading pass,
  and the book is read in two passes, so every page declared
  ``const THEBE_JS_URL`` twice: a JavaScript error on every page.  Scripts
  are de-duplicated per page.
* docutils wraps the bibliography in ``<div role="list">`` whose children are
  not list items, which screen readers cannot announce (axe:
  ``aria-required-children``, critical).  The role is dropped; the entries
  keep ``role="doc-biblioentry"``.
* On a phone a long display equation made the page wider than the screen.
  ``static/page_width.css`` lets wide equations, code and tables scroll
  inside their own box (``static/math_scroll.js`` shades the side of an
  equation that hides more), and inline math scroll instead of clipping.
"""

from pathlib import Path

STATIC = Path(__file__).resolve().parent / "static"

CITATION_LIST = '<div role="list" class="citation-list">'


def script_key(script):
    """Identity of a script tag.

    File (``None`` and ``""`` both mean inline), priority, attributes.
    """
    if isinstance(script, str):
        return script
    return (
        script.filename or "",
        script.priority,
        tuple(sorted(script.attributes.items())),
    )


def fix_page(app, pagename, templatename, context, doctree):
    """Drop duplicate scripts of a page and the bibliography's list role."""
    unique = {}
    for script in context.get("script_files", []):
        unique.setdefault(script_key(script), script)
    context["script_files"] = list(unique.values())
    if "body" in context:
        context["body"] = context["body"].replace(
            CITATION_LIST, '<div class="citation-list">'
        )


def add_stylesheet(app):
    """Serve ``static/page_width.css`` and ``static/math_scroll.js`` (the
    cue on display equations that scroll) and link them on every page."""
    app.config.html_static_path.append(str(STATIC))
    app.add_css_file("page_width.css")
    app.add_js_file("math_scroll.js", defer="defer")


def setup(app):
    """Register the hooks."""
    app.connect("builder-inited", add_stylesheet)
    app.connect("html-page-context", fix_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
