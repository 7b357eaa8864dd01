"""The ``student`` and ``grade`` commands of ``python -m fashionlib``."""

import os
import sys
from pathlib import Path

from fashionlib.__main__ import describe
from fashionlib._files import check_writable
from fashionlib.cli_train import POSITIVE, POSITIVE_INT
from fashionlib.teaching import grading, lms, sandbox
from fashionlib.teaching.rubric import RUBRIC, GradingError


def run_student(args):
    """Write the student edition of the book in ``--book`` (``publish``,
    beside the chapters in a checkout); exit status 1 with the reason on
    failure."""
    try:
        from publish import edition
    except ImportError:
        print(
            "error: the student edition is made from a checkout of the "
            "book: run `make venv` there, then this command in it",
            file=sys.stderr,
        )
        return 1
    try:
        made = edition.make_student_edition(
            Path(args.book).resolve(),
            args.chapter or (),
            args.out,
            not args.no_site,
        )
    except edition.PublishError as error:
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
    """Grade, print the table, write the CSVs and the feedback files.

    Every output and input of the grader's own (``--out``, ``--csv``, the
    gradebook already there, ``--roster``) is checked before grading.
    """
    out = Path(args.out)
    check_limits(args)
    csv_path = Path(args.csv or out / f"grades-{args.chapter}.csv")
    book_path = out / "gradebook.csv"
    settings = grading.Settings(
        cell_timeout=args.cell_timeout,
        notebook_timeout=args.notebook_timeout,
        sandboxed=not args.no_sandbox,
        memory=int(args.memory * 1024**3),
        feedback_dir=str(out / "feedback"),
    )
    refused = []
    try:
        old = grading.read_gradebook(book_path)
        roster = lms.read_roster(args.roster) if args.roster else None
        submissions = grading.find_submissions(
            args.submissions, args.chapter, refused
        )
        for message in refused:
            print(grading.shorten(message, 300), file=sys.stderr)
        outputs = [csv_path, book_path, out / "feedback" / "x.md"]
        check_writable(*outputs, *([out / "canvas.csv"] if roster else []))
        rows = grading.grade(submissions, settings, jobs=args.jobs)
    except (GradingError, sandbox.SandboxError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"error: {describe(error)}", file=sys.stderr)
        return 1
    print(grading.format_table(rows))
    grading.write_csv(rows, csv_path)
    book = grading.accumulated(old, rows)
    grading.write_lines(grading.gradebook_lines(book), book_path)
    written = [str(csv_path), str(book_path)]
    if roster is not None:
        grading.write_lines(
            lms.canvas_gradebook(book, roster), out / "canvas.csv"
        )
        written.append(str(out / "canvas.csv"))
        graded = dict.fromkeys(r["student"] for r in rows)
        for line in lms.roster_gaps(graded, roster):
            print(line)
    print(
        f"wrote {', '.join(written)} and the feedback files in "
        f"{out / 'feedback'}"
    )
    return 0


#: Longest --notebook-timeout accepted, in seconds (one day).
LONGEST = 24 * 3600


def check_limits(args):
    """End in ``parser.error`` (exit 2) unless the limits are sane:
    ``--cell-timeout`` <= ``--notebook-timeout`` <= one day, and
    ``--memory`` between 0.25 GiB and this machine's memory."""
    if not args.cell_timeout <= args.notebook_timeout <= LONGEST:
        args.parser.error(
            f"--cell-timeout {args.cell_timeout:g} and --notebook-timeout "
            f"{args.notebook_timeout:g}: a cell's limit must not exceed the "
            f"notebook's, nor the notebook's one day ({LONGEST} s)"
        )
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    if not 0.25 <= args.memory <= total:
        args.parser.error(
            f"--memory {args.memory:g}: give the GiB per submission between "
            f"0.25 and this machine's {total:.1f} (default 2)"
        )


def add_student_command(commands):
    """The ``student`` sub-command."""
    student = commands.add_parser(
        "student",
        help="make the student edition: build, notebooks, site",
    )
    student.add_argument(
        "--book",
        default=".",
        help="the book's folder, with _toc.yml (default: this folder)",
    )
    student.add_argument(
        "--chapter",
        action="append",
        metavar="NAME",
        help="a chapter with exercises to include (repeatable; default: "
        "all); an unknown name lists the chapters",
    )
    student.add_argument(
        "--out",
        help="output folder (default: _build/student in the book's folder)",
    )
    student.add_argument(
        "--no-site", action="store_true", help="skip the site"
    )
    student.set_defaults(run=run_student)


def add_grade_command(commands):
    """The ``grade`` sub-command."""
    grade = commands.add_parser(
        "grade", help="grade student notebooks, each in a sandbox"
    )
    grade.add_argument(
        "submissions",
        nargs="+",
        metavar="PATH",
        help="notebooks, or folders: STUDENT/CHAPTER.ipynb or STUDENT.ipynb",
    )
    grade.add_argument(
        "--chapter",
        required=True,
        choices=[*RUBRIC, "all"],
        metavar="NAME",
        help=f"the chapter graded, or all: {', '.join(RUBRIC)}",
    )
    grade.add_argument(
        "--out", default="grading", help="feedback and gradebook folder"
    )
    grade.add_argument("--csv", help="the rows' CSV (default: in --out)")
    grade.add_argument(
        "--jobs",
        type=POSITIVE_INT,
        default=os.cpu_count() or 1,
        help="submissions graded at once (default: the number of cores)",
    )
    grade.add_argument(
        "--no-sandbox",
        action="store_true",
        help="run without bubblewrap (exposes your files and network)",
    )
    grade.add_argument(
        "--memory",
        type=POSITIVE,
        default=sandbox.MEMORY_LIMIT / 1024**3,
        help="GiB of memory per submission (default 2)",
    )
    grade.add_argument(
        "--cell-timeout",
        type=POSITIVE,
        default=grading.CELL_TIMEOUT,
        help=f"seconds per cell (default {grading.CELL_TIMEOUT})",
    )
    grade.add_argument(
        "--notebook-timeout",
        type=POSITIVE,
        default=grading.NOTEBOOK_TIMEOUT,
        help=f"seconds per notebook (default {grading.NOTEBOOK_TIMEOUT})",
    )
    grade.add_argument(
        "--roster",
        metavar="FILE",
        help="CSV with the columns folder, "
        + ", ".join(lms.IDENTITY)
        + ": also write canvas.csv, the gradebook for Canvas's import",
    )
    grade.set_defaults(run=run_grade, parser=grade)


def add_teaching_commands(commands):
    """Add ``student`` and ``grade`` to the sub-commands ``commands``."""
    add_student_command(commands)
    add_grade_command(commands)
