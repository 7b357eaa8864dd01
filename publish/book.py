"""``make book``: every chapter executed afresh, in parallel, then the site.

``python -m publish.book [--out FOLDER]``, in the book's folder, builds
``FOLDER/_build/html`` (default: the book's folder):

1. every notebook page of ``_toc.yml`` is read as myst-nb reads it and
   executed in a fresh kernel of its own, by a pool of one worker per core,
   longest chapter first (by the seconds of the previous build, if any;
   else the last chapter first);
   each kernel gets one BLAS thread, so that the kernels do not fight over
   the cores and a sum is always added up in the same order;
2. the executed notebooks go into a fresh jupyter-cache
   (``_build/.execution``), which jupyter-book reads with
   ``execute_notebooks: cache`` (a copy of ``_config.yml`` with that
   changed, ``_build/book-config.yml``): Sphinx executes nothing itself;
   a chapter Sphinx had to execute (its notebook read differently) fails
   the build;
3. the execution seconds of each chapter are printed as a table, and kept in
   ``_build/execution-seconds.json`` for the next build's order.

A failing cell fails the build: every chapter still runs, then the failures
are printed (cell, error), written to ``_build/reports/DOCNAME.err.log``,
and Sphinx is not started.

Why not Sphinx's parallel read (``-j``, which myst-nb and the extensions
allow): jupyter-book's command has no such option, and Sphinx hands each
process a fixed share of the pages in alphabetical order (two halves on two
cores), so the long chapters could not be spread over the cores.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

import yaml

from publish.sources import notebook_docnames, read_config

FLAGS = ["-W", "-n", "--keep-going"]
#: In the output folder's _build: the cache, the config, the seconds.
CACHE, CONFIG = ".execution", "book-config.yml"
SECONDS, REPORTS = "execution-seconds.json", "reports"
#: One thread per kernel for the BLAS libraries NumPy may use.
ONE_THREAD = {
    name: "1"
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
}


def config_with(root, path, **execute):
    """Write ``root/_config.yml`` with ``execute`` values changed to ``path``.

    The paths of ``local_extensions`` (which jupyter-book resolves from the
    config file's folder) are made absolute.  Returns ``path``.
    """
    config = read_config(root)
    config["execute"].update(execute)
    extensions = config.get("sphinx", {}).get("local_extensions") or {}
    for name, folder in extensions.items():
        extensions[name] = str((Path(root) / folder).resolve())
    partial = Path(path).with_suffix(".partial")
    partial.write_text(yaml.safe_dump(config, sort_keys=False))
    partial.replace(path)
    return Path(path)


def read_chapter(root, docname):
    """The notebook of page ``docname`` as myst-nb reads it (same cells,
    same metadata, so the same jupyter-cache key)."""
    from myst_nb.core.read import read_myst_markdown_notebook
    from myst_parser.config.main import MdParserConfig

    extensions = read_config(root)["parse"]["myst_enable_extensions"]
    path = Path(root) / f"{docname}.md"
    return read_myst_markdown_notebook(
        path.read_text(),
        config=MdParserConfig(enable_extensions=set(extensions)),
        add_source_map=True,
        path=str(path),
    )


def execute(docname, notebook, folder, timeout):
    """Execute ``notebook`` in ``folder`` as myst-nb would (a pool task).

    Returns ``(docname, executed notebook, seconds, traceback or None)``.
    """
    from jupyter_cache.executors.utils import single_nb_execution

    os.environ.update(ONE_THREAD)  # inherited by the kernel
    result = single_nb_execution(
        notebook,
        cwd=str(folder),
        timeout=timeout,
        allow_errors=False,
        shutdown_kernel="immediate",  # its outputs are in; nothing to save
    )
    return docname, result.nb, result.time, result.exc_string


def longest_first(docnames, seconds):
    """``docnames`` ordered by ``seconds`` (the previous build's), longest
    first.  Chapters without a time go first, last chapter first: later
    chapters train larger networks (a fresh clone has no times at all)."""
    unknown = [d for d in reversed(docnames) if d not in seconds]
    known = sorted(set(docnames) - set(unknown), key=lambda d: -seconds[d])
    return unknown + known


def execute_all(root, docnames, seconds, workers, timeout):
    """Execute every chapter in a pool of ``workers`` processes.

    Returns ``({docname: notebook}, {docname: seconds}, {docname:
    traceback})`` of the chapters that ran, and of those that failed.
    """
    done, times, failures = {}, {}, {}
    with ProcessPoolExecutor(max_workers=workers) as pool:
        futures = [
            pool.submit(
                execute,
                docname,
                read_chapter(root, docname),
                (Path(root) / docname).parent,
                timeout,
            )
            for docname in longest_first(docnames, seconds)
        ]
        for future in as_completed(futures):
            docname, notebook, time_taken, error = future.result()
            times[docname] = time_taken
            print(f"executed {docname} in {time_taken:.1f} s", flush=True)
            if error is None:
                done[docname] = notebook
            else:
                failures[docname] = error
    return done, times, failures


def fill_cache(cache_dir, root, executed, times):
    """A fresh jupyter-cache in ``cache_dir`` holding the ``executed``
    notebooks; returns it."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    shutil.rmtree(cache_dir, ignore_errors=True)
    cache = get_cache(str(cache_dir))
    for docname, notebook in executed.items():
        cache.cache_notebook_bundle(
            CacheBundleIn(
                notebook,
                str(Path(root) / f"{docname}.md"),
                data={"execution_seconds": times[docname]},
            ),
            check_validity=False,
            overwrite=True,
        )
    return cache


def seconds_table(times, wall, workers):
    """The table of execution seconds per chapter, slowest first."""
    width = max(len(name) for name in times)
    rows = [f"{'chapter':<{width}}  seconds"]
    rows += [
        f"{name:<{width}}  {value:7.1f}"
        for name, value in sorted(times.items(), key=lambda item: -item[1])
    ]
    rows.append(
        f"{'sum':<{width}}  {sum(times.values()):7.1f}   (executed in "
        f"{wall:.1f} s by {workers} kernels at a time)"
    )
    return "\n".join(rows)


def write_json(path, value):
    """Write ``value`` as JSON to ``path`` atomically."""
    partial = Path(path).with_suffix(".partial")
    partial.write_text(json.dumps(value, indent=1) + "\n")
    partial.replace(path)


def build(root, out, workers=None):
    """Execute the chapters, then build ``out/_build/html``; exit status."""
    root, build_dir = Path(root).resolve(), Path(out).resolve() / "_build"
    for folder in (build_dir / "html", build_dir / REPORTS):
        shutil.rmtree(folder, ignore_errors=True)  # no page of an old build
    build_dir.mkdir(parents=True, exist_ok=True)
    workers = workers or len(os.sched_getaffinity(0))
    seconds_file = build_dir / SECONDS
    previous = (
        json.loads(seconds_file.read_text()) if seconds_file.is_file() else {}
    )
    start = time.perf_counter()
    executed, times, failures = execute_all(
        root,
        notebook_docnames(root),
        previous,
        workers,
        read_config(root)["execute"]["timeout"],
    )
    table = seconds_table(times, time.perf_counter() - start, workers)
    write_json(seconds_file, times)
    if failures:
        report_failures(build_dir / REPORTS, failures)
        print(table + f"\nFAILED: {', '.join(failures)}", file=sys.stderr)
        return 1
    cache = fill_cache(build_dir / CACHE, root, executed, times)
    config = config_with(
        root,
        build_dir / CONFIG,
        execute_notebooks="cache",
        cache=str(build_dir / CACHE),
    )
    status = sphinx(root, out, config)
    again = [
        Path(record.uri).relative_to(root).with_suffix("").as_posix()
        for record in cache.list_project_records()
    ]
    if again:
        print(
            f"Sphinx executed {', '.join(again)} itself: publish.book read "
            "it differently from myst-nb (see read_chapter)",
            file=sys.stderr,
        )
    print(table)
    return status or int(bool(again))


def report_failures(folder, failures):
    """Print each failed chapter's traceback, and write it to
    ``folder/DOCNAME.err.log``."""
    for docname, error in failures.items():
        print(f"\n{docname} failed:\n{error}", file=sys.stderr)
        report = Path(folder) / f"{docname}.err.log"
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(error)


def sphinx(root, out, config, every_page=True):
    """``jupyter-book build`` with ``config`` (``-W -n``; every page, or
    only the changed ones); its exit status."""
    command = [
        str(Path(sys.executable).parent / "jupyter-book"),
        "build",
        str(root),
        "--path-output",
        str(out),
        "--config",
        str(config),
        *FLAGS,
    ] + (["--all"] if every_page else [])
    return subprocess.run(command).returncode


def main(argv=None):
    """The command line; returns the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--out", default=".", help="folder of _build (default: here)"
    )
    parser.add_argument(
        "--workers", type=int, help="kernels at a time (default: cores)"
    )
    args = parser.parse_args(argv)
    return build(Path.cwd(), args.out, args.workers)


if __name__ == "__main__":
    sys.exit(main())
