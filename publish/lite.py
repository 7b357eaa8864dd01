"""Build the JupyterLite site behind "Run this chapter in your browser".

Usage, in the book's folder:
``python -m publish.lite OUT [--edition book|student] [--wheel PATH]
[--build BUILD]`` (``make lite`` writes ``_build/html/_lite``; ``BUILD``
is the book's build folder, ``_build`` by default, whose record renders
the notebooks: :mod:`publish.render`).

The site holds, for every chapter that is a notebook (``_toc.yml``, minus
``lite_exclude`` in ``_config.yml``):

- ``CHAPTER.ipynb``: the chapter as a notebook
  (:func:`publish.notebook.chapter_notebook`), opened by the button.  Its
  first code cell installs fashionlib from the site and fetches the compact
  data; the claim cells, which assert the book's claims about the full data
  set, are left out (the browser has only the compact copy);
- ``data/mnist_fashion_{train,validation,test}.npz``: the compact data, uint8
  (the first ``TRAIN_ITEMS`` training images, the whole validation and test
  splits);
- ``pypi/``: the fashionlib wheel (built here unless ``--wheel`` names one,
  e.g. the student build), tqdm's and comm's, installed by the first cell
  (the kernel installs comm);
- ``models/``: the stored models, for the chapter that reads them.

Pyodide: JupyterLite's default (its CDN) unless ``PYODIDE_DIR`` names a
self-hosted runtime (``make lite-runtime``), which is then copied into the
site so that it works offline.
"""

import argparse
import functools
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import nbformat
import numpy as np

from publish.notebook import chapter_notebook
from publish.render import load_reader
from publish.sources import PublishError, notebook_docnames, read_config
from publish.stamp import stamp_markdown

#: Training images in the compact data set served with the site.
TRAIN_ITEMS = 10000

#: Where ``python -m fashionlib student`` writes the student build.
STUDENT_NOTEBOOKS = Path("_build") / "student" / "notebooks"
STUDENT_PACKAGE = STUDENT_NOTEBOOKS / "fashionlib"
#: The kernel JupyterLite starts for the notebooks.
KERNELSPEC = {
    "name": "python",
    "display_name": "Python (Pyodide)",
    "language": "python",
}
#: Pure Python wheels the site serves besides fashionlib: tqdm (fashionlib
#: needs it; the self-hosted Pyodide has no tqdm) and comm (the kernel
#: installs it and it is not in Pyodide's lock).
EXTRA_WHEELS = ("tqdm", "comm")
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
#: The browser storage's name, before the build's key.
STORAGE_PREFIX = "fashion-mnist-from-scratch"
KERNEL_EXTENSION = (
    Path(sys.prefix)
    / "share/jupyter/labextensions/@jupyterlite/pyodide-kernel-extension"
)

INTRO = """\
**Running in your browser.** This notebook runs in
[JupyterLite](https://jupyterlite.readthedocs.io): Python (Pyodide) inside
this page, nothing installed on your computer. Run the cells from the top
(Run > Run All Cells). The first cell installs `fashionlib` and loads a
compact copy of Fashion-MNIST served by this site: the first {train_items:,}
training images (instead of 50,000) and the whole validation and test
splits, so numbers can differ from the book's.

**Your copy.** Your changes stay in this browser until the site is rebuilt
(a new build opens fresh notebooks); download the notebook (File >
Download) to keep them. To get the book's version back, delete your copy
(right-click it in the file browser > Delete) and reload the page.

**This notebook is the book of this build:**

{stamp}"""

