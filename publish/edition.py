"""The student edition: the same chapters without solutions or answers.

From the chapter sources of a book (``root/book/*.md``, MyST notebooks
listed in ``root/_toc.yml``) this module makes, in ``root/_build/student``
unless told otherwise,

- the student build of ``fashionlib`` (:mod:`fashionlib.teaching.build`);
- one student notebook per chapter (:func:`student_notebook`), run beside
  that build;
- the student site: the book with the solutions removed, sphinx-exercise's
  ``hide_solutions`` on, reference and answer cells hidden, the student
  build in place of the package, links to left-out chapters as plain
  titles, and no copied sources.

``python -m fashionlib student`` runs :func:`make_student_edition` on the
book in the current folder (or ``--book``).
"""

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import jupytext
import nbformat
import yaml

from fashionlib.data import atomic_file
from fashionlib.teaching.build import write_student_build
from publish.notebook import chapter_notebook, read_chapter
from publish.render import load_reader
from publish.sources import (
    PublishError,
    read_config,
    read_toc,
    tags,
    toc_docnames,
    without_solutions,
)
from publish.student import imported_names

#: Where the student edition is written, in the book's folder.
STUDENT_DIR = Path("_build") / "student"
#: A {ref} role, bare (``{ref}`label```) or with text (``{ref}`a <label>```).
REF_ROLE = re.compile(
    r"\{ref\}`(?:(?P<text>[^`<]+?)\s*<(?P<label>[\w-]+)>|(?P<bare>[\w-]+))`"
)
#: Pages of the student site besides the chapters.
FIXED_PAGES = ("intro", "notation", "references")
#: A MyST role of the Python domain (func, class) that links the API
#: reference.
API_ROLE = re.compile(r"\{py:\w+\}`~?(?:[\w.]+\.)?(?P<name>\w+)`")


def student_notebook(path, reader=None):
    """The student notebook of the chapter at ``path`` (nbformat v4, no
    outputs; ``reader``: the book build's record, :mod:`publish.render`)."""
    return chapter_notebook(path, "student", reader=reader)


def write_yaml(data, path):
    """Write ``data`` as YAML to ``path``, keys in their order."""
    Path(path).write_text(yaml.safe_dump(data, sort_keys=False))


def chapter_files(root):
    """The chapters with exercises, in ``_toc.yml`` order: {name: path}."""
    if not (Path(root) / "_toc.yml").is_file():
        return {}
    chapters = {}
    for file in toc_docnames(root)[1:]:
        path = Path(root) / f"{file}.md"
        if path.exists() and "{exercise}" in path.read_text():
            chapters[path.stem] = path
    return chapters


def select_chapters(names, root):
    """The chapter paths for ``names`` (all when empty); PublishError names
    the valid ones."""
    chapters = chapter_files(root)
    if not chapters:
        raise PublishError(
            f"no chapters found under {root}: run from a checkout of the "
            "book (it has _toc.yml), or give its folder with --book"
        )
    unknown = [name for name in names if name not in chapters]
    if unknown:
        raise PublishError(
            f"unknown chapter {', '.join(unknown)}: choose from "
            f"{', '.join(chapters)}"
        )
    return {name: chapters[name] for name in (names or chapters)}


def write_notebook(notebook, path):
    """Write ``notebook`` to ``path`` atomically."""
    with atomic_file(path) as f:
        f.write(nbformat.writes(notebook).encode())


def chapter_modules(chapters):
    """The fashionlib modules the code of ``chapters`` ({name: path})
    imports, by module name (``batch``)."""
    return {
        module.split(".")[1]
        for path in chapters.values()
        for cell in read_chapter(path).cells
        if cell.cell_type == "code"
        for module, _ in imported_names(cell.source)
        if module.count(".") == 1
    }


def write_student_notebooks(chapters, out_dir, reader=None):
    """Write ``out_dir/notebooks/NAME.ipynb`` for each chapter {name: path}
    and the student build beside them (``notebooks/fashionlib``, which a
    notebook run there imports, with the modules these chapters need);
    returns the notebooks' paths."""
    write_student_build(
        Path(out_dir) / "notebooks" / "fashionlib",
        modules=chapter_modules(chapters),
    )
    for old in (Path(out_dir) / "notebooks").glob("*.ipynb"):
        old.unlink()  # a chapter left out now leaves no notebook behind
    written = []
    for name, path in chapters.items():
        target = Path(out_dir) / "notebooks" / f"{name}.ipynb"
        write_notebook(student_notebook(path, reader), target)
        written.append(target)
    return written


def defined_labels(text):
    """The labels ``(label)=`` that a page's MyST ``text`` defines."""
    return re.findall(r"^\(([\w-]+)\)=\s*$", text, re.M)


def chapter_labels(root):
    """Every label a page of the book defines -> that page's title."""
    labels = {}
    for path in sorted((Path(root) / "book").glob("*.md")):
        text = path.read_text()
        title = re.search(r"^# (.+)$", text, re.M)
        for label in defined_labels(text):
            labels[label] = title[1].strip() if title else path.stem
    return labels


def unlink_left_out(text, kept, labels):
    """``text`` with each {ref} to a page outside ``kept`` (labels defined
    on the site) replaced by the plain, emphasised title of that page."""

    def plain(match):
        label = match["label"] or match["bare"]
        if label in kept or label not in labels:
            return match[0]
        title = f"*{labels[label]}*"
        return f"{match['text'].strip()} ({title})" if match["text"] else title

    return REF_ROLE.sub(plain, text)


