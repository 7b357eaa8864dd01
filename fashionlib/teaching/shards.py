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
import os
import shutil
import sys
from pathlib import Path

from fashionlib.data import atomic_file
from fashionlib.teaching.grading import csv_text, name_problem
from fashionlib.teaching.rubric import RUBRIC


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


def refuse_links(entry):
    """ShardError naming the first link (or other non-regular file) at or
    under ``entry``: a shard copies files, never what a link points at."""
    paths = [Path(entry)]
    if Path(entry).is_dir() and not Path(entry).is_symlink():
        for top, folders, files in os.walk(entry):
            paths += [Path(top) / name for name in folders + files]
    for path in paths:
        if path.is_symlink():
            raise ShardError(f"{path} is a link: replace it by the file")
        if not (path.is_dir() or path.is_file()):
            raise ShardError(f"{path} is not a regular file or folder")


def split(folder, count, index, out):
    """Copy shard ``index`` (0-based) of ``count`` of ``folder`` to ``out``.

    Returns the entries copied. ShardError when an entry is or holds a
    link.
    """
    if not 0 <= index < count:
        raise ShardError(f"shard index {index} is not in 0..{count - 1}")
    chosen = students(folder)[index::count]
    for entry in chosen:
        refuse_links(entry)
    Path(out).mkdir(parents=True, exist_ok=True)
    for entry in chosen:
        target = Path(out) / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, dirs_exist_ok=True)
        else:
            shutil.copy2(entry, target)
    return chosen


def points(value, where, most):
    """The points in cell ``value`` (an int in 0..``most``; '' is None)."""
    if value == "":
        return None
    if not value.isdigit() or int(value) > most:
        raise ShardError(f"{where}: {value!r} is not a number in 0..{most}")
    return int(value)


def check_row(row, where, chapters):
    """ShardError naming ``where`` unless ``row`` is a gradebook row whose
    points are within the rubric's maxima and add up to its total."""
    if None in row or None in row.values():
        raise ShardError(f"{where}: the row has more or fewer fields")
    problem = name_problem(row["student"])
    if problem:
        raise ShardError(f"{where}: {problem}")
    most = sum(p.points for c in RUBRIC.values() for p in c.parts)
    got = [
        points(row[c], f"{where}, {c}", sum(p.points for p in RUBRIC[c].parts))
        for c in chapters
    ]
    top = points(row["max_total"], f"{where}, max_total", most)
    total = points(row["total"], f"{where}, total", top or 0)
    if total != sum(p or 0 for p in got):
        raise ShardError(f"{where}: the total is not the chapters' sum")


def read_gradebook(path):
    """The rows of one gradebook CSV (dicts) and its chapters; ShardError
    naming the file and row when one is malformed."""
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        rows, columns = list(reader), list(reader.fieldnames or [])
    missing = {"student", "total", "max_total"} - set(columns)
    unknown = set(columns) - set(RUBRIC) - {"student", "total", "max_total"}
    if missing or unknown:
        raise ShardError(
            f"{path} is not a gradebook: columns {sorted(missing)} missing, "
            f"{sorted(unknown)} unknown"
        )
    chapters = [c for c in columns if c in RUBRIC]
    for number, row in enumerate(rows, start=2):
        check_row(row, f"{path}, row {number}", chapters)
    return rows, chapters


def merge(paths, out):
    """Merge gradebook CSVs into ``out``: every student once, all chapters.

    A chapter a shard did not grade is left empty for its students.
    Raises ShardError when one student appears in two shards, or a row is
    malformed (its file and row named).
    """
    rows, chapters, seen = [], [], {}
    for path in paths:
        shard_rows, columns = read_gradebook(path)
        chapters += [c for c in columns if c not in chapters]
        for row in shard_rows:
            if row["student"] in seen:
                raise ShardError(
                    f"student {row['student']} is in {seen[row['student']]} "
                    f"and in {path}: shards must not overlap"
                )
            seen[row["student"]] = path
            rows.append(row)
    columns = ["student", *chapters, "total", "max_total"]
    rows = [
        {column: row.get(column, "") for column in columns}
        for row in sorted(rows, key=lambda row: row["student"])
    ]
    with atomic_file(out) as f:
        f.write(csv_text(rows, columns).encode())
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