SETUP = '''\
# Set-up for the browser only (the book itself needs none of this).
import os
import sys
import types
import warnings

import IPython.display
import micropip
import piplite
from pyodide.http import pyfetch

SITE = next(
    url.rsplit("/pypi/all.json", 1)[0]
    for url in piplite.piplite._PIPLITE_URLS
    if "/extensions/" not in url
)
await micropip.install(SITE + "/pypi/{tqdm_wheel}")
await piplite.install("fashionlib")
import tqdm  # noqa: E402

tqdm.tqdm.monitor_interval = 0  # its monitor thread: no threads here

os.environ["FASHIONLIB_DATA"] = "/tmp/fashionlib-data"
os.makedirs(os.environ["FASHIONLIB_DATA"], exist_ok=True)
for split in ("train", "validation", "test"):
    name = f"mnist_fashion_{{split}}.npz"
    response = await pyfetch(f"{{SITE}}/files/data/{{name}}")
    with open(os.path.join(os.environ["FASHIONLIB_DATA"], name), "wb") as f:
        f.write(await response.bytes())


def glue(name, value, display=True):
    """The book pastes glued values into its text; here they are shown."""
    if display:
        IPython.display.display(value)


sys.modules["myst_nb"] = types.ModuleType("myst_nb")
sys.modules["myst_nb"].glue = glue
with warnings.catch_warnings():  # tqdm: no progress-bar widgets here
    warnings.simplefilter("ignore")
    import fashionlib
    import fashionlib.data
# load() checks each split's size and SHA-256: here, the compact copy's
fashionlib.data.SPLIT_SIZES["train"] = {train_items}
fashionlib.data.SPLIT_SHA256.update({digests!r})
print("fashionlib", fashionlib.__version__, "ready")'''


#: What a chapter does differently in the browser, said at its top.
BROWSER_NOTES = {
    "book/beyond": (
        "**This chapter asks more of a browser than the others.** Its "
        "training runs use the compact data (10,000 training images instead "
        "of 50,000), so they are smaller than the book's and their numbers "
        "differ; the stored 40-epoch model is fetched from this site rather "
        "than retrained, and the timings measure Pyodide's NumPy, which is "
        "much slower than a native one. Expect minutes, not seconds."
    ),
}
#: Chapters that read the stored models (``models/`` beside the package).
NEEDS_MODELS = ("book/beyond", "book/cnn")
MODELS_SETUP = """\
# The stored models, where the chapter looks for them (beside fashionlib).
from pathlib import Path

import fashionlib

models = Path(fashionlib.__file__).resolve().parent.parent / "models"
models.mkdir(exist_ok=True)
for name in {names!r}:
    response = await pyfetch(f"{{SITE}}/files/models/{{name}}")
    (models / name).write_bytes(await response.bytes())"""


class LiteBuildError(RuntimeError):
    """The lite site cannot be built; the message says why."""


def lite_chapters(root, edition="book", student_notebooks=None):
    """Docnames (``book/data``) of the chapters run in the browser: the
    notebooks of ``_toc.yml`` but those in ``lite_exclude``; for the
    student edition, only those the student build has a notebook of in
    ``student_notebooks`` (default: where ``python -m fashionlib student``
    writes them for the chapters it was given)."""
    config = read_config(root)
    excluded = config["sphinx"]["config"].get("lite_exclude", [])
    chapters = [d for d in notebook_docnames(root) if d not in excluded]
    if edition == "student":
        folder = student_notebooks or Path(root) / STUDENT_NOTEBOOKS
        made = {p.stem for p in Path(folder).glob("*.ipynb")}
        chapters = [d for d in chapters if Path(d).name in made]
    return chapters


def browser_notebook(root, docname, edition, tqdm_wheel, reader=None):
    """The chapter ``docname`` of the book in ``root`` as the browser's
    notebook: no claim cells, the browser's set-up cells first, the
    first saying which build of the book it is."""
    reader = reader or load_reader(root)
    notebook = chapter_notebook(
        Path(root) / f"{docname}.md", edition, claims=False, reader=reader
    )
    stamp = stamp_markdown(
        reader.data["stamp"], reader.data["seeds"].get(docname, [])
    )
    intro = nbformat.v4.new_markdown_cell(
        INTRO.format(train_items=TRAIN_ITEMS, stamp=stamp)
    )
    setup = nbformat.v4.new_code_cell(
        SETUP.format(
            tqdm_wheel=tqdm_wheel,
            train_items=TRAIN_ITEMS,
            digests=compact_digests(),
        )
    )
    setup.metadata["tags"] = ["browser-setup"]
    added = [intro, setup]
    if docname in BROWSER_NOTES:
        added.insert(1, nbformat.v4.new_markdown_cell(BROWSER_NOTES[docname]))
    if docname in NEEDS_MODELS:
        names = sorted(p.name for p in (Path(root) / "models").iterdir())
        models = nbformat.v4.new_code_cell(MODELS_SETUP.format(names=names))
        models.metadata["tags"] = ["browser-setup"]
        added.append(models)
    notebook.cells = [*added, *notebook.cells]
    for number, cell in enumerate(notebook.cells):
        cell["id"] = f"cell-{number}"
    notebook.metadata = {"kernelspec": KERNELSPEC}
    nbformat.validate(notebook)
    return notebook