def student_chapter_text(path, kept=None, labels=None):
    """The MyST source of a chapter for the student site: no solutions;
    reference and answer cells hidden (claim cells, hidden already, run
    with the instructor's package and glue the prose's numbers); links to
    the API reference, which the site leaves out, as code; links to
    left-out pages (``kept``: the labels the site defines) as plain
    titles."""
    chapter = read_chapter(path)
    for cell in chapter.cells:
        if cell.cell_type == "markdown":
            cell.source = API_ROLE.sub(
                r"`\g<name>`", without_solutions(cell.source)
            )
            if kept is not None:
                cell.source = unlink_left_out(cell.source, kept, labels)
        elif {"reference", "exercise-answer"} & set(tags(cell)):
            cell.metadata["tags"] = sorted(
                set(tags(cell)) - {"reference", "exercise-answer"}
                | {"remove-cell"}
            )
    return jupytext.writes(chapter, fmt="md:myst")


def student_toc(root, chapters):
    """``_toc.yml`` for the student site: the front page, the chosen
    chapters and the references."""
    toc = read_toc(root)
    keep = {f"book/{name}" for name in chapters} | {
        f"book/{page}" for page in FIXED_PAGES
    }
    parts = []
    for part in toc["parts"]:
        entries = [
            entry
            for entry in part.get("chapters", [])
            if entry["file"] in keep
        ]
        if entries:
            parts.append({**part, "chapters": entries})
    return {**toc, "parts": parts}


def student_config(root):
    """``_config.yml`` for the student site: solutions hidden, no copied
    sources, no download or launch buttons."""
    config = read_config(root)
    config["title"] = f"{config['title']} (student edition)"
    # no Binder or Colab buttons: they open the book's notebooks, solutions
    # and all
    config.pop("launch_buttons", None)
    sphinx = config.setdefault("sphinx", {})
    sphinx.get("local_extensions", {}).pop("notebooks_branch", None)
    sphinx.get("config", {}).pop("launch_notebooks_branch", None)
    config.setdefault("sphinx", {})["recursive_update"] = (
        True  # merge the theme options below into Jupyter Book's
    )
    config["sphinx"].setdefault("config", {}).update(
        {
            "hide_solutions": True,
            "html_copy_source": False,
            "html_show_sourcelink": False,
            "html_theme_options": {"use_download_button": False},
        }
    )
    return config


def write_student_sources(root, chapters, source_dir):
    """Fill ``source_dir`` with the student site's sources: config, toc,
    book/ with edited pages, and the student build as ``fashionlib``."""
    root, source_dir = Path(root), Path(source_dir)
    shutil.copytree(
        root / "book",
        source_dir / "book",
        ignore=shutil.ignore_patterns("*.md", "__pycache__"),
    )
    write_student_build(
        source_dir / "fashionlib", modules=chapter_modules(chapters)
    )
    fixed = {page: root / "book" / f"{page}.md" for page in FIXED_PAGES}
    labels = chapter_labels(root)
    kept = {
        label
        for path in [*chapters.values(), *fixed.values()]
        for label in defined_labels(path.read_text())
    }
    for name, path in fixed.items():
        text = API_ROLE.sub(r"`\g<name>`", path.read_text())
        (source_dir / "book" / f"{name}.md").write_text(
            unlink_left_out(text, kept, labels)
        )
    for name, path in chapters.items():
        (source_dir / "book" / f"{name}.md").write_text(
            student_chapter_text(path, kept, labels)
        )
    write_yaml(student_toc(root, chapters), source_dir / "_toc.yml")
    write_yaml(student_config(root), source_dir / "_config.yml")


def build_student_site(chapters, out_dir, root):
    """Build the student site into ``out_dir/html`` from generated sources.

    Returns (exit status, log text). The chapters are executed as in the
    book, with the instructor's package (the reference cells run, hidden),
    so figures and glued numbers are there; no code of it is shown. The
    old site is replaced only when the build succeeds.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(
        dir=out_dir, prefix=".source-"
    ) as source_dir:
        write_student_sources(root, chapters, source_dir)
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        result = subprocess.run(
            [
                str(jupyter_book),
                "build",
                source_dir,
                "--all",
                "-n",
                "--keep-going",
                "--path-output",
                source_dir,
            ],
            capture_output=True,
            text=True,
        )
        log = result.stdout + result.stderr
        built = Path(source_dir) / "_build" / "html"
        if result.returncode == 0 and built.is_dir():
            shutil.rmtree(out_dir / "html", ignore_errors=True)
            shutil.move(str(built), out_dir / "html")
    return result.returncode, log


def build_warnings(log):
    """The WARNING lines of a Sphinx log (not ipykernel's TCP notice)."""
    return [
        line
        for line in log.splitlines()
        if "WARNING" in line and "Kernel is running over TCP" not in line
    ]


def make_student_edition(
    root, names=(), out_dir=None, site=True, reader=None
):
    """Write the student build and notebooks (and build the site) for the
    chapters ``names`` (all when empty) of the book in ``root``, into
    ``out_dir`` (default ``root/_build/student``).

    Returns a dict: ``notebooks`` (paths), ``site`` (the html folder or
    None), ``warnings`` (list). Raises PublishError when a chapter is
    unknown, cannot be transformed, or the site fails to build.
    """
    chapters = select_chapters(list(names), root)
    out_dir = Path(root) / STUDENT_DIR if out_dir is None else out_dir
    notebooks = write_student_notebooks(
        chapters, out_dir, reader or load_reader(root)
    )
    if not site:
        return {"notebooks": notebooks, "site": None, "warnings": []}
    status, log = build_student_site(chapters, out_dir, root)
    if status != 0:
        tail = "\n".join(log.splitlines()[-30:])
        raise PublishError(
            f"the student site did not build (exit status {status}); the "
            f"end of the log:\n{tail}"
        )
    return {
        "notebooks": notebooks,
        "site": Path(out_dir) / "html",
        "warnings": build_warnings(log),
    }
