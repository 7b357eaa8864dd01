"""The gradebook in the layout Canvas's gradebook import reads.

``grade --roster FILE`` takes a CSV with a ``folder`` column (the student
as the grader names them: their folder or notebook name) and Canvas's
identity columns :data:`IDENTITY`.  The export has those identity
columns, then one column of points per chapter, one row per roster
student: the layout of a Canvas gradebook export, which its import reads
back (Student, ID, SIS User ID, SIS Login ID, Section, then one column per
assignment; see e.g. https://teaching.resources.osu.edu/toolsets/
carmencanvas/guides/calculating-final-grades/import-csv-file-carmen-grades).
Students graded but not in the roster, and roster students without a
submission, are listed, one line each.
"""

import csv
import io
from pathlib import Path

from fashionlib.teaching.grading import book_chapters
from fashionlib.teaching.rubric import GradingError

#: Canvas's identity columns, in the order of its gradebook export.
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
#: The roster's column naming the student as the grader knows them.
FOLDER = "folder"
#: Largest roster file read (bytes).
ROSTER_LIMIT = 10 * 1024**2


def read_roster(path):
    """``{folder: {identity column: value}}`` from the roster CSV.

    GradingError, naming the file and the fix, if it is missing, too
    large, not UTF-8 CSV, lacks a column, or names a folder twice.
    """
    path = Path(path)
    try:
        if path.stat().st_size > ROSTER_LIMIT:
            raise ValueError(f"larger than {ROSTER_LIMIT} bytes")
        reader = csv.DictReader(io.StringIO(path.read_text("utf-8-sig")))
        missing = [
            c
            for c in (FOLDER, *IDENTITY)
            if c not in (reader.fieldnames or [])
        ]
        if missing:
            raise ValueError(f"no column {', '.join(missing)}")
        roster = {}
        for line in reader:
            folder = (line[FOLDER] or "").strip()
            if not folder or folder in roster:
                raise ValueError(f"empty or repeated folder {folder!r}")
            roster[folder] = {c: line[c] or "" for c in IDENTITY}
    except (OSError, UnicodeDecodeError, ValueError, csv.Error) as error:
        raise GradingError(
            f"--roster {path}: {error}; give a CSV with the columns "
            f"{FOLDER}, {', '.join(IDENTITY)} (one row per student)"
        ) from None
    return roster


def canvas_gradebook(book, roster):
    """``(lines, columns)`` of the Canvas import for the gradebook
    ``book`` ({student: {chapter: [points, max]}}): one line per roster
    student, in roster order, chapters in the rubric's order; a chapter
    without a grade stays empty."""
    chapters = book_chapters(book)
    lines = [
        {
            **identity,
            **{c: book.get(folder, {}).get(c, [""])[0] for c in chapters},
        }
        for folder, identity in roster.items()
    ]
    return lines, [*IDENTITY, *chapters]


def roster_gaps(graded, roster):
    """One line per student graded but not in the roster, and per roster
    student with no submission in ``graded`` (the students graded)."""
    return [
        f"not in the roster (left out of the Canvas file): {student}"
        for student in graded
        if student not in roster
    ] + [
        f"in the roster but no submission was graded: {folder}"
        for folder in roster
        if folder not in graded
    ]
