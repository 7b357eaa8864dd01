"""Sphinx extension: MathJax 3 served from the built site (math offline).

The MathJax files come from the Python package ``django-static-mathjax``
(installed with the book extras).  Only what the pages need is copied: the
combined TeX/MathML/CHTML loader, its TeX extensions and the woff-v2 fonts,
into ``_static/mathjax/`` of the HTML output.
"""

import shutil
from pathlib import Path

SUBSET = (
    "tex-mml-chtml.js",
    "input/tex/extensions",
    "output/chtml/fonts/woff-v2",
)


def mathjax_source():
    """Folder of MathJax's ``es5`` build inside the installed package."""
    import mathjax  # provided by django-static-mathjax

    return Path(mathjax.__file__).parent / "static" / "mathjax" / "es5"


def use_local_mathjax(app):
    """Point ``mathjax_path`` at the copy under ``_static`` (Sphinx prefixes
    relative paths with it).
    """
    # fail early, with an ImportError naming the package, if it is missing
    mathjax_source()
    app.config.mathjax_path = "mathjax/tex-mml-chtml.js"


def copy_mathjax(app, exception):
    """After a successful HTML build, copy the MathJax subset into
    ``_static/mathjax``.
    """
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_source(), Path(app.outdir) / "_static" / "mathjax"
    for part in SUBSET:
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part, dirs_exist_ok=True)
        else:
            (target / part).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


def setup(app):
    """Register the two hooks."""
    app.connect("builder-inited", use_local_mathjax)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
