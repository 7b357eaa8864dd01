"""A chapter's MyST Markdown rendered for a notebook's reader.

:func:`render_markdown` is what :func:`publish.notebook.chapter_notebook`
does to every Markdown cell, for every launch path (notebooks branch,
JupyterLite, student edition):

- ``{glue:text}`` roles become the values the book's build glued (read
  from ``_build/jupyter_execute/DOC.glue.json``, formatted by myst-nb);
- ``{ref}``, ``{numref}``, ``{prf:ref}`` and ``{doc}`` become links to the
  book's page, ``{cite:p}`` and ``{cite:t}`` author and year linked to the
  references page, ``{py:func}`` (``class``, ``mod``...) code linked to
  the API page, ``{math}`` plain ``$...$``;
- exercises, proofs and admonitions become quoted Markdown; solutions
  collapsed ``<details>`` blocks whose ``literalinclude`` lines are the
  included code (the student edition leaves solutions out);
- label targets ``(label)=`` and ``%`` comments go.

The numbers, anchors and titles come from ``_build/reader.json``, written
by the book's build (``book/_ext/build_record.py``).  A role or directive
with no rendering here stops the transform with a message naming it.
"""

import ast
import json
import re
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from myst_nb.core.variables import format_plain_text

from publish.sources import PublishError, read_config, read_yaml

#: The build's folder in the book's, and what it holds for the notebooks.
BUILD = "_build"
READER_FILE = "reader.json"
GLUE_FOLDER = "jupyter_execute"
#: A directive's opening fence: indent, fence, name, argument.
OPENING = re.compile(
    r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w:-]+)\}\s*(?P<arg>.*)$"
)
#: A MyST role: {name}`content` (not inside inline code: `{name}`).
ROLE = re.compile(
    r"(?<!`)\{(?P<name>[a-zA-Z][\w:.-]*)\}`(?P<content>[^`]*)`"
)
#: Text and target of a role written ``text <target>``.
TEXT_TARGET = re.compile(r"^(?P<text>.*?)\s*<(?P<target>[^<>]+)>$", re.S)
#: Leftover MyST that no notebook may show (the test's and ours).
LEFTOVER = re.compile(
    r"(?<!`)\{[a-zA-Z][\w:.-]*\}`|^\s*(?:`{3,}|:{3,})\{|^\([\w-]+\)=\s*$"
    r"|\{\{",
    re.M,
)
ADMONITIONS = (
    "admonition attention caution danger error hint important note "
    "seealso tip warning"
).split()


@dataclass
class Reader:
    """What rendering a chapter needs from the book's build."""

    site: str  # "" for no links (the student edition: the book's pages
    data: dict  # show the solutions)
    build: Path  # the build's folder (its jupyter_execute/ holds the glue)
    bib: dict = field(default_factory=dict)
    glue: dict = field(default_factory=dict)

    def link(self, text, docname, anchor=""):
        """``text`` linked to ``docname`` (and anchor) on the book's site;
        ``text`` alone when the reader has no site."""
        if not self.site:
            return text
        page = f"{self.site}{docname}.html" + (f"#{anchor}" if anchor else "")
        return f"[{text}]({page})"


def site_url(root):
    """The book's published address: ``html.baseurl`` of _config.yml, else
    the GitHub Pages address of its repository."""
    config = read_config(root)
    base = (config.get("html") or {}).get("baseurl")
    if base:
        return base.rstrip("/") + "/"
    found = re.match(
        r"https://github\.com/([^/]+)/([^/]+?)/?$", config["repository"]["url"]
    )
    if found is None:
        raise PublishError(
            "_config.yml: set html.baseurl to the book's address (the "
            "notebooks link to its pages)"
        )
    return f"https://{found[1]}.github.io/{found[2]}/"


def bibliography(root):
    """{key: (authors, year)} of the book's BibTeX files, authors as the
    author-year style writes them."""
    from pybtex.database import parse_file

    found = {}
    for name in read_config(root).get("bibtex_bibfiles", []):
        for key, entry in parse_file(str(Path(root) / name)).entries.items():
            people = [
                " ".join(p.last_names)
                for p in entry.persons.get("author", [])
            ]
            if len(people) > 2:
                authors = f"{people[0]} et al."
            else:
                authors = " and ".join(people)
            year = entry.fields.get("year", "n.d.")
            found[key] = (authors.replace("{", "").replace("}", ""), year)
    return found


