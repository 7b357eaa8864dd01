"""Chapter -> artefacts: everything the book publishes besides its pages.

- :mod:`publish.sources`: the one ``_toc.yml`` reader and the rules for
  "is a notebook", "is a claim cell" and "is a solution";
- :mod:`publish.notebook`: ``chapter_notebook``, the one transform of a
  chapter into a notebook, and :mod:`publish.student`, what it does for
  the student edition;
- the builders: :mod:`publish.branch` (the notebooks branch behind the
  Binder and Colab buttons), :mod:`publish.lite` and
  :mod:`publish.lite_runtime` (JupyterLite), :mod:`publish.edition` (the
  student edition) and :mod:`publish.preview` (``make preview``).

Each works on a book's folder given explicitly (the command lines: the
current folder); the Sphinx extensions in ``book/_ext`` use the same rules.
"""