@functools.lru_cache(maxsize=1)
def compact_splits():
    """The compact data set, ``{split: (images, labels)}``: the first
    ``TRAIN_ITEMS`` training images, the whole other splits (uint8)."""
    from fashionlib import data

    splits = {}
    for split in data.SPLITS:
        stored = data.load(split)
        items = TRAIN_ITEMS if split == "train" else len(stored["labels"])
        splits[split] = stored["images"][:items], stored["labels"][:items]
    return splits


def compact_digests():
    """``{split: SHA-256}`` of the compact splits, as ``data.load`` checks
    them (the browser's set-up cell gives them to fashionlib)."""
    from fashionlib import data

    return {
        split: data.split_digest({"images": images, "labels": labels})
        for split, (images, labels) in compact_splits().items()
    }


def write_compact_data(folder):
    """Write the compact uint8 npz files of the splits into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for split, (images, labels) in compact_splits().items():
        np.savez_compressed(
            folder / f"mnist_fashion_{split}.npz", images=images, labels=labels
        )


def run(command, what, cwd=None):
    """Run ``command``; LiteBuildError with ``what`` and output on failure."""
    result = subprocess.run(command, capture_output=True, text=True, cwd=cwd)
    if result.returncode != 0:
        raise LiteBuildError(
            f"could not {what}:\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result


def package_source(folder, root, package_dir=None):
    """A buildable copy of ``package_dir`` (a ``fashionlib`` folder, by
    default the one in ``root``, the book's folder) beside
    ``folder``: from a copy, since setuptools leaves a build/ folder where
    it builds.  The packages list names only the subfolders the copy has
    (the student build has no ``teaching``).  Returns the copy's root.
    """
    source = folder.parent / "source"
    shutil.copytree(
        package_dir or root / "fashionlib",
        source / "fashionlib",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    shutil.copy2(root / "README.md", source)
    packages = sorted(
        ".".join(init.parent.relative_to(source).parts)
        for init in (source / "fashionlib").rglob("__init__.py")
    )
    pyproject = re.sub(
        r"^packages = \[.*\]$",
        "packages = " + json.dumps(packages),
        (root / "pyproject.toml").read_text(),
        flags=re.M,
    )
    (source / "pyproject.toml").write_text(pyproject)
    return source


def wheels(folder, root, package_wheel, package_dir=None):
    """The wheels served in the site's ``pypi/``, written into ``folder``.

    fashionlib's (``package_wheel``, else built from ``package_dir``, by
    default the package in ``root``) and the pure Python ``EXTRA_WHEELS`` at
    the versions installed here.
    """
    folder.mkdir(parents=True, exist_ok=True)
    if package_wheel:
        shutil.copy2(package_wheel, folder)
    else:
        source = package_source(folder, root, package_dir)
        run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q"]
            + ["-w", str(folder), str(source)],
            "build the fashionlib wheel",
        )
    pins = [f"{name}=={version(name)}" for name in EXTRA_WHEELS]
    run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q"]
        + ["--only-binary", ":all:", "-d", str(folder), *pins],
        f"download the wheels of {', '.join(pins)}",
    )
    return sorted(folder.glob("*.whl"))


def build_key(folders):
    """A hash of every file under ``folders`` (names and bytes): what a
    reader's browser would get from this build."""
    digest = hashlib.sha256()
    for folder in folders:
        for path in sorted(p for p in Path(folder).rglob("*") if p.is_file()):
            digest.update(path.relative_to(folder).as_posix().encode())
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def lite_config(key):
    """jupyter-lite.json of the site: no PyPI fallback (works offline);
    the browser's storage named after the build's ``key``, so that a new
    build opens fresh notebooks while a reader's edits stay until then."""
    settings = {KERNEL_PLUGIN: {"disablePyPIFallback": True}}
    return {
        "jupyter-lite-schema-version": 0,
        "jupyter-config-data": {
            "appName": "Fashion-MNIST from scratch",
            "contentsStorageName": f"{STORAGE_PREFIX} contents {key}",
            "settingsStorageName": f"{STORAGE_PREFIX} settings {key}",
            "exposeAppInBrowser": True,  # window.jupyterapp, for the test
            "litePluginSettings": settings,
        },
    }