def load_reader(root, build=None):
    """The record of the build (folder ``build``, by default ``_build`` in
    ``root``) of the book in ``root``; PublishError when it is missing."""
    build = Path(build or Path(root) / BUILD)
    path = build / READER_FILE
    if not path.is_file():
        raise PublishError(
            f"{path} is missing: build the book first (make book); the "
            "notebooks show its glued values, numbers and links"
        )
    return Reader(
        site_url(root), read_yaml(path), build, bib=bibliography(root)
    )


def glue_values(reader, docname):
    """{name: text/plain} that the build glued in ``docname`` (cached)."""
    if docname not in reader.glue:
        path = reader.build / GLUE_FOLDER / f"{docname}.glue.json"
        outputs = json.loads(path.read_text()) if path.is_file() else {}
        reader.glue[docname] = {
            name: output["data"].get("text/plain", "")
            for name, output in outputs.items()
        }
    return reader.glue[docname]


def split_target(content):
    """(text or None, target) of a role's content."""
    found = TEXT_TARGET.match(content)
    if found:
        return found["text"], found["target"]
    return None, content


def label(reader, name, where):
    """The build's record of the label ``name``."""
    entry = reader.data["labels"].get(name.lower())  # Sphinx lowercases
    if entry is None:
        raise PublishError(f"{where}: unknown label {name!r}")
    return entry


def numbered(reader, entry, where):
    """"Fig. 3" for a numbered label (its figure type's format)."""
    if "number" not in entry:
        raise PublishError(f"{where}: {entry['anchor']!r} has no number")
    template = reader.data["numfig_format"].get(
        entry["figtype"], entry["figtype"].capitalize() + " %s"
    )
    return template % entry["number"]


def render_ref(reader, content, where):
    """A {ref}: a link to the label's section, titled as the book does."""
    text, target = split_target(content)
    entry = label(reader, target, where)
    title = text or entry.get("title") or reader.data["titles"].get(
        entry["docname"], target
    )
    return reader.link(title, entry["docname"], entry["anchor"])


def render_numref(reader, content, where):
    """A {numref}: "Fig. 3" (or the text with %s) linked to the figure."""
    text, target = split_target(content)
    entry = label(reader, target, where)
    number = numbered(reader, entry, where)
    shown = text.replace("%s", entry["number"]) if text else number
    return reader.link(shown, entry["docname"], entry["anchor"])


def render_proof_ref(reader, content, where):
    """A {prf:ref}: the theorem's name and number, linked."""
    text, target = split_target(content)
    proof = reader.data["proofs"].get(target)
    if proof is None:
        raise PublishError(f"{where}: unknown proof label {target!r}")
    shown = text or " ".join(
        [proof["realtype"].capitalize()]
        + ([proof["number"]] if "number" in proof else [])
    )
    anchor = (proof.get("ids") or [target])[0]
    return reader.link(shown, proof["docname"], anchor)


def render_doc(reader, content, where, docname):
    """A {doc}: the page's title linked to it."""
    text, target = split_target(content)
    path = (Path(docname).parent / target).as_posix()
    if path not in reader.data["titles"]:
        raise PublishError(f"{where}: unknown page {target!r}")
    return reader.link(text or reader.data["titles"][path], path)


def render_cite(reader, name, content, where):
    """{cite:p} "(Author, Year)" or {cite:t} "Author (Year)", linked to the
    references page."""
    parts = []
    for key in (k.strip() for k in content.split(",")):
        if key not in reader.bib or key not in reader.data["citations"]:
            raise PublishError(f"{where}: unknown citation {key!r}")
        authors, year = reader.bib[key]
        place = reader.data["citations"][key]
        if name == "cite:t":
            shown = f"{authors} ({year})"
        else:
            shown = f"{authors}, {year}"
        parts.append(reader.link(shown, place["docname"], place["id"]))
    joined = "; ".join(parts)
    return joined if name == "cite:t" else f"({joined})"


