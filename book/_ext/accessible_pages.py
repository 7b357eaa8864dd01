"""Sphinx extension: small fixes to the HTML pages that the browser test found.

* ``sphinx-thebe`` registers its configuration script once per reading pass, and the
  book is read in two passes, so every page declared ``const THEBE_JS_URL`` twice: a
  JavaScript error on every page.  Scripts are de-duplicated per page.
* docutils wraps the bibliography in ``<div role="list">`` whose children are not list
  items, which screen readers cannot announce (axe: ``aria-required-children``, critical).
  The role is dropped; the entries keep ``role="doc-biblioentry"``.
"""

CITATION_LIST = '<div role="list" class="citation-list">'


def script_key(script):
    """Identity of a script tag: file (``None`` and ``""`` both mean inline), priority, attributes."""
    if isinstance(script, str):
        return script
    return (script.filename or "", script.priority, tuple(sorted(script.attributes.items())))


def fix_page(app, pagename, templatename, context, doctree):
    """De-duplicate the page's scripts and drop the bibliography's list role."""
    unique = {}
    for script in context.get("script_files", []):
        unique.setdefault(script_key(script), script)
    context["script_files"] = list(unique.values())
    if "body" in context:
        context["body"] = context["body"].replace(CITATION_LIST, '<div class="citation-list">')


def setup(app):
    """Register the page hook."""
    app.connect("html-page-context", fix_page, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
