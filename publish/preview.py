"""``make preview``: a fast rebuild of the book for authors (CONTRIBUTING).

``python -m publish.preview``, in the book's folder, builds into
_build/preview/_build/html with ``execute_notebooks: cache`` (a copy of
_config.yml with that one value changed, given to ``jupyter-book build
--config``) and without ``--all``: Sphinx reads again only the chapters
whose source changed, and jupyter-cache executes a chapter again only when its
code changed.  Neither notices a change in fashionlib, so the cache is keyed on
a hash of the package's files: when the hash differs from the one stored in
_build/preview/fashionlib.sha256, the preview folder is wiped first and every
chapter executes afresh.  ``make book``, ``make test`` and CI never use it:
they execute every chapter (``force``).
"""

import hashlib
import shutil
import sys
from pathlib import Path

from publish.book import config_with, sphinx

#: Where the preview is built, in the book's folder.
PREVIEW = Path("_build") / "preview"
STAMP = "fashionlib.sha256"


def package_hash(package):
    """SHA-256 over the names and contents of every file under ``package``."""
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(path.relative_to(package).as_posix().encode())
            digest.update(b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def prepare(preview, package):
    """Wipe ``preview`` if the package changed since the stamp; True if so.

    The new hash is stored at once: a build stopped half-way leaves Sphinx's
    environment unsaved, so the next preview still reads every chapter.
    """
    current = package_hash(package)
    stamp = preview / STAMP
    if stamp.is_file() and stamp.read_text().strip() == current:
        return False
    shutil.rmtree(preview, ignore_errors=True)
    preview.mkdir(parents=True)
    stamp.write_text(current + "\n")
    return True


def preview_config(root, preview):
    """Write the preview's config: _config.yml with the cache; its path."""
    return config_with(
        root, preview / "_config.yml", execute_notebooks="cache"
    )


def main():
    """Rebuild the preview; return jupyter-book's exit status."""
    root = Path.cwd()
    preview = root / PREVIEW
    fresh = prepare(preview, root / "fashionlib")
    if fresh:
        print("fashionlib changed (or first preview): every chapter executes")
    status = sphinx(root, preview, preview_config(root, preview), fresh)
    if status == 0:
        print(f"The preview is at {preview / '_build/html/index.html'}")
    return status


if __name__ == "__main__":
    sys.exit(main())