def render_api(reader, name, content):
    """A {py:...} role: the name as code linked to the API page."""
    text, target = split_target(content)
    short = target.startswith("~")
    target = target.lstrip("~")
    shown = text or (target.rsplit(".", 1)[-1] if short else target)
    if name == "py:func" and not text:
        shown += "()"
    anchor = f"module-{target}" if name == "py:mod" else target
    return reader.link(f"`{shown}`", "book/api", anchor)


def render_glue(reader, docname, content, where):
    """A {glue:text}: the value the build glued, formatted as the book."""
    key, _, spec = content.rpartition(":")
    if not key:
        key, spec = content, "s"
    doc, sep, name = key.partition("::")
    source = (Path(docname).parent / doc).as_posix() if sep else docname
    values = glue_values(reader, source)
    name = name if sep else key
    if name not in values:
        raise PublishError(
            f"{where}: no glued value {name!r} in the build of {source} "
            "(build the book: make book)"
        )
    return format_plain_text(values[name], spec)


def render_role(match, reader, docname, where):
    """The Markdown of one MyST role."""
    name, content = match["name"], match["content"]
    if name in ("glue", "glue:text"):
        return render_glue(reader, docname, content, where)
    if name == "ref":
        return render_ref(reader, content, where)
    if name == "numref":
        return render_numref(reader, content, where)
    if name == "prf:ref":
        return render_proof_ref(reader, content, where)
    if name == "doc":
        return render_doc(reader, content, where, docname)
    if name in ("cite", "cite:p", "cite:t"):
        return render_cite(reader, name, content, where)
    if name.startswith("py:"):
        return render_api(reader, name, content)
    if name == "math":
        return f"${content}$"
    raise PublishError(
        f"{where}: the role {{{name}}} has no notebook rendering: add one "
        "to publish/render.py"
    )


@dataclass
class Directive:
    """One MyST directive: name, argument, options, body lines."""

    name: str
    arg: str
    options: dict
    body: str


def closing(lines, start, fence):
    """Index of the line closing ``fence`` opened before ``start``."""
    for index in range(start, len(lines)):
        line = lines[index].strip()
        if line and set(line) == {fence[0]} and len(line) >= len(fence):
            return index
    return None


def parse_directive(lines, opening):
    """A Directive from the lines between its fences."""
    options, index = {}, 0
    while index < len(lines) and re.match(r"^:[\w-]+:", lines[index]):
        key, _, value = lines[index][1:].partition(":")
        options[key] = value.strip()
        index += 1
    return Directive(
        opening["name"],
        opening["arg"].strip(),
        options,
        "\n".join(lines[index:]).strip("\n"),
    )


def pyobject_source(path, name):
    """The source of the function or class ``name`` (``Class.method``
    too) in the Python file ``path``, as Sphinx's ``:pyobject:`` shows."""
    text = Path(path).read_text()
    scope = ast.parse(text)
    for part in name.split("."):
        scope = next(
            (
                node
                for node in scope.body
                if isinstance(
                    node,
                    (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef),
                )
                and node.name == part
            ),
            None,
        )
        if scope is None:
            raise PublishError(f"{path}: no {name} to include")
    lines = text.splitlines()
    first = min([scope.lineno] + [d.lineno for d in scope.decorator_list])
    return textwrap.dedent("\n".join(lines[first - 1 : scope.end_lineno]))


def render_include(directive, chapter_dir):
    """A literalinclude: the included code in a fenced block."""
    path = (chapter_dir / directive.arg).resolve()
    if "pyobject" in directive.options:
        code = pyobject_source(path, directive.options["pyobject"])
    else:
        code = path.read_text().rstrip("\n")
    language = directive.options.get("language", "python")
    return f"```{language}\n{code}\n```"


def quoted(text):
    """``text`` as a Markdown block quote."""
    return "\n".join(f"> {line}" if line else ">" for line in text.split("\n"))