def build(
    root,
    out,
    edition="book",
    package_wheel=None,
    pyodide_dir=None,
    package_dir=None,
    build_dir=None,
):
    """Build the lite site of the book in ``root`` into ``out``; return the
    notebooks' names.

    The student edition serves the student build of the package
    (``STUDENT_PACKAGE``, made by ``python -m fashionlib student``) unless
    ``package_wheel`` or ``package_dir`` names another.
    """
    root = Path(root).resolve()
    if edition == "student" and not (package_wheel or package_dir):
        package_dir = root / STUDENT_PACKAGE
        if not (package_dir / "__init__.py").is_file():
            raise LiteBuildError(
                f"no student build in {package_dir}: run "
                "`python -m fashionlib student` first"
            )
    out = Path(out).resolve()
    work = Path(tempfile.mkdtemp(prefix="lite-"))
    try:
        contents = work / "contents"
        contents.mkdir()
        all_wheels = wheels(work / "wheels", root, package_wheel, package_dir)
        tqdm_wheel = next(
            w.name for w in all_wheels if w.name.startswith("tqdm")
        )
        names, reader = [], load_reader(root, build_dir)
        for docname in lite_chapters(root, edition):
            notebook = browser_notebook(
                root, docname, edition, tqdm_wheel, reader
            )
            name = Path(docname).name + ".ipynb"
            nbformat.write(notebook, contents / name)
            names.append(name)
        write_compact_data(contents / "data")
        shutil.copytree(root / "models", contents / "models")
        if pyodide_dir:
            pyodide_dir = Path(pyodide_dir).resolve()
            if not (pyodide_dir / "pyodide-lock.json").is_file():
                raise LiteBuildError(
                    f"PYODIDE_DIR={pyodide_dir} holds no pyodide-lock.json: "
                    "assemble it with `make lite-runtime`"
                )
            shutil.copytree(pyodide_dir, work / "static" / "pyodide")
        key = build_key([contents, work / "wheels"])
        (work / "jupyter-lite.json").write_text(
            json.dumps(lite_config(key), indent=1)
        )
        (work / "jupyter_lite_config.json").write_text(
            json.dumps(
                {
                    "LiteBuildConfig": {
                        "contents": [str(contents)],
                        # only the kernel's extension, not every JupyterLab
                        # extension of this environment (jupytext's breaks)
                        "ignore_sys_prefix": ["federated_extensions"],
                        "federated_extensions": [str(KERNEL_EXTENSION)],
                        "no_sourcemaps": True,
                        "no_unused_shared_packages": True,
                        "output_dir": str(out),
                    },
                    "PipliteAddon": {
                        "piplite_urls": [str(w) for w in all_wheels]
                    },
                }
            )
        )
        shutil.rmtree(out, ignore_errors=True)
        jupyter = Path(sys.executable).with_name("jupyter")
        run([str(jupyter), "lite", "build"], "build the lite site", cwd=work)
        return names
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv=None):
    """Command line: build the site, print where and with which Pyodide."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="output folder (replaced)")
    parser.add_argument(
        "--edition",
        choices=("book", "student"),
        default="book",
        help="student: the student notebooks (stubs in place of solutions)",
    )
    parser.add_argument(
        "--wheel",
        type=Path,
        help="the fashionlib wheel to serve (default: built from this "
        "tree's package; for the student edition, from its student build)",
    )
    parser.add_argument(
        "--build", type=Path, help="the book's build folder (default _build)"
    )
    args = parser.parse_args(argv)
    pyodide_dir = os.environ.get("PYODIDE_DIR") or None
    try:
        names = build(
            Path.cwd(),
            args.out,
            args.edition,
            args.wheel,
            pyodide_dir,
            build_dir=args.build,
        )
    except (LiteBuildError, PublishError) as error:
        sys.exit(f"lite build failed: {error}")
    source = f"self-hosted in {pyodide_dir}" if pyodide_dir else "its CDN"
    print(
        f"JupyterLite site with {len(names)} chapters in {args.out}"
        f" (Pyodide: {source})"
    )


if __name__ == "__main__":
    main()
