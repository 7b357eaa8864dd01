"""Split a submissions folder into shards; merge the shards' gradebooks.

For a course too large for one machine: each job of an existing scheduler
(a GitHub Actions matrix, a Slurm array) takes one shard, grades it with
``python -m fashionlib grade SHARD --chapter all``, and a last step merges
the gradebooks::

    python -m fashionlib.teaching.shards split submissions 4 2 shard/
    python -m fashionlib.teaching.shards merge gradebook.csv out-*/*.csv

A shard holds every ``k``-th student (folder or notebook) in name order,
so shards differ in size by one student at most.
"""

import argparse
import csv
import io
import shutil
import sys
from pathlib import Path

from fashionlib.data import atomic_file


class ShardError(ValueError):
    """Splitting or merging cannot proceed; the message says why."""


def students(folder):
    """The entries of a submissions folder: student folders and notebooks."""
    folder = Path(folder)
    if not folder.is_dir():
        raise ShardError(f"no such submissions folder: {folder}")
    return sorted(
        p for p in folder.iterdir() if p.is_dir() or p.suffix == ".ipynb"
    )


def split(folder, count, index, out):
    """Copy shard ``index`` (0-based) of ``count`` of ``folder`` to ``out``.

    Returns the entries copied.
    """
    if not 0 <= index < count:
        raise ShardError(f"shard index {index} is not in 0..{count - 1}")
    chosen = students(folder)[index::count]
    Path(out).mkdir(parents=True, exist_ok=True)
    for entry in chosen:
        target = Path(out) / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, target)
    return chosen


def read_gradebook(path):
    """The rows of one gradebook CSV (dicts) and its columns."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return list(reader), list(reader.fieldnames or [])


def merge(paths, out):
    """Merge gradebook CSVs into ``out``: every student once, all chapters.

    A chapter a shard did not grade is left empty for its students.
    Raises ShardError when one student appears in two shards.
    """
    rows, chapters, seen = [], [], {}
    for path in paths:
        shard_rows, columns = read_gradebook(path)
        chapters += [
            c
            for c in columns
            if c not in ("student", "total", "max_total") and c not in chapters
        ]
        for row in shard_rows:
            if row["student"] in seen:
                raise ShardError(
                    f"student {row['student']} is in {seen[row['student']]} "
                    f"and in {path}: shards must not overlap"
                )
            seen[row["student"]] = path
            rows.append(row)
    columns = ["student", *chapters, "total", "max_total"]
    text = io.StringIO()
    writer = csv.DictWriter(text, fieldnames=columns, restval="")
    writer.writeheader()
    writer.writerows(sorted(rows, key=lambda row: row["student"]))
    with atomic_file(out) as f:
        f.write(text.getvalue().encode())
    return len(rows)


def main(argv=None):
    """``split FOLDER COUNT INDEX OUT`` or ``merge OUT GRADEBOOK...``."""
    parser = argparse.ArgumentParser(
        prog="python -m fashionlib.teaching.shards", description=__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    split_command = commands.add_parser("split", help="copy one shard")
    split_command.add_argument("folder")
    split_command.add_argument("count", type=int)
    split_command.add_argument("index", type=int)
    split_command.add_argument("out")
    merge_command = commands.add_parser("merge", help="merge gradebooks")
    merge_command.add_argument("out")
    merge_command.add_argument("gradebooks", nargs="+")
    args = parser.parse_args(argv)
    try:
        if args.command == "split":
            chosen = split(args.folder, args.count, args.index, args.out)
            print(f"shard {args.index}: {len(chosen)} students in {args.out}")
        else:
            count = merge(args.gradebooks, args.out)
            print(f"{count} students in {args.out}")
    except (ShardError, OSError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
