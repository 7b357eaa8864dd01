"""Command line: ``python -m fashionlib data`` fetches, verifies and caches Fashion-MNIST;
``student`` makes the student edition; ``grade`` grades student notebooks;
``train`` trains a multilayer perceptron with mini-batches."""

import argparse
import sys
from pathlib import Path

from fashionlib import data
from fashionlib.cli_train import add_train_command


def run_data(args):
    """Prepare the npz cache and report what was used; exit status 1 with the fix on failure."""
    folder = Path(args.data_dir) if args.data_dir else data.default_data_dir()
    print(f"preparing Fashion-MNIST in {folder}")
    try:
        data.prepare(folder, download_allowed=not args.no_download)
    except data.DataError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print("data ready")
    return 0


def run_student(args):
    """Write the student notebooks and build the student site; exit status 1 with the reason on failure."""
    from fashionlib import edition

    try:
        made = edition.make_student_edition(
            args.chapter or (), args.out, site=not args.no_site
        )
    except edition.EditionError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    for path in made["notebooks"]:
        print(f"wrote {path}")
    for warning in made["warnings"]:
        print(warning, file=sys.stderr)
    if made["site"]:
        print(f"the student site is at {made['site'] / 'index.html'}")
    return 0


def run_grade(args):
    """Grade the submissions, print the table and write the CSV."""
    from fashionlib import grading

    rows = grading.grade(
        args.submissions,
        args.chapter,
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
    )
    print(grading.format_table(rows))
    csv_path = Path(args.csv or f"grades-{args.chapter}.csv")
    grading.write_csv(rows, csv_path)
    print(f"wrote {csv_path}")
    return 0


def positive_seconds(text):
    """argparse type: a number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a positive number of seconds"
        )
    return value


def add_edition_commands(commands):
    """The ``student`` and ``grade`` sub-commands (chapter names are checked against _toc.yml and the rubric)."""
    from fashionlib import edition, grading

    try:
        chapters = list(edition.chapter_files())
    except (
        edition.EditionError
    ):  # no book tools installed: the command itself will say so
        chapters = []
    student = commands.add_parser(
        "student",
        help="make the student edition: notebooks with stubs, site without solutions",
    )
    student.add_argument(
        "--chapter",
        action="append",
        choices=chapters or None,
        metavar="NAME",
        help=f"a chapter to include (repeatable; default: all): {', '.join(chapters)}",
    )
    student.add_argument(
        "--out",
        default=str(edition.STUDENT_DIR),
        help="output folder (default: _build/student)",
    )
    student.add_argument(
        "--no-site",
        action="store_true",
        help="write the notebooks only, skip the site",
    )
    student.set_defaults(run=run_student)
    grade = commands.add_parser(
        "grade", help="grade student notebooks with the chapter's checks"
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        metavar="SUBMISSION.ipynb",
        help="the notebooks to grade",
    )
    grade.add_argument(
        "--chapter",
        required=True,
        choices=list(grading.RUBRIC),
        metavar="NAME",
        help=f"the chapter the submissions answer: {', '.join(grading.RUBRIC)}",
    )
    grade.add_argument(
        "--csv",
        help="where to write the results (default: grades-CHAPTER.csv)",
    )
    grade.add_argument(
        "--cell-timeout",
        type=positive_seconds,
        default=grading.CELL_TIMEOUT,
        help=f"seconds per cell (default {grading.CELL_TIMEOUT})",
    )
    grade.add_argument(
        "--notebook-timeout",
        type=positive_seconds,
        default=grading.NOTEBOOK_TIMEOUT,
        help=f"seconds per notebook (default {grading.NOTEBOOK_TIMEOUT})",
    )
    grade.set_defaults(run=run_grade)


def build_parser():
    """The argument parser with one sub-command per task."""
    parser = argparse.ArgumentParser(
        prog="python -m fashionlib", description=__doc__
    )
    commands = parser.add_subparsers(dest="command", required=True)
    data_command = commands.add_parser(
        "data", help="fetch, verify and cache Fashion-MNIST"
    )
    data_command.add_argument(
        "--data-dir",
        help="cache folder (default: data/ of the checkout, or $FASHIONLIB_DATA)",
    )
    data_command.add_argument(
        "--no-download", action="store_true", help="never try the network"
    )
    data_command.set_defaults(run=run_data)
    add_edition_commands(commands)
    add_train_command(commands)
    return parser


def main(argv=None):
    """Parse ``argv`` and run the chosen command; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "grade":
        missing = [
            path for path in args.submissions if not Path(path).is_file()
        ]
        if missing:
            parser.error(f"no such submission file: {', '.join(missing)}")
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
