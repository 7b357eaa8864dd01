"""Sphinx extension: what the build records for its readers.

* Every page gets a footer saying what it ran with
  (:func:`publish.stamp.stamp_html`): the commit of the book and package,
  the data files' SHA-256, the BLAS library and its thread count, the
  seeds the page's code sets, the build date.
* After an HTML build, ``reader.json`` beside the HTML folder
  (``_build/reader.json``) holds what :mod:`publish.render` needs to turn
  the chapters' roles into links in the notebooks: each label's page,
  anchor, title and number, each citation's anchor, the numbering formats,
  and the build's stamp (which the browser notebooks show too).
"""

import json
from pathlib import Path

from publish.stamp import build_stamp, page_seeds, stamp_html

#: The file written beside the HTML folder.
READER_FILE = "reader.json"


def record_stamp(app):
    """Compute the build's stamp once, when the build starts."""
    app.build_stamp = build_stamp(app.srcdir)


def add_footer(app, pagename, templatename, context, doctree):
    """Append the stamp to the page's body (pages with a source only)."""
    if "body" not in context or pagename not in app.env.all_docs:
        return
    source = Path(app.env.doc2path(pagename))
    seeds = page_seeds(source) if source.suffix == ".md" else []
    context["body"] += stamp_html(app.build_stamp, seeds)


def plain(value):
    """``value`` if JSON can hold it as it is, else None."""
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)) and all(
        isinstance(v, (str, int)) for v in value
    ):
        return list(value)
    return None


def labels(env):
    """{label: {docname, anchor, title?, figtype?, number?}} of the std
    domain, numbers from the table of figure numbers."""
    std = env.domaindata["std"]
    found = {}
    for name, (docname, anchor) in std["anonlabels"].items():
        if not docname:
            continue
        entry = {"docname": docname, "anchor": anchor}
        title = std["labels"].get(name, ("", "", ""))[2]
        if title:
            entry["title"] = title
        found[name] = {**entry, **number(env, docname, anchor)}
    return found


def number(env, docname, anchor):
    """{figtype, number} of the numbered node ``anchor`` of ``docname``
    (empty when it has no number)."""
    for figtype, numbers in env.toc_fignumbers.get(docname, {}).items():
        if anchor in numbers:
            return {
                "figtype": figtype,
                "number": ".".join(map(str, numbers[anchor])),
            }
    return {}


def proofs(env):
    """sphinx-proof's theorems and proofs: their plain fields and
    number."""
    return {
        label: {
            **fields,
            **number(env, fields["docname"], (fields.get("ids") or [""])[0]),
        }
        for label, fields in registry(getattr(env, "proof_list", {})).items()
    }


def registry(entries):
    """A registry of a domain or extension, its plain fields only."""
    return {
        str(key): {k: plain(v) for k, v in dict(value).items()}
        for key, value in entries.items()
        if isinstance(value, dict)
    }


def citations(env):
    """{key: {id, docname}} of sphinxcontrib-bibtex's citations."""
    return {
        citation.key: {
            "id": citation.citation_id,
            "docname": citation.bibliography_key.docname,
        }
        for citation in env.get_domain("cite").citations
    }


def write_reader_data(app, exception):
    """After a successful HTML build, write ``reader.json``."""
    if exception is not None or app.builder.format != "html":
        return
    env = app.env
    record = {
        "stamp": app.build_stamp,
        "labels": labels(env),
        "proofs": proofs(env),
        "exercises": registry(getattr(env, "sphinx_exercise_registry", {})),
        "citations": citations(env),
        "numfig_format": dict(app.config.numfig_format),
        "titles": {
            docname: title.astext() for docname, title in env.titles.items()
        },
        "seeds": {
            docname: page_seeds(env.doc2path(docname))
            for docname in env.found_docs
            if str(env.doc2path(docname)).endswith(".md")
        },
    }
    target = Path(app.outdir).parent / READER_FILE
    staged = target.with_suffix(".json.tmp")
    # default=str: Sphinx's numbering formats are lazy translation strings
    staged.write_text(
        json.dumps(record, indent=1, sort_keys=True, default=str)
    )
    staged.replace(target)


def setup(app):
    """Register the hooks."""
    app.connect("builder-inited", record_stamp)
    app.connect("html-page-context", add_footer)
    app.connect("build-finished", write_reader_data)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
