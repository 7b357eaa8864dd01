"""What a page ran with: the stamp in each page's footer and in the first
cell of each browser notebook.

:func:`build_stamp` is computed once per build (commit of the book and
package, the data files' SHA-256, the BLAS library and its thread count,
the date); :func:`page_seeds` reads the seeds a chapter's code sets.
"""

import ast
import datetime
import html
import subprocess
from pathlib import Path

import jupytext

from publish.lite_runtime import sha256


def commit(root):
    """The commit of the book and package in ``root``, with
    "+ uncommitted changes" when tracked files differ from it."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=root,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "diff", "--quiet", "HEAD", "--"], cwd=root
        ).returncode
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return head + (" + uncommitted changes" if dirty else "")


def data_digests():
    """{file name: SHA-256} of the Fashion-MNIST cache the build read."""
    from fashionlib import data

    paths = [data.npz_path(split) for split in data.SPLITS]
    return {p.name: sha256(p) if p.is_file() else "missing" for p in paths}


def blas():
    """The BLAS library NumPy uses here and its thread count, as text."""
    import numpy  # noqa: F401  (threadpoolctl sees loaded libraries only)
    from threadpoolctl import threadpool_info

    found = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if not found:
        return "none found"
    return "; ".join(
        f"{Path(i['filepath']).parent.name.split('.')[0]}: "
        f"{i['internal_api']} {i.get('version') or ''}".rstrip()
        + f", {i['num_threads']} thread{'s' * (i['num_threads'] != 1)}"
        for i in found
    )


def build_stamp(root):
    """The build's stamp: {commit, data, blas, date} (date in UTC)."""
    now = datetime.datetime.now(datetime.UTC)
    return {
        "commit": commit(root),
        "data": data_digests(),
        "blas": blas(),
        "date": now.strftime("%Y-%m-%d %H:%M UTC"),
    }


def literal_ints(node):
    """The integers a literal, list, tuple or ``range(...)`` of literals
    holds (none for anything else)."""
    if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "range":
        try:
            return list(range(*(ast.literal_eval(a) for a in node.args)))
        except (ValueError, TypeError):
            return []
    try:
        value = ast.literal_eval(node)
    except ValueError:
        return []
    values = value if isinstance(value, (list, tuple)) else [value]
    return [
        v for v in values if isinstance(v, int) and not isinstance(v, bool)
    ]


def seed_name(node):
    """Whether ``node`` is a name (or parameter) with "seed" in it."""
    name = getattr(node, "id", None) or getattr(node, "arg", None) or ""
    return "seed" in name.lower()


def code_seeds(source):
    """Integer seeds that Python ``source`` sets: ``seed=N`` arguments and
    parameter defaults, ``default_rng(N)``, and names with "seed" bound
    to literals (also as loop variables)."""
    seeds = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.arguments):
            positional = node.posonlyargs + node.args
            defaulted = positional[len(positional) - len(node.defaults) :]
            pairs = list(zip(defaulted, node.defaults, strict=True))
            pairs += [
                (a, d)
                for a, d in zip(node.kwonlyargs, node.kw_defaults, strict=True)
                if d
            ]
            seeds.update(
                n for a, d in pairs if seed_name(a) for n in literal_ints(d)
            )
        elif isinstance(node, (ast.For, ast.comprehension)):
            if seed_name(node.target):
                seeds.update(literal_ints(node.iter))
        elif isinstance(node, ast.Call):
            seeds.update(
                n
                for k in node.keywords
                if k.arg in ("seed", "seeds")
                for n in literal_ints(k.value)
            )
            if getattr(node.func, "attr", "") == "default_rng":
                seeds.update(n for a in node.args for n in literal_ints(a))
        elif isinstance(node, ast.Assign) and any(
            seed_name(t) for t in node.targets
        ):
            seeds.update(literal_ints(node.value))
    return seeds


def page_seeds(path):
    """Sorted seeds the code cells of the MyST notebook ``path`` set."""
    seeds = set()
    for cell in jupytext.read(Path(path)).cells:
        if cell.cell_type == "code":
            try:
                seeds |= code_seeds(cell.source)
            except SyntaxError:  # IPython magics: no seeds of ours there
                continue
    return sorted(seeds)


def stamp_lines(stamp, seeds):
    """The stamp as short Markdown-safe lines (plain text)."""
    data = "; ".join(f"{name} {sha}" for name, sha in stamp["data"].items())
    return [
        f"Book and fashionlib: commit {stamp['commit']}",
        f"Data (SHA-256): {data}",
        f"BLAS: {stamp['blas']}",
        "Seeds this page sets: "
        + (", ".join(map(str, seeds)) if seeds else "none (defaults: 0)"),
        f"Built: {stamp['date']}",
    ]


def stamp_html(stamp, seeds):
    """The stamp as the HTML of a page's footer."""
    items = "".join(
        f"<li>{html.escape(line)}</li>" for line in stamp_lines(stamp, seeds)
    )
    return (
        '<footer class="page-stamp" aria-label="What this page ran with">'
        f"<p>What this page ran with:</p><ul>{items}</ul></footer>"
    )


def stamp_markdown(stamp, seeds):
    """The stamp as Markdown (the first cell of a browser notebook)."""
    return "\n".join(f"- {line}" for line in stamp_lines(stamp, seeds))