class Renderer:
    """Renders the Markdown cells of one chapter (``docname``)."""

    def __init__(self, reader, root, docname, solutions=True):
        self.reader, self.docname = reader, docname
        self.chapter_dir = (Path(root) / docname).parent
        self.solutions = solutions

    def where(self):
        """The chapter, for messages."""
        return f"{self.docname}.md"

    def exercise_name(self, name):
        """"Exercise 3" for the exercise labelled ``name``."""
        entry = self.reader.data["labels"].get(name.lower(), {})
        if "number" in entry:
            return numbered(self.reader, entry, self.where())
        return "Exercise"

    def directive(self, directive):
        """The Markdown of one directive (its body rendered too)."""
        name, arg = directive.name, directive.arg
        body = self.markdown(directive.body)
        if name == "literalinclude":
            return render_include(directive, self.chapter_dir)
        if name == "exercise":
            heading = self.exercise_name(directive.options.get("label", ""))
            title = f"**{heading}**" + (f" ({arg})" if arg else "")
            return quoted(f"{title}\n\n{body}")
        if name == "solution":
            if not self.solutions:
                return ""
            summary = f"Solution to {self.exercise_name(arg)}"
            return (
                f"<details>\n<summary>{summary}</summary>\n\n{body}\n\n"
                "</details>"
            )
        if name.startswith("prf:"):
            kind = name[4:].capitalize()
            if kind == "Proof":
                return f"*Proof.* {body} $\\blacksquare$"
            title = f"**{kind}**" + (f" ({arg})" if arg else "")
            return quoted(f"{title}\n\n{body}")
        if name in ADMONITIONS:
            title = arg if name == "admonition" else name.capitalize()
            return quoted(f"**{title}**\n\n{body}")
        if name == "math":
            return f"$$\n{directive.body}\n$$"
        if name == "eval-rst":  # reStructuredText: Sphinx renders it
            module = re.search(r"\.\. automodule:: (\S+)", directive.body)
            shown = f"`{module[1]}`, documented" if module else "Shown"
            anchor = f"module-{module[1]}" if module else ""
            return self.reader.link(
                f"{shown} on the book's page", self.docname, anchor
            )
        if name in ("figure", "image"):
            alt = directive.options.get("alt", body or "figure")
            image = self.reader.site + "_images/" + Path(arg).name
            shown = f"![{alt}]({image})" if self.reader.site else f"*{alt}*"
            return shown + (f"\n\n{body}" if body else "")
        raise PublishError(
            f"{self.where()}: the directive {{{name}}} has no notebook "
            "rendering: add one to publish/render.py"
        )

    def blocks(self, text):
        """``text`` with every top-level directive rendered."""
        lines, out, index = text.split("\n"), [], 0
        while index < len(lines):
            opening = OPENING.match(lines[index].strip())
            if not opening or lines[index].startswith((" " * 4, "\t")):
                out.append(lines[index])
                index += 1
                continue
            end = closing(lines, index + 1, opening["fence"])
            if end is None:
                raise PublishError(
                    f"{self.where()}: the {{{opening['name']}}} at "
                    f"'{lines[index].strip()}' is not closed"
                )
            directive = parse_directive(lines[index + 1 : end], opening)
            out.append(self.directive(directive))
            index = end + 1
        return "\n".join(out)

    def inline(self, text):
        """``text`` with roles, targets, comments and equation labels done."""
        text = re.sub(r"^\([\w-]+\)=[ \t]*\n?", "", text, flags=re.M)
        text = re.sub(r"^%.*\n?", "", text, flags=re.M)
        text = re.sub(
            r"(\$\$)[ \t]*\([\w-]+\)[ \t]*$", r"\1", text, flags=re.M
        )
        return ROLE.sub(
            lambda match: render_role(
                match, self.reader, self.docname, self.where()
            ),
            text,
        )

    def markdown(self, text):
        """A Markdown cell's source, rendered."""
        return self.inline(self.blocks(text)).strip("\n")


def leftover_myst(text):
    """The MyST that ``text`` still holds (empty when none)."""
    return [match[0] for match in LEFTOVER.finditer(text)]
